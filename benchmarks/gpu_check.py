"""One short check of the CUDA path on a GPU machine, in one call.

Sections (each fails soft: its error is recorded and the next one runs):

1. ``environment``: torch, CUDA and cuDNN versions, the device, TF32 flags, ``nvidia-smi``.
2. ``sampler``: images/s of the bare forward against the sampler
   (:func:`dsrs_core.sampling.counts.draw_counts`: noise + shift + forward + argmax + counting) at
   the same batch size, on the registry's CIFAR ResNets (3×32×32) and ResNet-50
   (3×224×224), random weights, float32; measured by
   ``benchmarks/sampler_benchmark.py``'s ``bench_case`` (warm-up round, synchronised
   timing, fastest of ``--repeats`` rounds).
3. ``noise``: the device-only code of the noise samplers against scipy: the thresholded
   Q's inverse CDF by bisection (``_gamma_quantile_bisect``, used on a GPU only) against
   ``scipy.special.gammaincinv``; the bound ``‖ε‖ ≤ T`` of thresholded draws; and a
   Kolmogorov–Smirnov test of ``‖ε‖²/(2·scale²)`` against its Gamma (or truncated Gamma)
   law for Gaussian, generalized Gaussian and thresholded draws on the device (fixed seed).
4. ``job``: a short DSRS certification job through the embedded service (HTTP API on
   SQLite, chunks run in-process by the same ``certify_chunk`` a Celery worker runs) with
   ``DSRS_DEVICE`` from ``--job-device``: ResNet-110 with random weights, random inputs,
   predict mode. Wall time, per-row seconds, the device the worker's classifier cache
   holds, and whether every row has its certificate.

Prints a table per section; writes ``results.json`` and ``results.md`` under ``--out``.

Usage (from the repository root, the service installed)::

    python -m benchmarks.gpu_check --out /tmp/gpu-check                 # CUDA machine
    python -m benchmarks.gpu_check --out /tmp/gpu-check --tiny --device cpu   # dry run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.sampler_benchmark import Case, bench_case
from dsrs_core.config import NoiseSpec

PACKAGES = [
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "safetensors",
    "onnxruntime",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "pydantic-core",
    "pydantic-settings",
    "sqlalchemy",
    "alembic",
    "httpx",
    "anyio",
    "typing-extensions",
    "billiard",
    "dsrs",
    "dsrs-client",
]

CIFAR_GG = NoiseSpec("general-gaussian", 0.5, 1530)  # d = 3072: radial shape 6
IMAGENET_GG = NoiseSpec("general-gaussian", 0.5, 75260)  # d = 150528: radial shape 4
GAUSSIAN = NoiseSpec("gaussian", 0.5)


def sampler_cases(tiny: bool) -> list[Case]:
    """Model, noise, batch size, batches per timed round."""
    if tiny:
        return [
            Case("resnet20-cifar", GAUSSIAN, 16, 1),
            Case("resnet20-cifar", CIFAR_GG, 16, 1),
            Case("resnet50-imagenet", GAUSSIAN, 2, 1),
            Case("resnet50-imagenet", IMAGENET_GG, 2, 1),
        ]
    return [
        Case("resnet20-cifar", GAUSSIAN, 1000, 8),
        Case("resnet110-cifar", GAUSSIAN, 256, 8),
        Case("resnet110-cifar", GAUSSIAN, 1000, 4),
        Case("resnet110-cifar", CIFAR_GG, 1000, 4),
        Case("resnet50-imagenet", GAUSSIAN, 256, 2),
        Case("resnet50-imagenet", IMAGENET_GG, 256, 2),
        Case("resnet50-imagenet", GAUSSIAN, 1000, 1),
    ]


def section_environment(args: argparse.Namespace) -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "cuda_available": torch.cuda.is_available(),
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "cpu_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        info.update(
            device_name=torch.cuda.get_device_name(0),
            capability=".".join(map(str, torch.cuda.get_device_capability(0))),
            device_memory_gib=round(properties.total_memory / 2**30, 1),
            device_count=torch.cuda.device_count(),
        )
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info["packages"] = versions
    try:
        query = (
            "name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu,power.draw"
        )
        smi = subprocess.run(
            ["nvidia-smi", f"--query-gpu={query}", "--format=csv"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        info["nvidia_smi"] = (smi.stdout or smi.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        info["nvidia_smi"] = f"not run: {error}"
    for key, value in info.items():
        print(f"  {key}: {value}", flush=True)
    return info


def section_sampler(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device)
    rows, errors = [], []
    print(
        f"  {'model':<18} {'noise':<22} {'batch':>5} {'forward/s':>10} {'sampler/s':>10} "
        f"{'ratio':>6} {'paired':>6} {'noise-only/s':>12} {'s@N=1e5':>8}",
        flush=True,
    )
    for case in sampler_cases(args.tiny):
        started = time.perf_counter()
        try:
            row = asdict(bench_case(case, device, args.repeats))
        except Exception as error:  # noqa: BLE001 - recorded, the next case runs
            errors.append(f"{case.model} {case.noise} {case.batch_size}: {error!r}")
            print(f"  FAILED {case.model} batch {case.batch_size}: {error!r}", flush=True)
            traceback.print_exc()
            continue
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
        row["seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        print(
            f"  {row['model']:<18} {row['noise']:<22} {row['batch_size']:>5} "
            f"{row['forward_per_s']:>10.0f} {row['sampler_per_s']:>10.0f} {row['ratio']:>6.3f} "
            f"{row['ratio_paired']:>6.3f} {row['noise_only_per_s']:>12.0f} "
            f"{row['sampler_s_per_input_n100k']:>8.2f}",
            flush=True,
        )
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
        print(f"  peak device memory {peak:.1f} GiB", flush=True)
    return {"rows": rows, "errors": errors, "repeats": args.repeats}


def section_noise(args: argparse.Namespace) -> dict[str, Any]:
    from scipy import stats
    from scipy.special import gammainc, gammaincinv

    from dsrs_core.noise.samplers import (
        GaussianSampler,
        GeneralGaussianSampler,
        ThresholdedGeneralGaussianSampler,
        _gamma_quantile_bisect,
    )

    device = torch.device(args.device)
    generator = torch.Generator(device=device).manual_seed(1234)
    inverse = []
    # (radial shape a, percentile): CIFAR GG (6), ImageNet GG (4), Gaussian Q at CIFAR and
    # ImageNet size (a = d/2).
    for shape, percentile in [(6.0, 0.5), (6.0, 0.999), (4.0, 0.9), (1536.0, 0.7), (75264.0, 0.95)]:
        upper = float(stats.gamma.ppf(percentile, shape))
        target = torch.rand(4096, dtype=torch.float64, device=device, generator=generator)
        target.mul_(percentile)
        on_device = _gamma_quantile_bisect(shape, target, upper).cpu().numpy()
        reference = gammaincinv(shape, target.cpu().numpy())
        relative = float(np.max(np.abs(on_device - reference) / reference))
        cdf_gap = float(np.max(np.abs(gammainc(shape, on_device) - target.cpu().numpy())))
        inverse.append(
            {
                "shape": shape,
                "percentile": percentile,
                "max_rel_err_t": relative,
                "max_cdf_gap": cdf_gap,
            }
        )
        print(
            f"  bisection a={shape:<8g} pi={percentile:<6g} max rel err of t {relative:.2e}, "
            f"max |F(t) - u| {cdf_gap:.2e}",
            flush=True,
        )
    draws = 2_000 if args.tiny else 100_000
    laws = []
    for name, input_shape, sampler in [
        ("gaussian cifar", (3, 32, 32), GaussianSampler(0.5)),
        ("gg(a=6) cifar", (3, 32, 32), GeneralGaussianSampler(0.7, 6.0)),
        ("gg(a=4) imagenet", (3, 224, 224), GeneralGaussianSampler(0.7, 4.0)),
        (
            "thresholded gg(a=6, pi=0.9)",
            (3, 32, 32),
            ThresholdedGeneralGaussianSampler(0.7, 6.0, 0.9),
        ),
        (
            "thresholded gaussian(pi=0.7)",
            (3, 32, 32),
            ThresholdedGeneralGaussianSampler(0.5, 1536.0, 0.7),
        ),
    ]:
        dimension = math.prod(input_shape)
        count = draws if dimension < 10_000 else max(200, draws // 50)
        squared = []
        step = max(1, min(count, (1 << 28) // dimension))  # at most 1 GiB of float32 noise
        buffer = torch.empty((step, *input_shape), device=device)
        for start in range(0, count, step):
            piece = buffer[: min(step, count - start)]
            sampler.sample_(piece, generator)
            squared.append(
                torch.linalg.vector_norm(piece.flatten(1), dim=1, dtype=torch.float64)
                .square()
                .cpu()
                .numpy()
            )
        squared_norm = np.concatenate(squared)
        if isinstance(sampler, GaussianSampler):
            shape, scale = dimension / 2, sampler.sigma
        else:
            shape, scale = sampler.shape, sampler.scale
        t = squared_norm / (2 * scale**2)
        row = {"law": name, "draws": count, "dimension": dimension}
        if isinstance(sampler, ThresholdedGeneralGaussianSampler):
            b = sampler.threshold_t
            p = sampler.percentile
            ks = stats.kstest(
                t, lambda v, a=shape, b=b, p=p: stats.gamma.cdf(np.minimum(v, b), a) / p
            )
            row["max_norm_over_T"] = float(np.sqrt(squared_norm.max()) / sampler.threshold_radius)
        else:
            ks = stats.kstest(t, stats.gamma(shape).cdf)
        row.update(ks_statistic=float(ks.statistic), ks_pvalue=float(ks.pvalue))
        laws.append(row)
        extra = f", max ‖ε‖/T {row['max_norm_over_T']:.7f}" if "max_norm_over_T" in row else ""
        print(
            f"  law {name:<30} n={count:<7} KS D={ks.statistic:.4f} p={ks.pvalue:.3f}{extra}",
            flush=True,
        )
        del buffer
    return {"inverse_cdf": inverse, "laws": laws}


def section_job(args: argparse.Namespace) -> dict[str, Any]:
    from safetensors.torch import save_file

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_client import DsrsClient
    from dsrs_client.contract import InputsIn, JobCreate, NoiseIn, QIn
    from dsrs_models.registry import build_model
    from dsrs_settings import load_settings

    for variable in ("DSRS_DATABASE_URL", "DSRS_BROKER_URL"):
        os.environ.pop(variable, None)
    os.environ["DSRS_DEVICE"] = args.job_device
    count, n, n_selection, batch_size = (2, 200, 20, 100) if args.tiny else (8, 10_000, 100, 2000)
    work = Path(tempfile.mkdtemp(prefix="dsrs-gpu-check-"))
    settings = load_settings(storage_dir=work / "storage")
    result: dict[str, Any] = {
        "settings_device": settings.device,
        "embedded": settings.embedded,
        "inputs": count,
        "n": n,
        "n_selection": n_selection,
        "batch_size": batch_size,
        "model": "resnet110-cifar, random weights (torch.manual_seed(0))",
        "noise": "general-gaussian sigma 0.5 k 1530; Q threshold 'x'; alpha 0.001; predict",
    }
    print(
        f"  DSRS_DEVICE={args.job_device} -> settings.device={settings.device}, "
        f"embedded={settings.embedded}",
        flush=True,
    )
    torch.manual_seed(0)
    weights = work / "resnet110-random.safetensors"
    save_file(build_model("resnet110-cifar").network.state_dict(), str(weights))
    inputs = work / "inputs.npy"
    np.save(inputs, np.random.default_rng(0).random((count, 3, 32, 32), dtype=np.float32))
    started = time.perf_counter()
    with (
        running_server(create_app(settings)) as base_url,
        DsrsClient(base_url, timeout=120) as dsrs,
    ):
        result["server_start_s"] = round(time.perf_counter() - started, 2)
        model = dsrs.upload_model(weights, architecture="resnet110-cifar", name="random r110")
        input_set = dsrs.upload_inputs(inputs, name="random cifar-size inputs")
        submitted = time.perf_counter()
        job = dsrs.submit_job(
            JobCreate(
                model_id=model.id,
                inputs=InputsIn(input_set_id=input_set.id),
                mode="predict",
                noise=NoiseIn(family="general-gaussian", sigma=0.5, k=1530),
                q=QIn(threshold="x"),
                n_selection=n_selection,
                n=n,
                alpha=0.001,
                batch_size=batch_size,
                seed=0,
            )
        )
        job = dsrs.wait_for_job(
            job.id, timeout=args.job_timeout, poll_interval=0.2, raise_on_failure=False
        )
        result["job_wall_s"] = round(time.perf_counter() - submitted, 2)
        result["status"] = job.status
        result["error"] = job.error
        rows = dsrs.all_results(job.id) if job.status == "succeeded" else []
    from dsrs_worker.chunk_service import _DEFAULT_CACHE  # the embedded runner's cache

    result["classifier_devices"] = sorted({device for _, device in _DEFAULT_CACHE._entries})
    elapsed = [row.elapsed_s for row in rows] if rows and hasattr(rows[0], "elapsed_s") else []
    complete = [
        r
        for r in rows
        if r.np_radius is not None and r.dsrs_radius is not None and r.p_n == n and r.q_n == n
    ]
    result.update(
        rows=len(rows),
        rows_with_certificate=len(complete),
        certified_np=sum(r.np_radius > 0 for r in rows),
        certified_dsrs=sum((r.dsrs_radius or 0) > 0 for r in rows),
        q_fallbacks=sum(r.q_fallback for r in rows),
        radii=[
            {
                "prediction": r.prediction,
                "p_lower": r.p_lower,
                "np": r.np_radius,
                "dsrs": r.dsrs_radius,
                "reason": r.reason,
            }
            for r in rows
        ],
        row_seconds_total=round(sum(elapsed), 2) if elapsed else None,
        row_seconds_median=round(float(np.median(elapsed)), 3) if elapsed else None,
    )
    for key, value in result.items():
        print(f"  {key}: {value}", flush=True)
    if job.status != "succeeded" or len(complete) != count:
        raise RuntimeError(f"job {job.status}: {len(complete)} of {count} rows complete")
    return result


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "environment": section_environment,
    "sampler": section_sampler,
    "noise": section_noise,
    "job": section_job,
}


def markdown(results: dict[str, Any]) -> str:
    lines = ["# GPU check results", ""]
    env = results.get("environment", {})
    lines.append(
        f"device: {env.get('device_name')}; torch {env.get('torch')} (CUDA "
        f"{env.get('torch_cuda')}, cuDNN {env.get('cudnn')}); python {env.get('python')}"
    )
    lines += [
        "",
        (
            "| model | noise | batch | forward img/s | sampler img/s | ratio | paired "
            "| noise-only img/s | s per input at N=1e5 (sampler) |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results.get("sampler", {}).get("rows", []):
        lines.append(
            f"| {row['model']} | {row['noise']} | {row['batch_size']} | {row['forward_per_s']:.0f} "
            f"| {row['sampler_per_s']:.0f} | {row['ratio']:.3f} | {row['ratio_paired']:.3f} "
            f"| {row['noise_only_per_s']:.0f} | {row['sampler_s_per_input_n100k']:.2f} |"
        )
    for name, section in results.items():
        if isinstance(section, dict) and "failed" in section:
            lines += ["", f"section {name} FAILED: {section['failed']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for results.json / results.md")
    parser.add_argument("--device", default="cuda", help="device of sections 2 and 3")
    parser.add_argument(
        "--job-device", default=None, help="DSRS_DEVICE of the job (default --device)"
    )
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (CPU dry run)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per case")
    parser.add_argument("--job-timeout", type=float, default=180.0)
    parser.add_argument("--sections", nargs="*", default=list(SECTIONS))
    args = parser.parse_args(argv)
    args.job_device = args.job_device or args.device.split(":")[0]
    args.repeats = args.repeats or (1 if args.tiny else 5)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "argv": sys.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in args.sections:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            results[name] = SECTIONS[name](args)
        except Exception as error:  # noqa: BLE001 - fail soft: the other sections run
            traceback.print_exc()
            results[name] = {"failed": f"{type(error).__name__}: {error}"}
        results[name]["section_s"] = round(time.perf_counter() - started, 1)
        print(f"== {name} done in {results[name]['section_s']} s", flush=True)
        (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "results.md").write_text(markdown(results))
    print(markdown(results), flush=True)
    failed = [name for name in args.sections if "failed" in results[name]]
    print(f"failed sections: {failed or 'none'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
