"""Radius-engine benchmark: milliseconds per instance for NP and DSRS (grid and precise)
and batch throughput on 2 processes.

Run: ``.venv/bin/python benchmarks/engine_benchmark.py [--data DIR] [--step 5]``.
Uses the published MNIST intervals (d = 784, k = 380) and, for the ImageNet-size
configuration (d = 150528, k = 75260), the same intervals transplanted (plausible values:
the published ImageNet runs have pA in the same range). Timings are single-process except
the batch line. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsrs_cli.published_files import read_sampling
from dsrs_core.batch import dsrs_radii, np_radii
from dsrs_core.certification import (
    FALLBACK_P_UPPER,
    build_p_noise,
    build_q_noise,
    dsrs_radius_from_intervals,
    plan_q_draws,
)
from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
from dsrs_core.dsrs_bound import Intervals
from dsrs_core.neyman_pearson import np_radius

DEFAULT_DATA = Path("/work/shared/reference/dsrs-published/data")

# (label, model folder, P sigma text, Q file suffix or Q sigma, thresholded, d, k, grid unit)
CONFIGS = [
    ("MNIST s=1.0 Q s=0.8", "cohen-mnist-380-1.00.pth", "1.0", "0.8", False, 784, 380, 0.05),
    ("MNIST s=0.5 Q s=0.4", "cohen-mnist-380-0.50.pth", "0.5", "0.4", False, 784, 380, 0.05),
    ("MNIST s=1.0 Q th x+", "cohen-mnist-380-1.00.pth", "1.0", "x+", True, 784, 380, 0.01),
    ("MNIST s=0.25 Q th x+", "cohen-mnist-380-0.25.pth", "0.25", "x+", True, 784, 380, 0.01),
    (
        "ImageNet-size s=1.0 Q s=0.8",
        "cohen-mnist-380-1.00.pth",
        "1.0",
        "0.8",
        False,
        150528,
        75260,
        0.05,
    ),
    (
        "ImageNet-size s=1.0 Q th x+",
        "cohen-mnist-380-1.00.pth",
        "1.0",
        "x+",
        True,
        150528,
        75260,
        0.01,
    ),
]


def _instances(data: Path, model: str, sigma: str, q: str, thresholded: bool):
    folder = data / "sampling" / model
    p_int = read_sampling(folder / f"general-gaussian-380-{sigma}-50000-0.0005.txt")
    q_name = (
        f"general-gaussian-380-{sigma}-50000-0.0005-{q}.txt"
        if thresholded
        else f"general-gaussian-380-{q}-50000-0.0005.txt"
    )
    q_int = read_sampling(folder / q_name)
    return [(i, p_int[i], q_int[i]) for i in sorted(p_int) if i in q_int]


def _q_spec(q: str, thresholded: bool) -> QSpec:
    if not thresholded:
        return QSpec(sigma=float(q))
    return QSpec(threshold=q if q in ("x", "x+") else float(q))


def _stats(values: list[float]) -> str:
    if not values:
        return "      -        -"
    ms = np.asarray(values) * 1e3
    return f"{np.median(ms):8.2f} {np.percentile(ms, 95):8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--step", type=int, default=5, help="use every STEP-th reference instance (MNIST)"
    )
    parser.add_argument("--imagenet-step", type=int, default=25)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="per-instance times from the wall clock or this process's CPU time (use cpu "
        "on a shared, loaded machine; the batch rate is always wall-clock)",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, {args.clock} clock")
    print(
        f"{'configuration':32s} {'n':>4s} | {'NP med':>8s} {'NP p95':>8s} | "
        f"{'grid med':>8s} {'grid p95':>8s} | {'prec med':>8s} {'prec p95':>8s} | batch inst/s"
    )
    for label, model, sigma, q, thresholded, d, k, unit in CONFIGS:
        spec = NoiseSpec("general-gaussian", float(sigma), k)
        q_spec = _q_spec(q, thresholded)
        p = build_p_noise(spec, d)
        step = args.step if d < 20_000 else args.imagenet_step
        items = _instances(args.data, model, sigma, q, thresholded)
        np_times, grid_times, precise_times = [], [], []
        for _, (pl, pu), (ql, qu) in items[::step]:
            start = clock()
            orig = np_radius(p, pl).radius if pl > 0.5 else 0.0
            if pl > 0.5:
                np_times.append(clock() - start)
            if not pl > 0.5 or (thresholded and pu >= FALLBACK_P_UPPER):
                continue  # not searched / plain-NP fall-back
            iv = Intervals(pl, pu, ql, qu)
            qn = build_q_noise(p, q_spec, plan_q_draws(q_spec, pl, pu).percentile)
            start = clock()
            dsrs_radius_from_intervals(
                p, qn, iv, RadiusSearch(unit=unit, mode="original", unit_scale="absolute"), orig
            )
            grid_times.append(clock() - start)
            start = clock()
            dsrs_radius_from_intervals(
                p, qn, iv, RadiusSearch(method="precise", tolerance=1e-3), orig
            )
            precise_times.append(clock() - start)
        batch_items = [it for it in items if it[1][0] > 0.5 and it[1][1] < FALLBACK_P_UPPER]
        if d >= 20_000:
            batch_items = batch_items[: max(1, args.batch // 10)]
        batch_items = (batch_items * (args.batch // max(len(batch_items), 1) + 1))[: args.batch]
        p_intervals = {n: pi for n, (_, pi, _) in enumerate(batch_items)}
        q_intervals = {n: qi for n, (_, _, qi) in enumerate(batch_items)}
        start = time.perf_counter()
        starts = np_radii(spec, d, {n: pl for n, (pl, _) in p_intervals.items()}, args.workers)
        dsrs_radii(
            spec, d, q_spec, RadiusSearch(unit=unit, mode="original", unit_scale="absolute"), p_intervals,
            q_intervals, {n: r.radius for n, r in starts.items()}, workers=args.workers,
        )  # fmt: skip
        rate = len(p_intervals) / (time.perf_counter() - start)
        print(
            f"{label:32s} {len(grid_times):4d} | {_stats(np_times)} | {_stats(grid_times)} | "
            f"{_stats(precise_times)} | {rate:8.1f} ({len(p_intervals)} on {args.workers})",
            flush=True,
        )


if __name__ == "__main__":
    main()
