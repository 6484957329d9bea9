"""Throughput of the full sampler against the bare model forward, per model.

The sampler's cost per noisy copy is noise generation + adding the input + forward +
argmax + counting (:func:`dsrs_core.sampling.counts.draw_counts`, evaluate mode, no Q); the
floor is the bare forward of the same module on a fixed batch of the same size. The ratio
``sampler / forward`` is what noise and counting cost (1.0 = free). Weights are random:
throughput does not depend on them.

Also reported: the forward FLOPs of one certification with N = 100,000 noisy copies
(2 × multiply-accumulates of the conv / linear layers × N), and on a GPU the seconds per
input that N = 100,000 takes at the measured sampler and bare-forward rates.

With ``--sandbox`` (CPU): the cost of the inference sandbox that uploaded ONNX graphs run
in (:mod:`dsrs_models.inference_sandbox`). Each model is exported to ONNX
(:func:`dsrs_client.onnx_export.export_onnx`); the sampler's rate with that graph
in-process (:class:`~dsrs_models.adapters.OnnxClassifier`) is compared with the same graph
in the sandbox's child process (one child for all rounds, as for one chunk), under the
same onnxruntime thread count; ``overhead = 1 - sandboxed / in-process``. The child's
start (interpreter, imports, session: once per chunk) is reported on its own.

Usage::

    python -m benchmarks.sampler_benchmark                 # CPU, 2 threads
    python -m benchmarks.sampler_benchmark --device cuda --json results.json
    python -m benchmarks.sampler_benchmark --sandbox --models digits-mlp lenet-mnist
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from dsrs_core.config import CertificationConfig, NoiseSpec
from dsrs_core.sampling.counts import draw_counts
from dsrs_models.adapters import TorchClassifier
from dsrs_models.registry import build_model, get_architecture

#: N of one certification run for the FLOP floor.
CERTIFICATION_N = 100_000


@dataclass(frozen=True)
class Case:
    """One benchmark row: model, noise, batch size, batches per timed run."""

    model: str
    noise: NoiseSpec
    batch_size: int
    batches: int


CPU_CASES = [
    Case("digits-mlp", NoiseSpec("gaussian", 0.25), 8192, 8),
    Case("digits-mlp", NoiseSpec("general-gaussian", 0.25, 20), 8192, 8),
    Case("lenet-mnist", NoiseSpec("gaussian", 0.5), 256, 2),
    Case("lenet-mnist", NoiseSpec("general-gaussian", 0.5, 380), 256, 2),
    Case("resnet20-cifar", NoiseSpec("gaussian", 0.5), 256, 1),
    Case("resnet20-cifar", NoiseSpec("general-gaussian", 0.5, 1530), 256, 1),
    Case("resnet110-cifar", NoiseSpec("gaussian", 0.5), 128, 1),
    Case("resnet110-cifar", NoiseSpec("general-gaussian", 0.5, 1530), 128, 1),
]
GPU_BATCH_SIZES = {
    "digits-mlp": 65536,
    "lenet-mnist": 8192,
    "resnet20-cifar": 4096,
    "resnet110-cifar": 2048,
}


@dataclass(frozen=True)
class Row:
    model: str
    noise: str
    batch_size: int
    forward_per_s: float
    sampler_per_s: float
    ratio: float
    ratio_paired: float
    ratio_cpu: float
    noise_only_per_s: float
    ratio_from_parts: float
    gflop_per_input_n100k: float
    forward_s_per_input_n100k: float
    sampler_s_per_input_n100k: float


def forward_macs(module: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of conv and linear layers for one input (hooks on a forward)."""
    total = 0

    def conv_hook(layer: nn.Conv2d, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        kernel = layer.in_channels // layer.groups * layer.kernel_size[0] * layer.kernel_size[1]
        total += output[0].numel() * kernel

    def linear_hook(layer: nn.Linear, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        total += output[0].numel() * layer.in_features

    handles = []
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            handles.append(layer.register_forward_hook(conv_hook))
        elif isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(linear_hook))
    with torch.inference_mode():
        module(torch.zeros(1, *input_shape, device=next(module.parameters()).device))
    for handle in handles:
        handle.remove()
    return total


def _elapsed(run: Callable[[], None], device: torch.device) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one call of ``run``."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - start_cpu


def bench_case(case: Case, device: torch.device, repeats: int) -> Row:
    spec = get_architecture(case.model)
    module = build_model(case.model)
    classifier = TorchClassifier(module, num_classes=spec.num_classes, device=device)
    samples = case.batch_size * case.batches
    fixed = torch.rand(case.batch_size, *spec.input_shape, device=device)

    def forward() -> None:
        with torch.inference_mode():
            for _ in range(case.batches):
                classifier.module(fixed)

    x = torch.rand(*spec.input_shape, device=device)
    config = CertificationConfig(case.noise, n=samples)
    generator = torch.Generator(device=device).manual_seed(0)

    def sample() -> None:
        draw_counts(classifier, x, config, label=0, generator=generator, batch_size=case.batch_size)

    # The sampler's own work without the model: a classifier that answers at once.
    answers = torch.zeros(case.batch_size, dtype=torch.long, device=device)

    class NoModel:
        num_classes = spec.num_classes
        dtype = classifier.dtype

        def __call__(self, batch: torch.Tensor) -> torch.Tensor:
            return answers[: batch.shape[0]]

    def overhead() -> None:
        draw_counts(NoModel(), x, config, label=0, generator=generator, batch_size=case.batch_size)

    # Rounds alternate the measurements so that load from other processes hits all of
    # them; each rate uses its fastest round (the least disturbed one, as timeit does).
    forward(), sample(), overhead()  # warm-up
    forward_times, sampler_times, overhead_times = [], [], []
    forward_cpu, sampler_cpu = [], []
    for _ in range(repeats):
        wall, cpu = _elapsed(forward, device)
        forward_times.append(wall)
        forward_cpu.append(cpu)
        wall, cpu = _elapsed(sample, device)
        sampler_times.append(wall)
        sampler_cpu.append(cpu)
        overhead_times.append(_elapsed(overhead, device)[0])
    forward_rate = samples / min(forward_times)
    sampler_rate = samples / min(sampler_times)
    overhead_s = min(overhead_times)
    macs = forward_macs(classifier.module, spec.input_shape)
    noise = case.noise.family + (f"(k={case.noise.k})" if case.noise.k else "")
    return Row(
        model=case.model,
        noise=noise,
        batch_size=case.batch_size,
        forward_per_s=forward_rate,
        sampler_per_s=sampler_rate,
        ratio=sampler_rate / forward_rate,
        ratio_paired=statistics.median(
            f / t for f, t in zip(forward_times, sampler_times, strict=True)
        ),
        ratio_cpu=min(forward_cpu) / min(sampler_cpu),
        noise_only_per_s=samples / overhead_s,
        ratio_from_parts=min(forward_times) / (min(forward_times) + overhead_s),
        gflop_per_input_n100k=2 * macs * CERTIFICATION_N / 1e9,
        forward_s_per_input_n100k=CERTIFICATION_N / forward_rate,
        sampler_s_per_input_n100k=CERTIFICATION_N / sampler_rate,
    )


@dataclass(frozen=True)
class SandboxRow:
    model: str
    noise: str
    batch_size: int
    torch_per_s: float
    onnx_per_s: float
    sandboxed_per_s: float
    overhead: float
    overhead_paired: float
    child_start_s: float


def bench_sandbox(case: Case, threads: int, repeats: int) -> SandboxRow:
    """The sampler with the case's model as an ONNX graph, in-process and sandboxed."""
    import tempfile
    from pathlib import Path

    from dsrs_client.onnx_export import export_onnx
    from dsrs_models.inference_sandbox import InferenceLimits, SandboxedClassifier
    from dsrs_models.onnx_loading import load_onnx_classifier

    spec = get_architecture(case.model)
    module = build_model(case.model).eval()
    exported = export_onnx(module, torch.rand(*spec.input_shape))
    in_process = load_onnx_classifier(exported.onnx_bytes, intra_op_threads=threads)
    torch_classifier = TorchClassifier(module, num_classes=spec.num_classes)
    samples = case.batch_size * case.batches
    x = torch.rand(*spec.input_shape)
    config = CertificationConfig(case.noise, n=samples)
    limits = InferenceLimits(4 * 1024**3, 600.0, 3600.0, threads)

    def sampler(classifier: object) -> Callable[[], None]:
        def run() -> None:
            generator = torch.Generator().manual_seed(0)
            draw_counts(
                classifier, x, config, label=0, generator=generator, batch_size=case.batch_size
            )

        return run

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.onnx"
        path.write_bytes(exported.onnx_bytes)
        with SandboxedClassifier(path, spec.input_shape, spec.num_classes, limits) as boxed:
            start = time.perf_counter()
            boxed(torch.zeros(case.batch_size, *spec.input_shape))  # starts the child
            child_start = time.perf_counter() - start
            runs = {
                "torch": sampler(torch_classifier),
                "onnx": sampler(in_process),
                "sandboxed": sampler(boxed),
            }
            for run in runs.values():
                run()  # warm-up
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(repeats):  # alternating rounds, as in bench_case
                for name, run in runs.items():
                    times[name].append(_elapsed(run, torch.device("cpu"))[0])
    rate = {name: samples / min(values) for name, values in times.items()}
    noise = case.noise.family + (f"(k={case.noise.k})" if case.noise.k else "")
    return SandboxRow(
        model=case.model,
        noise=noise,
        batch_size=case.batch_size,
        torch_per_s=rate["torch"],
        onnx_per_s=rate["onnx"],
        sandboxed_per_s=rate["sandboxed"],
        overhead=1 - rate["sandboxed"] / rate["onnx"],
        overhead_paired=statistics.median(
            1 - o / s for o, s in zip(times["onnx"], times["sandboxed"], strict=True)
        ),
        child_start_s=child_start,
    )


def main_sandbox(args: argparse.Namespace) -> list[SandboxRow]:
    cases = [c for c in CPU_CASES if c.model in (args.models or ["digits-mlp", "lenet-mnist"])]
    print(f"sandbox overhead, threads={args.threads} torch={torch.__version__}")
    print(
        f"{'model':<16} {'noise':<24} {'batch':>6} {'torch/s':>10} {'onnx/s':>10} "
        f"{'sandbox/s':>10} {'overhead':>9} {'paired':>7} {'child start s':>14}"
    )
    rows = []
    for case in cases:
        row = bench_sandbox(case, args.threads, args.repeats)
        rows.append(row)
        print(
            f"{row.model:<16} {row.noise:<24} {row.batch_size:>6} {row.torch_per_s:>10.0f} "
            f"{row.onnx_per_s:>10.0f} {row.sandboxed_per_s:>10.0f} {row.overhead:>9.1%} "
            f"{row.overhead_paired:>7.1%} {row.child_start_s:>14.2f}",
            flush=True,
        )
    print(
        "overhead = 1 - sandbox/s over onnx/s (the same graph in-process), each at its "
        "fastest round; paired = median over rounds measured back to back; child start = "
        "the first batch of a chunk (interpreter, imports, session), paid once per chunk."
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in rows], handle, indent=2)
    return rows


def main(argv: list[str] | None = None) -> list[Row] | list[SandboxRow]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds per case")
    parser.add_argument("--models", nargs="*", help="subset of models")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument(
        "--sandbox", action="store_true", help="the inference sandbox's overhead (CPU, ONNX)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.sandbox:
        return main_sandbox(args)
    device = torch.device(args.device)
    cases = CPU_CASES
    if device.type == "cuda":
        cases = [Case(c.model, c.noise, GPU_BATCH_SIZES[c.model], 20) for c in CPU_CASES]
    if args.models:
        cases = [c for c in cases if c.model in args.models]
    rows = []
    print(f"device={device} threads={torch.get_num_threads()} torch={torch.__version__}")
    header = (
        f"{'model':<16} {'noise':<24} {'batch':>6} {'forward/s':>10} {'sampler/s':>10} "
        f"{'ratio':>6} {'paired':>6} {'cpu':>6} {'noise-only/s':>12} {'ratio*':>6} "
        f"{'GFLOP@1e5':>10} "
        f"{'s@1e5 fwd':>10} {'s@1e5 smp':>10}"
    )
    print(header)
    for case in cases:
        row = bench_case(case, device, args.repeats)
        rows.append(row)
        print(
            f"{row.model:<16} {row.noise:<24} {row.batch_size:>6} {row.forward_per_s:>10.0f} "
            f"{row.sampler_per_s:>10.0f} {row.ratio:>6.3f} {row.ratio_paired:>6.3f} "
            f"{row.ratio_cpu:>6.3f} "
            f"{row.noise_only_per_s:>12.0f} "
            f"{row.ratio_from_parts:>6.3f} {row.gflop_per_input_n100k:>10.1f} "
            f"{row.forward_s_per_input_n100k:>10.2f} {row.sampler_s_per_input_n100k:>10.2f}",
            flush=True,
        )
    print(
        "ratio = sampler/s over forward/s, each at its fastest round; paired = median over "
        "rounds of forward time / sampler time measured back to back; cpu = the same ratio in "
        "process CPU seconds (insensitive to time spent descheduled); ratio* = forward time "
        "over forward time plus the sampler's time with an instant classifier (noise, shift, "
        "counting): the least sensitive to load from other processes."
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in rows], handle, indent=2)
    return rows


if __name__ == "__main__":
    main()
