"""End-to-end soundness of fixed-N and sequential certification against a known truth.

The base classifier is linear, ``f(x) = 1 if w·x > b else 0``, exported to ONNX and run by
onnxruntime through the same loader as an uploaded model. Under any radially symmetric noise
``Pr[f(x + ε) = 1] = Pr[⟨ε, w/‖w‖⟩ > −(w·x − b)/‖w‖] > 1/2`` exactly when ``w·x > b``,
so the smoothed classifier's decision boundary is the hyperplane and the true robust radius
of ``x`` is its distance ``|w·x − b| / ‖w‖``. A certified radius above it is a violation;
the fraction of violations must stay at most alpha (here 0.1, large so that violations
would show).

Configurations (d = 64, inputs 1×8×8):

* NP with Gaussian P (sigma 0.25): the NP certificate is *tight* for a half-space, so the
  violation rate is close to its bound (about alpha/2, the lower tail of the two-sided CP).
* DSRS with GG P (sigma 0.25, k = 20) and Q of sigma 0.2 (the demo's configuration).

Each is run fixed-N and sequential (target-radius form at the median true distance, and
radius form with tolerance 0.05), all with the same budget N per run, and sequential with
the job defaults (radius form, tolerance one grid unit = 0.05 sigma, first look 1000,
default radius search) with a budget of 10 000 per run.

``baseline …`` rows: the same-cost NP baseline of a sequential DSRS job (docs/sequential.md
§7; :func:`dsrs_core.evaluation.equal_budget.sequential_baseline_config`): an independent sequential
NP run with budget 2N, all of alpha, its own looks, for the DSRS configuration above (GG P)
and for the same job with a Gaussian P (where NP is tight for a half-space, so its
violation rate sits near its bound and would show a schedule that spent too much alpha).

Run: ``.venv/bin/python -m benchmarks.sequential_soundness_benchmark [--inputs 2000]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from dsrs_core.config import (
    CertificationConfig,
    NoiseSpec,
    QSpec,
    RadiusSearch,
    SequentialSpec,
)
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.evaluation.equal_budget import sequential_baseline_config
from dsrs_core.sampling.sequential_draws import draw_sequential_counts

SHAPE = (1, 8, 8)
DIMENSION = 64
ALPHA = 0.1
BUDGET = 4000
FIRST_LOOK = 250
BATCH = 250
#: Budget of the rows with the job defaults (first look 1000, growth 1.25: looks 1000, 2000,
#: 3000, 4000, 5000, 7000, 10 000).
DEFAULT_FORM_BUDGET = 10_000


def linear_onnx(w: np.ndarray, b: float) -> bytes:
    """ONNX bytes of the two-class linear classifier: logits ``(−s, s)``, ``s = w·x − b``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.stack([-w, w], axis=1).astype(np.float32)  # (64, 2)
    bias = np.array([b, -b], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["x"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "W"], ["scores"]),
            helper.make_node("Add", ["scores", "B"], ["logits"]),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *SHAPE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


@dataclass(frozen=True)
class Problem:
    """Inputs with known true radii around one hyperplane."""

    inputs: np.ndarray  # (n, 1, 8, 8) float32
    labels: np.ndarray  # side of the hyperplane, 0/1
    distances: np.ndarray  # true robust radius
    onnx_bytes: bytes


def make_problem(count: int, seed: int = 0, sigma: float = 0.25) -> Problem:
    """Inputs at signed distances whose pA under N(0, sigma²) spans (0.6, 0.999)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=DIMENSION)
    w /= np.linalg.norm(w)
    b = 0.3
    signed = rng.uniform(0.25, 3.0, size=count) * sigma * rng.choice([-1.0, 1.0], size=count)
    base = rng.uniform(0.0, 1.0, size=(count, DIMENSION))
    base -= np.outer(base @ w - b, w)  # on the hyperplane
    x = base + np.outer(signed, w)
    # float32 rounding moves a point by ~1e-7: recompute the distance from what is stored.
    x32 = x.astype(np.float32)
    score = x32.astype(np.float64) @ w - b
    return Problem(
        x32.reshape(count, *SHAPE),
        (score > 0).astype(np.int64),
        np.abs(score),
        linear_onnx(w, b),
    )


def configurations(target: float) -> dict[str, CertificationConfig]:
    np_config = CertificationConfig(p=NoiseSpec("gaussian", 0.25), n=BUDGET, alpha=ALPHA)
    dsrs_config = CertificationConfig(
        p=NoiseSpec("general-gaussian", 0.25, 20),
        q=QSpec(sigma=0.2),
        n=BUDGET,
        alpha=ALPHA,
        search=RadiusSearch("grid", unit=0.01),
    )
    target_form = SequentialSpec(target_radii=(target,), first_look=FIRST_LOOK)
    radius_form = SequentialSpec(tolerance=0.05, first_look=FIRST_LOOK)
    out = {}
    for name, config in (("NP", np_config), ("DSRS", dsrs_config)):
        out[f"{name} fixed-N"] = config
        out[f"{name} sequential, target R={target:.3f}"] = replace(config, sequential=target_form)
        out[f"{name} sequential, radius tol 0.05"] = replace(config, sequential=radius_form)
        # The job defaults: radius form, tolerance one grid unit (0.05 sigma), default looks,
        # default radius search, budget DEFAULT_FORM_BUDGET.
        default = replace(config, n=DEFAULT_FORM_BUDGET, search=RadiusSearch())
        unit = default.search.grid_unit(default.p.sigma)
        out[f"{name} sequential, defaults (tol {unit:g})"] = replace(
            default, sequential=SequentialSpec(tolerance=unit)
        )
    gaussian_dsrs = replace(np_config, q=QSpec(sigma=0.2))
    for p_name, job in (("GG P", dsrs_config), ("Gaussian P", gaussian_dsrs)):
        for form_name, form in (
            (f"target R={target:.3f}", target_form),
            ("radius tol 0.05", radius_form),
        ):
            job_config = replace(job, sequential=form)
            out[f"baseline sequential-np ({p_name}), {form_name}"] = sequential_baseline_config(
                job_config
            )
    return out


@dataclass(frozen=True)
class Row:
    name: str
    inputs: int
    violations: int
    forward_passes: int
    budget_passes: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.violations / self.inputs


def evaluate(problem: Problem, name: str, config: CertificationConfig, seed: int = 1) -> Row:
    from dsrs_models.onnx_loading import load_onnx_classifier

    classifier = load_onnx_classifier(problem.onnx_bytes, input_shape=SHAPE, num_classes=2)
    started = time.perf_counter()
    labels = [int(v) for v in problem.labels]
    seeds = [seed * 1_000_003 + i for i in range(len(labels))]
    counts = draw_sequential_counts(
        classifier,
        torch.from_numpy(problem.inputs),
        config,
        labels=labels,
        seeds=seeds,
        batch_size=BATCH,
    )
    violations = 0
    passes = 0
    for c, distance in zip(counts, problem.distances, strict=True):
        certificate = certificate_from_counts(c, config, DIMENSION)
        radius = certificate.dsrs_radius if config.q is not None else certificate.np_radius
        violations += int(certificate.prediction is not None and (radius or 0.0) > distance)
        passes += c.p_n + (c.q_n or 0)
    runs = 2 if config.q is not None else 1
    return Row(
        name,
        len(counts),
        violations,
        passes,
        runs * config.n * len(counts),
        time.perf_counter() - started,
    )


def soundness_rows(count: int, names: list[str] | None = None, seed: int = 0) -> list[Row]:
    problem = make_problem(count, seed)
    target = float(np.median(problem.distances))
    configs = configurations(target)
    return [
        evaluate(problem, name, config)
        for name, config in configs.items()
        if names is None or any(name.startswith(n) for n in names)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument(
        "--only", nargs="*", help="configuration name prefixes (NP, DSRS, baseline)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"alpha = {ALPHA}, budget N = {BUDGET} per run, {args.inputs} inputs, d = {DIMENSION}")
    print(f"{'configuration':56s} {'violations':>10s} {'rate':>7s} {'passes':>8s} {'s':>6s}")
    for row in soundness_rows(args.inputs, args.only):
        print(
            f"{row.name:56s} {row.violations:>10d} {row.rate:>7.4f} "
            f"{row.forward_passes / row.budget_passes:>7.1%} {row.seconds:>6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
