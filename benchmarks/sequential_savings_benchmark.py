"""Forward passes, certified accuracy, engine time and wall clock of sequential sampling
against fixed N with the same budget — and the held-out protocol for its constants.

Same inputs, same seed policy (per input: a P generator seeded from the job seed and the
input's index, a Q generator derived from it; draws in batches of 1000, which divide the
looks, so a sequential run's draws are the first draws of the fixed-N run). Each input's
budget is drawn once, batch by batch, under P and under Q, and every form replays those
counts through the real driver (:func:`dsrs_core.sampling.early_stopping.draw_counts_sequential`):
exactly what drawing again with the same seeds would give. DSRS (P and Q both sequential).
Printed per setting (model, sigma, Q, inputs):

* certified accuracy at every multiple of the grid unit (0.05 sigma) from R = 0 (R = 0:
  not abstained) for fixed N, the target form at the fixed-N median radius and the radius
  form with a tolerance of one grid unit;
* forward passes against the fixed-N budget (``2N`` per input): in all, and the median
  input's;
* the largest certified-accuracy loss against fixed N at any radius (R = 0 included), in
  inputs per 100;
* CPU time split: forward passes (measured while recording, per pass), the stopping rules'
  engine calls (the driver on replayed counts: nothing else runs there), the final
  certificates; the engine's share of the job;
* wall clock of the fixed-N and the radius-form job: with ``--wall`` both jobs are run for
  real (draws, driver, certificates); otherwise modelled from the measured parts.

The constants of the rules (``PLAUSIBLE_Z = 1.5``, ``DISAGREEMENT_LIMIT = 4.6``, growth
1.25, final share 0.9) were chosen on the demo MLP's test inputs 0–499 and the LeNet's
0–399, both at sigma 0.25 (docs/sequential.md §4). ``--heldout`` lists the frozen
held-out settings (disjoint inputs, other sigmas, a thresholded Q) as command lines.

Models:

* ``demo``: the shipped digits MLP (8×8 inputs, d = 64), GG P k = 20, Q sigma 0.8 sigma;
* ``lenet``: a LeNet-5-size network (two 5×5 convolutions with 6 and 16 channels, three
  fully connected layers) on 1×28×28 inputs, trained here briefly (seeded, CPU, about a
  minute) on scikit-learn's digits upscaled bilinearly to 28×28 with Gaussian noise
  augmentation sigma 0.25; GG P k = 380 (the paper's MNIST k), Q sigma 0.8 sigma.

Run: ``.venv/bin/python -m benchmarks.sequential_savings_benchmark --model demo --start 400
--inputs 100 --sigma 0.5 --n 20000``. One thread for torch; figures depend on the machine's
load only through the time columns.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from math import floor
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dsrs_core.config import (
    CertificationConfig,
    NoiseSpec,
    QSpec,
    RadiusSearch,
    SequentialSpec,
)
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.evaluation.radius_counting import certified_accuracy
from dsrs_core.results import SampleCounts
from dsrs_core.sampling.draw_plan import plan_q_draws
from dsrs_core.sampling.early_stopping import Draw, DrawRequest, draw_counts_sequential
from dsrs_core.sampling.looks import run_schedules
from dsrs_core.sampling.seeds import sample_seed
from dsrs_core.sampling.sequential_draws import (
    draw_sequential_counts,
    run_generators,
    sequential_draw,
)

JOB_SEED = 0
BATCH = 1000
UNIT = 0.05


class LeNet5(nn.Module):
    """LeNet-5 size (LeCun et al. 1998): 6 and 16 channels of 5×5 convolutions, 120-84-10."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class ArgmaxClassifier:
    def __init__(self, module: nn.Module) -> None:
        self.module = module.eval()
        self.num_classes = 10

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return self.module(batch).argmax(dim=1)


def upscaled_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    from dsrs_models.demo import demo_dataset

    x, y = demo_dataset(split)  # type: ignore[arg-type]
    big = nn.functional.interpolate(
        torch.from_numpy(x), size=(28, 28), mode="bilinear", align_corners=False
    )
    return big.clamp_(0.0, 1.0).numpy(), y


def train_lenet(seed: int = 0, epochs: int = 30, sigma: float = 0.25) -> ArgmaxClassifier:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x_np, y_np = upscaled_digits("train")
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), 64):
            index = order[start : start + 64]
            noisy = x[index] + sigma * torch.randn(x[index].shape, generator=generator)
            loss = loss_fn(model(noisy), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return ArgmaxClassifier(model)


def setup(model: str, start: int, count: int, classifier_needed: bool = True):  # type: ignore[no-untyped-def]
    """The classifier (None when not needed: replayed counts), test inputs ``start … start +
    count − 1``, and P's family and k."""
    if model == "demo":
        from dsrs_models.demo import demo_dataset, load_demo_classifier

        x, y = demo_dataset("test")
        classifier, k = (load_demo_classifier() if classifier_needed else None), 20
    else:
        x, y = upscaled_digits("test")
        classifier, k = (train_lenet() if classifier_needed else None), 380
    if start + count > len(y):
        raise SystemExit(f"the test split has {len(y)} inputs: {start} + {count} is too many")
    return classifier, x[start : start + count], y[start : start + count], k


def record(classifier, inputs, labels, config, budget, start, device="cpu"):  # type: ignore[no-untyped-def]
    """Agreeing counts of every batch of every input's budget: ``(P, Q)``, shape
    ``(inputs, budget / BATCH)``, drawn with the generators sequential runs use (input
    ``start + i`` of the split is the job's sample ``start + i``), and the CPU seconds."""
    seeds = [sample_seed(JOB_SEED, start + i) for i in range(len(labels))]
    generators = run_generators(seeds, device)
    draw = sequential_draw(classifier, inputs.to(device), config, labels, generators, BATCH)
    q_plan = plan_q_draws(config.q, 0.0, 0.0)
    batches = budget // BATCH
    p, q = np.zeros((len(labels), batches), np.int64), np.zeros((len(labels), batches), np.int64)
    cpu = time.process_time()
    for k in range(batches):
        requests = [DrawRequest(i, None, BATCH) for i in range(len(labels))]
        requests += [DrawRequest(i, q_plan, BATCH) for i in range(len(labels))]
        agreeing = draw(requests)
        p[:, k], q[:, k] = agreeing[: len(labels)], agreeing[len(labels) :]
    return p, q, time.process_time() - cpu


def replay(p: np.ndarray, q: np.ndarray) -> Draw:
    """A draw callback answering from recorded batches, in order, per input and run."""
    cumulative = [
        np.concatenate([np.zeros((len(c), 1), np.int64), np.cumsum(c, 1)], 1) for c in (p, q)
    ]
    used: dict[tuple[int, int], int] = {}

    def draw(requests):  # type: ignore[no-untyped-def]
        answers = []
        for request in requests:
            run = int(request.plan is not None)
            if request.draws % BATCH:
                raise ValueError(f"looks must be multiples of {BATCH}, got {request.draws} draws")
            start = used.get((request.index, run), 0)
            stop = start + request.draws // BATCH
            answers.append(
                int(cumulative[run][request.index, stop] - cumulative[run][request.index, start])
            )
            used[(request.index, run)] = stop
        return answers

    return draw


def loss_per_100(curve: list[float], fixed: list[float]) -> float:
    """The largest certified-accuracy loss against fixed N at any radius, in points."""
    return max(0.0, *(100 * (b - a) for a, b in zip(curve, fixed, strict=True)))


def lockstep_oracle(p, q, labels, config, d, fixed_radii, unit) -> list[int]:  # type: ignore[no-untyped-def]
    """Passes per input if each input stopped both runs at the first look whose certificate
    is in the cell of its fixed-N radius (abstained: a cell of its own): what any rule that
    stops P and Q together at these looks must spend to keep every input's cell."""
    schedule = run_schedules(config)[0]
    cp, cq = np.cumsum(p, 1), np.cumsum(q, 1)

    def cell(radius: float) -> int:
        return -1 if np.isnan(radius) else floor(radius / unit + 1e-6)

    passes = []
    for i, fixed in enumerate(fixed_radii):
        for look, size in enumerate(schedule.sizes):
            k = size // BATCH - 1
            counts = SampleCounts(
                label=labels[i],
                p_count=int(cp[i, k]),
                p_n=size,
                q_count=int(cq[i, k]),
                q_n=size,
                q_percentile=None,
                q_fallback=False,
                seed=None,
                p_look=look,
                q_look=look,
            )
            certificate = certificate_from_counts(counts, config, d)
            radius = float("nan") if certificate.abstained else certificate.dsrs_radius or 0.0
            if cell(radius) >= cell(fixed) or look == schedule.last:
                passes.append(2 * size)
                break
    return passes


def q_spec(sigma: float, q_ratio: float, q_threshold: float | None) -> QSpec:
    return QSpec(threshold=q_threshold) if q_threshold is not None else QSpec(sigma=q_ratio * sigma)


def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    replayed = args.counts is not None and args.counts.exists()
    classifier, x, y, k = setup(args.model, args.start, args.inputs, args.wall or not replayed)
    if args.model == "lenet" and classifier is not None:
        classifier.module.to(args.device)
    d, count, budget = int(np.prod(x.shape[1:])), len(y), args.n
    p = NoiseSpec("general-gaussian", args.sigma, k)
    q = q_spec(args.sigma, args.q_ratio, args.q_threshold)
    search = RadiusSearch("grid", unit=UNIT)
    base = CertificationConfig(p=p, q=q, n=budget, alpha=0.001, search=search)
    unit = search.grid_unit(args.sigma)
    labels = [int(v) for v in y]
    counts_file = args.counts
    if counts_file is not None and counts_file.exists():
        saved = np.load(counts_file)
        p_counts, q_counts, draw_cpu = saved["p"], saved["q"], float(saved["cpu"])
        if p_counts.shape != (count, budget // BATCH):
            raise SystemExit(
                f"{counts_file} holds {p_counts.shape}, not ({count}, {budget // BATCH})"
            )
    else:
        p_counts, q_counts, draw_cpu = record(
            classifier, torch.from_numpy(x), labels, base, budget, args.start, args.device
        )
        if args.device != "cpu":
            draw_cpu = float("nan")  # not a CPU figure
        if counts_file is not None:
            np.savez(counts_file, p=p_counts, q=q_counts, cpu=draw_cpu)
        if args.record_only:
            return
    cpu_per_pass = draw_cpu / (2 * budget * count)
    print(
        f"model {args.model}: test inputs {args.start}-{args.start + count - 1}, d = {d}, GG P "
        f"sigma {args.sigma:g} k {k}, Q {q}, N = {budget} per run (DSRS: 2N), alpha 0.001, grid "
        f"unit {unit:g}; setup and drawing {time.perf_counter() - started:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )

    def certify(config: CertificationConfig):  # type: ignore[no-untyped-def]
        t0 = time.process_time()
        counts = draw_counts_sequential(replay(p_counts, q_counts), config, d, labels)
        t1 = time.process_time()
        certificates = [certificate_from_counts(c, config, d) for c in counts]
        t2 = time.process_time()
        radii = [float("nan") if c.abstained else float(c.dsrs_radius or 0.0) for c in certificates]
        passes = [c.p_n + (c.q_n or 0) for c in counts]
        return radii, passes, t1 - t0, t2 - t1

    fixed = certify(base)
    median = unit * round(float(np.nanmedian(fixed[0])) / unit)
    largest = max(np.nan_to_num(fixed[0]))
    grid = [unit * j for j in range(int(largest / unit) + 2)]
    tolerance = args.tolerance or unit
    looks = {"first_look": args.first_look, "growth": args.growth}
    radius_form = replace(base, sequential=SequentialSpec(tolerance=tolerance, **looks))
    if args.no_radius:
        print_oracle(args, p_counts, q_counts, labels, radius_form, d, fixed[0], tolerance)
        return
    forms = {"fixed N": fixed, f"radius tol={tolerance:g}": certify(radius_form)}
    if not args.no_target:
        target = replace(base, sequential=SequentialSpec(target_radii=(median,), **looks))
        forms[f"target R={median:.3g}"] = certify(target)
    print(f"{'radius':>8s}" + "".join(f"{name:>18s}" for name in forms))
    curves = {name: certified_accuracy(r, grid) for name, (r, *_) in forms.items()}
    for j, radius in enumerate(grid):
        print(f"{radius:>8.3f}" + "".join(f"{100 * curves[n][j]:>17.1f}%" for n in forms))
    full = 2 * budget
    rows = {
        "passes": [f"{100 * sum(v[1]) / (full * count):.1f}%" for v in forms.values()],
        "median": [f"{100 * float(np.median(v[1])) / full:.1f}%" for v in forms.values()],
        "loss pp": ["-"]
        + [f"{loss_per_100(curves[n], curves['fixed N']):.1f}" for n in list(forms)[1:]],
        "rule s": [f"{v[2]:.1f}" for v in forms.values()],
        "cert s": [f"{v[3]:.1f}" for v in forms.values()],
        "draw s": [f"{cpu_per_pass * sum(v[1]):.1f}" for v in forms.values()],
    }
    for name, values in rows.items():
        print(f"{name:>8s}" + "".join(f"{v:>18s}" for v in values))
    at = grid.index(min(grid, key=lambda r: abs(r - median)))
    summary = {}
    for name, (_radii, passes, rule_s, cert_s) in forms.items():
        draw_s = cpu_per_pass * sum(passes)
        total = draw_s + rule_s + cert_s
        summary[name] = total
        print(
            f"{name}: CPU {total:.1f} s = passes {draw_s:.1f} + stopping rules {rule_s:.1f} + "
            f"certificates {cert_s:.1f}; engine share {100 * (rule_s + cert_s) / total:.0f} % "
            f"(stopping rules alone {100 * rule_s / total:.0f} %)"
        )
    form = list(forms)[1]
    print(
        f"HELDOUT model={args.model} sigma={args.sigma:g} "
        f"q={'t' + str(args.q_threshold) if args.q_threshold else args.q_ratio} "
        f"inputs={args.start}-{args.start + count - 1} "
        f"radius_passes={100 * sum(forms[form][1]) / (full * count):.1f} "
        f"radius_median={100 * float(np.median(forms[form][1])) / full:.1f} "
        f"radius_loss={loss_per_100(curves[form], curves['fixed N']):.1f} "
        + (
            f"target_median={100 * float(np.median(forms[list(forms)[2]][1])) / full:.1f} "
            f"target_passes={100 * sum(forms[list(forms)[2]][1]) / (full * count):.1f} "
            f"target_at_R={100 * curves[list(forms)[2]][at]:.1f}/{100 * curves['fixed N'][at]:.1f} "
            if len(forms) > 2
            else ""
        )
        + f"cpu_fixed={summary['fixed N']:.1f} cpu_radius={summary[form]:.1f} "
        f"rule_share={100 * forms[form][2] / summary[form]:.0f}",
        flush=True,
    )
    if args.oracle:
        print_oracle(args, p_counts, q_counts, labels, radius_form, d, fixed[0], tolerance)
    if args.wall:
        wall(classifier, x, labels, base, radius_form, args.start)


def print_oracle(args, p_counts, q_counts, labels, radius_form, d, fixed, tolerance) -> None:  # type: ignore[no-untyped-def]
    """The lockstep oracle's passes, in all and the median input's."""
    full, count = 2 * args.n, len(labels)
    oracle = lockstep_oracle(p_counts, q_counts, labels, radius_form, d, fixed, tolerance)
    print(
        f"lockstep oracle (every input keeps its fixed-N cell, P and Q stop together; "
        f"tolerance {tolerance:g}, first look {args.first_look}, growth {args.growth:g}): "
        f"{100 * sum(oracle) / (full * count):.1f}% of the passes, median input "
        f"{100 * float(np.median(oracle)) / full:.1f}%",
        flush=True,
    )


def wall(classifier, x, labels, base, radius_form, start) -> None:  # type: ignore[no-untyped-def]
    """Both jobs for real, one after the other: draws, driver and certificates."""
    d = int(np.prod(x.shape[1:]))
    seeds = [sample_seed(JOB_SEED, start + i) for i in range(len(labels))]
    inputs = torch.from_numpy(x)
    for name, config in (("fixed N", base), ("radius form", radius_form)):
        t0, c0 = time.perf_counter(), time.process_time()
        counts = draw_sequential_counts(
            classifier, inputs, config, labels=labels, seeds=seeds, batch_size=BATCH
        )
        for c in counts:
            certificate_from_counts(c, config, d)
        print(
            f"wall clock, {name} job (measured): {time.perf_counter() - t0:.1f} s "
            f"(CPU {time.process_time() - c0:.1f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["demo", "lenet"], default="demo")
    parser.add_argument("--start", type=int, default=400, help="first test input")
    parser.add_argument("--inputs", type=int, default=100)
    parser.add_argument("--sigma", type=float, default=0.25, help="P's sigma")
    parser.add_argument("--q-ratio", type=float, default=0.8, help="Q sigma / P sigma")
    parser.add_argument(
        "--q-threshold", type=float, default=None, help="a thresholded Q at this percentile"
    )
    parser.add_argument("--n", type=int, default=20_000, help="budget N per run")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help="radius form's tolerance (default: one grid unit, 0.05 sigma)",
    )
    parser.add_argument("--first-look", type=int, default=1000, help="the looks' first look")
    parser.add_argument("--growth", type=float, default=1.25, help="the looks' growth")
    parser.add_argument("--no-target", action="store_true", help="skip the target form")
    parser.add_argument("--no-radius", action="store_true", help="only the oracle (with --oracle)")
    parser.add_argument("--wall", action="store_true", help="also run both jobs for real")
    parser.add_argument(
        "--oracle", action="store_true", help="also the lockstep oracle's passes (slow)"
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device for recording the counts (the CPU split then has no pass time)",
    )
    parser.add_argument("--record-only", action="store_true", help="record --counts and stop")
    parser.add_argument(
        "--counts",
        type=Path,
        default=None,
        help="recorded batches: read if the file exists, else drawn and written there",
    )
    parser.add_argument(
        "--heldout", action="store_true", help="print the held-out settings' command lines"
    )
    args = parser.parse_args()
    if args.heldout:
        for line in HELDOUT:
            print(f".venv/bin/python {os.path.relpath(__file__)} {line}")
        return
    torch.set_num_threads(1)
    run(args)


#: The held-out settings (docs/sequential.md §6): inputs disjoint from the tuning inputs
#: (demo 0–499, LeNet 0–399 at sigma 0.25), the other sigmas, and a thresholded Q.
HELDOUT = [
    *(f"--model demo --start 400 --inputs 100 --sigma {s}" for s in (0.12, 0.5, 1.0)),
    "--model demo --start 500 --inputs 39 --sigma 0.25",
    *(f"--model lenet --start 400 --inputs 100 --sigma {s}" for s in (0.12, 0.25, 0.5, 1.0)),
    "--model demo --start 400 --inputs 100 --sigma 0.5 --q-threshold 0.6",
]


if __name__ == "__main__":
    main()
