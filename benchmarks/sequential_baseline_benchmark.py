"""Sequential DSRS against its same-cost NP baseline (docs/sequential.md §7) on the demo model.

Per input, the engine's own path of a worker: :func:`dsrs_core.certify_on_device.certify_batch` for
the sequential DSRS certificate, then :func:`dsrs_core.certify_on_device.sequential_np_baseline` (an
independent sequential NP run, budget 2N, all of alpha, its own looks, seeded from its own
stream). For reference, the same inputs fixed-N: DSRS and the paper's equal-budget NP
(:func:`dsrs_core.certify_on_device.equal_budget_baseline`, pooled 2N draws). Printed: ACR,
certified accuracy at a few radii, and the forward passes each side used per input (the budget of
each side is 2N).

The demo model: the shipped digits MLP (8×8 inputs, d = 64), GG P sigma 0.25, k = 20, Q
sigma 0.2, alpha 0.001, grid unit 0.05 sigma — the README's demo job. Sequential forms:
radius form (tolerance 0.05) and target form (R = 0.60, the fixed-N curve's median on the
first 500 inputs, docs/sequential.md §6).

Run: ``.venv/bin/python -m benchmarks.sequential_baseline_benchmark [--inputs 200] [--n 50000]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from dsrs_core.certify_on_device import (
    certify_batch,
    equal_budget_baseline,
    sequential_np_baseline,
)
from dsrs_core.config import (
    CertificationConfig,
    NoiseSpec,
    QSpec,
    RadiusSearch,
    SequentialSpec,
)
from dsrs_core.evaluation.radius_counting import (
    average_certified_radius,
    certified_accuracy,
    counted_radii,
)
from dsrs_core.sampling.seeds import equal_budget_seed

RADII = (0.25, 0.5, 0.6, 0.75)
SEED = 2026
BATCH = 1000


def _baseline_figures(baselines, certificates, labels):  # type: ignore[no-untyped-def]
    """Counted radii of a baseline: it predicts the counted class when its bound > 1/2."""
    predictions = [
        c.counts.label if b.p_lower > 0.5 else None
        for b, c in zip(baselines, certificates, strict=True)
    ]
    return counted_radii(predictions, labels, [b.radius for b in baselines])


def run(count: int, n: int) -> None:
    from dsrs_models.demo import demo_dataset, load_demo_classifier

    x, y = demo_dataset("test")
    inputs, labels = (
        torch.from_numpy(np.asarray(x[:count], np.float32)),
        [int(v) for v in y[:count]],
    )
    classifier = load_demo_classifier()
    fixed = CertificationConfig(
        p=NoiseSpec("general-gaussian", 0.25, 20),
        q=QSpec(sigma=0.2),
        n=n,
        alpha=0.001,
        search=RadiusSearch("grid", unit=0.05),
    )
    forms = {
        "radius form, tolerance 0.05": SequentialSpec(tolerance=0.05),
        "target form, R = 0.60": SequentialSpec(target_radii=(0.6,)),
    }
    print(f"demo MLP, first {count} digits test inputs, N = {n} per run, alpha 0.001")
    header = (
        f"{'setting':32s} {'certificate':40s} {'ACR':>7s} "
        + " ".join(f"{'@' + format(r, 'g'):>6s}" for r in RADII)
        + f" {'passes/input':>13s} {'of 2N':>6s} {'s':>5s}"
    )
    print(header)

    def show(setting: str, name: str, radii, passes: float, seconds: float) -> None:  # type: ignore[no-untyped-def]
        accuracy = certified_accuracy(radii, list(RADII))
        print(
            f"{setting:32s} {name:40s} {average_certified_radius(radii):7.4f} "
            + " ".join(f"{100 * a:5.1f}%" for a in accuracy)
            + f" {passes:13.0f} {passes / (2 * n):6.1%} {seconds:5.0f}",
            flush=True,
        )

    for setting, spec in [("fixed N", None), *forms.items()]:
        config = fixed if spec is None else replace(fixed, sequential=spec)
        started = time.perf_counter()
        certificates = certify_batch(
            classifier, inputs, config, labels=labels, seed=SEED, batch_size=BATCH
        )
        dsrs_seconds = time.perf_counter() - started
        draw_baseline = equal_budget_baseline if spec is None else sequential_np_baseline
        started = time.perf_counter()
        baselines = [
            draw_baseline(
                classifier, inputs[i], config, c, seed=equal_budget_seed(SEED, i), batch_size=BATCH
            )
            for i, c in enumerate(certificates)
        ]
        baseline_seconds = time.perf_counter() - started
        predictions = [c.prediction for c in certificates]
        np_radius = [c.np_radius for c in certificates]
        dsrs = counted_radii(predictions, labels, np_radius, [c.dsrs_radius for c in certificates])
        same_run = counted_radii(predictions, labels, np_radius)
        dsrs_passes = np.mean([c.counts.p_n + (c.counts.q_n or 0) for c in certificates])
        if spec is None:
            baseline_passes = np.mean([b.extra_n for b in baselines])  # + the pooled P run
            baseline_name = "NP, equal budget (pooled 2N)"
        else:
            baseline_passes = np.mean([b.n for b in baselines])
            baseline_name = "NP, sequential same cost (own run ≤ 2N)"
        show(setting, "DSRS", dsrs, float(dsrs_passes), dsrs_seconds)
        show(
            setting,
            "NP, same run (DSRS's P run)",
            same_run,
            float(np.mean([c.counts.p_n for c in certificates])),
            0.0,
        )
        pooled = float(np.mean([c.counts.p_n for c in certificates])) if spec is None else 0.0
        show(
            setting,
            baseline_name,
            _baseline_figures(baselines, certificates, labels),
            float(baseline_passes) + pooled,
            baseline_seconds,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200)
    parser.add_argument("--n", type=int, default=50_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    run(args.inputs, args.n)


if __name__ == "__main__":
    main()
