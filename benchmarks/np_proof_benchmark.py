"""Proof mode for NP radii: every radius reported as proven, its enclosure and the time.

Run: ``.venv/bin/python -m benchmarks.np_proof_benchmark [--mnist 200] [--cifar 50]
[--workers 2]``. Needs python-flint.

Inputs: the published MNIST P intervals (``cohen-mnist-380-1.00.pth``, s = 1, N = 50,000,
α = 0.0005) with pL > 1/2, every few taken so that the first ``--mnist`` cover the file;
certified at d = 784, k = 380 (MNIST size) and, for the first ``--cifar`` of them, at
d = 3072, k = 1530 (CIFAR-10 size; the intervals transplanted). For each input: the
engine's verified NP radius, then :func:`dsrs_core.radius.np_proof.prove_np_radius`; one line per
input (status, proven radius, the enclosure of the dual bound ``L`` at it, CPU seconds)
and a summary. A radius reported as proven must have an enclosure whose lower end is above
1/2; the script counts any that does not (it must print 0). Not a test.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from dsrs_cli.published.files import read_sampling
from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.np_proof import PROOF_OUTCOMES, prove_np_radius

SAMPLING = Path(
    "/work/shared/reference/dsrs-published/data/sampling/cohen-mnist-380-1.00.pth/"
    "general-gaussian-380-1.0-50000-0.0005.txt"
)


def one(job: tuple[int, int, int, float]) -> dict:
    index, d, k, p_lower = job
    noise = make_noise("general-gaussian", d, 1.0, k)
    started = time.process_time()
    verified = np_radius(noise, p_lower)
    proof = prove_np_radius(noise, p_lower, verified.radius, verified.kappa)
    return {
        "index": index,
        "d": d,
        "p_lower": p_lower,
        "verified": verified.radius,
        "status": proof.status,
        "radius": proof.radius,
        "lower": proof.lower,
        "upper": proof.upper,
        "cells": proof.cells,
        "seconds": time.process_time() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=int, default=200)
    parser.add_argument("--cifar", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    intervals = read_sampling(SAMPLING)
    usable = [(i, pl) for i, (pl, _) in sorted(intervals.items()) if 0.5 < pl < 1.0]
    step = max(1, len(usable) // max(args.mnist, 1))
    chosen = usable[::step][: args.mnist]
    jobs = [(i, 784, 380, pl) for i, pl in chosen]
    jobs += [(i, 3072, 1530, pl) for i, pl in chosen[: args.cifar]]
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, cpu clock")
    print(
        f"{'d':>5s} {'index':>6s} {'pL':>8s} {'verified':>9s} {'status':>9s} "
        f"{'proven r':>9s} {'L - 1/2 enclosed in':>26s} {'cells':>6s} {'cpu s':>6s}"
    )
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(one, jobs):
            rows.append(row)
            interval = f"[{row['lower'] - 0.5:+.2e}, {row['upper'] - 0.5:+.2e}]"
            print(
                f"{row['d']:5d} {row['index']:6d} {row['p_lower']:8.6f} {row['verified']:9.6f} "
                f"{row['status']:>9s} {row['radius']:9.6f} {interval:>26s} {row['cells']:6d} "
                f"{row['seconds']:6.2f}",
                flush=True,
            )
    for d in sorted({r["d"] for r in rows}):
        part = [r for r in rows if r["d"] == d]
        seconds = np.array([r["seconds"] for r in part])
        statuses = {s: sum(r["status"] == s for r in part) for s in PROOF_OUTCOMES}
        bad = sum(r["status"] in ("proven", "fell back") and not r["lower"] > 0.5 for r in part)
        lost = max(
            ((r["verified"] - r["radius"]) / r["verified"] for r in part if r["verified"] > 0),
            default=0.0,
        )
        print(
            f"d={d}: {len(part)} inputs, {statuses}, proven without an enclosure above 1/2: "
            f"{bad}; largest relative back-off {lost:.1e}; cpu s per input median "
            f"{np.median(seconds):.2f}, p95 {np.percentile(seconds, 95):.2f}, "
            f"max {seconds.max():.2f}"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
