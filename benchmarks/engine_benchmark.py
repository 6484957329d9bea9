"""Radius-engine benchmark: milliseconds per instance for NP and DSRS (grid and precise)
and batch throughput on 2 processes.

Run: ``.venv/bin/python -m benchmarks.engine_benchmark [--data DIR] [--step 5]``.

First table (issue 23 item 2, ``--dimensions-only`` prints it alone): engine time per
certificate, NP + DSRS together, grid search of unit 0.05σ in exact mode, median and 95th
percentile, for d ∈ {2, 8, 64, 784, 3072, 150528} × Q kinds (σ_Q = 0.8σ, σ_Q = 1.25σ,
thresholded ``x+``) and the demo's configuration (d = 64, generalised Gaussian k = 20,
σ = 0.25, σ_Q = 0.2). P is Gaussian at d ≤ 8 and generalised Gaussian with radial shape
a = 12 above (k = d/2 − 12, the paper's MNIST shape), σ = 1. The intervals are the published
MNIST ones (s = 1, Q s = 0.8 and ``x+``) transplanted; σ_Q = 1.25σ takes the published P
interval as its Q interval and the Q interval of 0.8 as its P interval (a wider Q agrees
less), so that all five KKT cases occur.
Uses the published MNIST intervals (d = 784, k = 380) and, for the ImageNet-size
configuration (d = 150528, k = 75260), the same intervals transplanted (plausible values:
the published ImageNet runs have pA in the same range). Timings are single-process except
the batch line. Not a test.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from dsrs_cli.published.files import read_sampling
from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals
from dsrs_core.radii_from_intervals import dsrs_radii, np_radii
from dsrs_core.radius.dual_bound import Intervals
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.sampling.draw_plan import (
    FALLBACK_P_UPPER,
    build_p_noise,
    build_q_noise,
    plan_q_draws,
)

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


#: Dimensions of the per-certificate table and the exponent k of P at each.
DIMENSIONS = (2, 8, 64, 784, 3072, 150528)


def _family(d: int) -> tuple[str, int]:
    return ("gaussian", 0) if d <= 24 else ("general-gaussian", d // 2 - 12)


def _certificate_seconds(clock, p, q_spec, pl, pu, ql, qu, unit) -> float:
    """Engine time of one certificate: NP, then DSRS from the NP radius (grid, exact)."""
    start = clock()
    orig = np_radius(p, pl).radius if pl > 0.5 else 0.0
    if pl > 0.5 and not (q_spec.thresholded and pu >= FALLBACK_P_UPPER):
        qn = build_q_noise(p, q_spec, plan_q_draws(q_spec, pl, pu).percentile)
        dsrs_radius_from_intervals(
            p, qn, Intervals(pl, pu, ql, qu), RadiusSearch(unit=unit, mode="exact"), orig
        )
    return clock() - start


def dimension_table(data: Path, clock, per_cell: int, only: str = "") -> None:
    """Print the per-certificate table of the module docstring."""
    folder = "cohen-mnist-380-1.00.pth"
    narrow = _instances(data, folder, "1.0", "0.8", False)
    thresholded = _instances(data, folder, "1.0", "x+", True)
    swapped = [(i, q, p) for i, p, q in narrow]  # σ_Q = 1.25σ: roles of the two runs swapped
    rows = [
        (f"d={d} Q {kind}", d, _family(d), 1.0, spec, items)
        for d in DIMENSIONS
        for kind, spec, items in (
            ("sigma 0.8", QSpec(sigma=0.8), narrow),
            ("sigma 1.25", QSpec(sigma=1.25), swapped),
            ("th x+", QSpec(threshold="x+"), thresholded),
        )
    ]
    # The demo's Q/P ratio is 0.8, as in the published s = 1 / s_Q = 0.8 intervals.
    demo = narrow
    rows.insert(
        6,
        ("demo d=64 k=20 s=0.25 Q 0.2", 64, ("general-gaussian", 20), 0.25, QSpec(sigma=0.2), demo),
    )
    print(
        f"{'NP + DSRS per certificate':34s} {'n':>4s} {'med ms':>8s} {'p95 ms':>8s} {'max ms':>8s}"
    )
    for label, d, (family, k), sigma, q_spec, items in rows:
        if only not in label:
            continue
        p = build_p_noise(NoiseSpec(family, sigma, k), d)
        usable = [it for it in items if it[1][0] > 0.5]
        step = max(1, len(usable) // per_cell)
        times = [
            _certificate_seconds(clock, p, q_spec, pl, pu, ql, qu, 0.05)
            for _, (pl, pu), (ql, qu) in usable[::step][:per_cell]
        ]
        ms = np.asarray(times) * 1e3
        print(
            f"{label:34s} {len(ms):4d} {np.median(ms):8.1f} {np.percentile(ms, 95):8.1f} "
            f"{ms.max():8.1f}",
            flush=True,
        )


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
    parser.add_argument(
        "--per-cell", type=int, default=40, help="certificates per row of the first table"
    )
    parser.add_argument("--dimensions-only", action="store_true")
    parser.add_argument("--rows", default="", help="only rows whose label contains this")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, {args.clock} clock")
    dimension_table(args.data, clock, args.per_cell, args.rows)
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.dimensions_only:
        return
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
            spec,
            d,
            q_spec,
            RadiusSearch(unit=unit, mode="original", unit_scale="absolute"),
            p_intervals,
            q_intervals,
            {n: r.radius for n, r in starts.items()},
            workers=args.workers,
        )
        rate = len(p_intervals) / (time.perf_counter() - start)
        print(
            f"{label:32s} {len(grid_times):4d} | {_stats(np_times)} | {_stats(grid_times)} | "
            f"{_stats(precise_times)} | {rate:8.1f} ({len(p_intervals)} on {args.workers})",
            flush=True,
        )


if __name__ == "__main__":
    main()
