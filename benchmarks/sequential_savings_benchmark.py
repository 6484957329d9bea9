"""Forward passes saved by sequential sampling, against fixed N with the same budget.

Same inputs, same seed policy (per input: a P generator seeded from the job seed and the
input's index, a Q generator derived from it; draws in batches of 1000, which divide the
looks, so a sequential run's draws are the first draws of the fixed-N run). Each input's
budget is drawn once, batch by batch, under P and under Q, and every form replays those
counts through the real driver (:func:`dsrs_core.sequential.draw_counts_sequential`):
exactly what drawing again with the same seeds would give, at a third of the cost. DSRS (P
and Q both sequential). Printed per model:

* certified accuracy at every radius of the grid for fixed N and both sequential forms;
* forward passes used, as a fraction of the fixed-N budget (``2N`` per input), and in all;
* target-radius form at the fixed-N curve's median radius; radius form with a tolerance of
  one grid unit;
* the *lockstep oracle*: the passes if each input stopped both runs at the first look whose
  certificate is already in the grid cell of its fixed-N radius — what any rule that stops
  P and Q together at these looks must spend to keep every input's cell.

Models:

* ``demo``: the shipped digits MLP (8×8 inputs, d = 64), GG P sigma 0.25, k = 20, Q sigma
  0.2 — the README's demo job;
* ``lenet``: a LeNet-5-size network (two 5×5 convolutions with 6 and 16 channels, three
  fully connected layers) on 1×28×28 inputs, trained here briefly (seeded, CPU, about a
  minute) on scikit-learn's digits upscaled bilinearly to 28×28 with Gaussian noise
  augmentation sigma 0.25; GG P sigma 0.25, k = 380 (the paper's MNIST k), Q sigma 0.2.

Run: ``.venv/bin/python benchmarks/sequential_savings_benchmark.py --model demo``.
CPU-sized: modest input counts (defaults below); figures depend on the machine's load only
through the time column.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from math import floor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torch import nn

from dsrs_core.certification import QPlan, certificate_from_counts
from dsrs_core.config import (
    CertificationConfig,
    NoiseSpec,
    QSpec,
    RadiusSearch,
    SequentialSpec,
)
from dsrs_core.evaluation import certified_accuracy
from dsrs_core.looks import run_schedules
from dsrs_core.results import SampleCounts
from dsrs_core.seeds import sample_seed
from dsrs_core.sequential import Draw, DrawRequest, draw_counts_sequential
from dsrs_core.sequential_sampling import run_generators, sequential_draw

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


def setup(model: str, count: int):  # type: ignore[no-untyped-def]
    if model == "demo":
        from dsrs_models.demo import demo_dataset, load_demo_classifier

        x, y = demo_dataset("test")
        p = NoiseSpec("general-gaussian", 0.25, 20)
        return load_demo_classifier(), x[:count], y[:count], p
    x, y = upscaled_digits("test")
    p = NoiseSpec("general-gaussian", 0.25, 380)
    return train_lenet(), x[:count], y[:count], p


def record(classifier, inputs, labels, config, budget):  # type: ignore[no-untyped-def]
    """Agreeing counts of every batch of every input's budget: ``(P, Q)``, shape
    ``(inputs, budget / BATCH)``, drawn with the generators sequential runs use."""
    generators = run_generators([sample_seed(JOB_SEED, i) for i in range(len(labels))])
    draw = sequential_draw(classifier, inputs, config, labels, generators, BATCH)
    q_plan = QPlan(None, False)
    batches = budget // BATCH
    p, q = np.zeros((len(labels), batches), np.int64), np.zeros((len(labels), batches), np.int64)
    for k in range(batches):
        requests = [DrawRequest(i, None, BATCH) for i in range(len(labels))]
        requests += [DrawRequest(i, q_plan, BATCH) for i in range(len(labels))]
        agreeing = draw(requests)
        p[:, k], q[:, k] = agreeing[: len(labels)], agreeing[len(labels) :]
    return p, q


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


def lockstep_oracle(p, q, labels, config, d, fixed_radii) -> int:  # type: ignore[no-untyped-def]
    """Passes if each input stopped both runs at the first look whose certificate is in the
    grid cell of its fixed-N radius (module docstring)."""
    schedule = run_schedules(config)[0]
    cp, cq = np.cumsum(p, 1), np.cumsum(q, 1)
    passes = 0
    for i, fixed in enumerate(fixed_radii):
        cell = floor(fixed / UNIT + 1e-6)
        for look, size in enumerate(schedule.sizes):
            k = size // BATCH - 1
            counts = SampleCounts(
                label=labels[i], p_count=int(cp[i, k]), p_n=size, q_count=int(cq[i, k]),
                q_n=size, q_percentile=None, q_fallback=False, seed=None, p_look=look,
                q_look=look,
            )  # fmt: skip
            radius = float(certificate_from_counts(counts, config, d).dsrs_radius or 0.0)
            if floor(radius / UNIT + 1e-6) >= cell or look == schedule.last:
                passes += 2 * size
                break
    return passes


def run(model: str, count: int, budget: int, final_share: float, counts_file: Path | None) -> None:
    started = time.perf_counter()
    classifier, x, y, p = setup(model, count)
    d = int(np.prod(x.shape[1:]))
    base = CertificationConfig(
        p=p, q=QSpec(sigma=0.2), n=budget, alpha=0.001, search=RadiusSearch("grid", unit=UNIT)
    )
    labels = [int(v) for v in y]
    if counts_file is not None and counts_file.exists():
        saved = np.load(counts_file)
        p_counts, q_counts = saved["p"], saved["q"]
        if p_counts.shape != (count, budget // BATCH):
            raise SystemExit(
                f"{counts_file} holds {p_counts.shape}, not ({count}, {budget // BATCH})"
            )
    else:
        p_counts, q_counts = record(classifier, torch.from_numpy(x), labels, base, budget)
        if counts_file is not None:
            np.savez(counts_file, p=p_counts, q=q_counts)
    print(
        f"model {model}: {count} test inputs, budget N = {budget} per run (DSRS: 2N), "
        f"final share {final_share:g}, setup and drawing {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    def certify(config: CertificationConfig):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        counts = draw_counts_sequential(replay(p_counts, q_counts), config, d, labels)
        radii = [float(certificate_from_counts(c, config, d).dsrs_radius or 0.0) for c in counts]
        passes = sum(c.p_n + (c.q_n or 0) for c in counts)
        return radii, passes, time.perf_counter() - t0

    fixed_radii, fixed_passes, fixed_s = certify(base)
    median = UNIT * round(float(np.median(fixed_radii)) / UNIT)
    grid = [UNIT * j for j in range(int(max(fixed_radii) / UNIT) + 2)]
    radius_form = replace(base, sequential=SequentialSpec(tolerance=UNIT, final_share=final_share))
    forms = {
        "fixed N": (fixed_radii, fixed_passes, fixed_s),
        f"target R={median:.2f}": certify(
            replace(
                base,
                sequential=SequentialSpec(target_radii=(median,), final_share=final_share),
            )
        ),
        f"radius tol={UNIT:g}": certify(radius_form),
    }
    print(f"{'radius':>8s}" + "".join(f"{name:>16s}" for name in forms))
    curves = {name: certified_accuracy(r, grid) for name, (r, _, _) in forms.items()}
    for j, radius in enumerate(grid):
        line = f"{radius:>8.2f}" + "".join(f"{100 * curves[n][j]:>15.1f}%" for n in forms)
        print(line)
    print(
        f"{'passes':>8s}"
        + "".join(
            f"{100 * passes / (2 * budget * count):>15.1f}%" for _, passes, _ in forms.values()
        )
    )
    print(f"{'(abs.)':>8s}" + "".join(f"{passes:>16,d}" for _, passes, _ in forms.values()))
    print(f"{'time s':>8s}" + "".join(f"{s:>16.0f}" for _, _, s in forms.values()))
    for name in list(forms)[1:]:
        gap = max(abs(a - b) for a, b in zip(curves[name], curves["fixed N"], strict=True))
        print(f"{name}: largest certified-accuracy gap to fixed N {100 * gap:.1f} pp")
    at = grid.index(min(grid, key=lambda r: abs(r - median)))
    print(
        f"at the median radius {median:.2f}: fixed N {100 * curves['fixed N'][at]:.1f}%, "
        f"target form {100 * curves[list(forms)[1]][at]:.1f}%",
        flush=True,
    )
    oracle = lockstep_oracle(p_counts, q_counts, labels, radius_form, d, fixed_radii)
    print(
        f"lockstep oracle (every input keeps its fixed-N cell, P and Q stop together): "
        f"{100 * oracle / (2 * budget * count):.1f}% of the passes",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["demo", "lenet"], default="demo")
    parser.add_argument("--inputs", type=int, default=None)
    parser.add_argument("--n", type=int, default=None, help="budget N per run")
    parser.add_argument(
        "--final-share", type=float, default=SequentialSpec.final_share,
        help="share of each run's alpha for the last look",
    )  # fmt: skip
    parser.add_argument(
        "--counts", type=Path, default=None,
        help="recorded batches: read if the file exists, else drawn and written there",
    )  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(1)
    count = args.inputs or (500 if args.model == "demo" else 400)
    budget = args.n or (50_000 if args.model == "demo" else 20_000)
    run(args.model, count, budget, args.final_share, args.counts)


if __name__ == "__main__":
    main()
