"""``dsrs reproduce``: recompute NP and DSRS radii from a folder laid out like the
original's ``data/`` tree, write them in the original's formats and print the tables of
dsrs-math.md §6 (certified accuracy at radii in 0.25 steps, ACR)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from dsrs_cli.main import app

__all__ = ["reproduce"]

_DATASETS = ("mnist", "cifar10", "imagenet", "tinyimagenet")
_DISTS = ("general-gaussian", "general-gaussian-th")
_TABLE_STEP = 0.25


@dataclass(frozen=True)
class DsrsConfig:
    """One new-radius file to produce: P file + Q parameter + grid unit."""

    model: str
    dataset: str
    p_name: str
    q_name: str
    q_param: str
    thresholded: bool
    unit: float


@dataclass(frozen=True)
class ModelPlan:
    model: str
    dataset: str
    k: int
    sigma_text: str
    np_files: tuple[str, ...]
    dsrs: tuple[DsrsConfig, ...]


def _float_text(value: str) -> str:
    """A number as Python prints floats (the original's file names: ``1.0``, ``0.25``)."""
    return str(float(value))


def _default_unit(q_param: str, thresholded: bool, sigma: float) -> float:
    """Published grid units (dsrs-math.md §5): x/x+ 0.01; s_Q files 0.05 except s = 0.25."""
    if thresholded and q_param in ("x", "x+", "x2", "x2+"):
        return 0.01
    return 0.01 if abs(sigma - 0.25) < 1e-12 else 0.05


def _infer_unit(published: Path, fallback: float) -> float:
    """Largest of 0.05 / 0.01 on whose grid every improved published radius lies."""
    if not published.exists():
        return fallback
    lines = [line.split() for line in published.read_text().splitlines() if line.strip()]
    improved = [float(f[1]) for f in lines if len(f) >= 3 and float(f[2]) > 1e-12]
    if not improved:
        return fallback
    for unit in (0.05, 0.01):
        if all(abs(r / unit - round(r / unit)) < 1e-6 for r in improved):
            return unit
    return fallback


def _plan_model(data: Path, model: str, dataset: str | None, k: int | None) -> ModelPlan | None:
    from dsrs_cli.published_files import parse_model_name, parse_sampling_name

    parsed = parse_model_name(model)
    if parsed is None and (dataset is None or k is None):
        return None
    dataset = dataset or (parsed.dataset if parsed else None)
    files = [
        (f.name, parse_sampling_name(f.name))
        for f in sorted((data / "sampling" / model).glob("*.txt"))
    ]
    files = [(n, s) for n, s in files if s is not None and s.dist == "general-gaussian"]
    if not files:
        return None
    if parsed is not None:
        sigma = float(parsed.sigma)
        k_value = int(parsed.k)
    else:
        assert k is not None
        k_value = k
        sigma = min(float(s.sigma) for _, s in files if s.threshold is None)
    p_files = [
        (n, s) for n, s in files if s.threshold is None and abs(float(s.sigma) - sigma) < 1e-9
    ]
    if not p_files:
        return None
    sigma_text = p_files[0][1].sigma
    np_files = tuple(n for n, _ in p_files)
    dsrs: list[DsrsConfig] = []
    for p_name, p in p_files:
        for q_name, q in files:
            if (q.n, q.alpha, q.k) != (p.n, p.alpha, p.k) or q_name == p_name:
                continue
            if q.threshold is not None and q.sigma == p.sigma:
                param, th = q.threshold, True
            elif q.threshold is None:
                param, th = q.sigma, False
            else:
                continue
            from dsrs_cli.published_files import new_radius_name

            published = data / "new-radius" / model / new_radius_name(p, param, th)
            unit = _infer_unit(published, _default_unit(param, th, sigma))
            dsrs.append(DsrsConfig(model, dataset, p_name, q_name, param, th, unit))
    return ModelPlan(model, dataset, k_value, sigma_text, np_files, tuple(dsrs))


def _explicit_plan(
    data: Path,
    model: str,
    dataset: str,
    dist: str,
    k: int,
    sigma: str,
    q: str,
    n: int,
    alpha: str,
    unit: float | None,
) -> ModelPlan:
    from dsrs_cli.published_files import new_radius_name, parse_sampling_name

    s_text, a_text = _float_text(sigma), _float_text(alpha)
    p_name = f"general-gaussian-{k}-{s_text}-{n}-{a_text}.txt"
    thresholded = dist == "general-gaussian-th"
    if thresholded:
        param = q if q in ("x", "x+") else _float_text(q)
        q_name = f"general-gaussian-{k}-{s_text}-{n}-{a_text}-{param}.txt"
    else:
        param = _float_text(q)
        q_name = f"general-gaussian-{k}-{param}-{n}-{a_text}.txt"
    folder = data / "sampling" / model
    for name in (p_name, q_name):
        if not (folder / name).is_file():
            raise typer.BadParameter(f"sampling file not found: {folder / name}")
    p = parse_sampling_name(p_name)
    assert p is not None
    if unit is None:
        published = data / "new-radius" / model / new_radius_name(p, param, thresholded)
        unit = _infer_unit(published, _default_unit(param, thresholded, float(sigma)))
    config = DsrsConfig(model, dataset, p_name, q_name, param, thresholded, unit)
    return ModelPlan(model, dataset, k, s_text, (p_name,), (config,))


def _certified_accuracy_row(radii: list[float], top: float) -> tuple[float, list[float]]:
    from dsrs_core.evaluation import average_certified_radius, certified_accuracy

    steps = [i * _TABLE_STEP for i in range(int(top / _TABLE_STEP + 1e-9) + 1)]
    return average_certified_radius(radii), certified_accuracy(radii, steps)


def _run_plan(
    plan: ModelPlan, data: Path, out: Path, mode: str, workers: int, compare: bool, console
) -> list[tuple[str, list[float]]]:
    """Compute and write every file of one model; return named radius arrays for tables."""
    from dsrs_cli.published_files import (
        new_radius_name,
        orig_radius_name,
        parse_sampling_name,
        read_sampling,
        write_new_radius,
        write_orig_radius,
    )
    from dsrs_cli.reproduce_jobs import NoiseSetup, dsrs_radii, np_radii
    from dsrs_client.contract import DATASETS
    from dsrs_core.config import QSpec, RadiusSearch

    dimension = DATASETS[plan.dataset].dimension
    setup = NoiseSetup("general-gaussian", dimension, plan.k, float(plan.sigma_text))
    sampling = data / "sampling" / plan.model
    orig: dict[str, dict[int, float]] = {}
    arrays: list[tuple[str, list[float]]] = []
    for name in plan.np_files:
        p_file = parse_sampling_name(name)
        assert p_file is not None
        started = time.perf_counter()
        intervals = read_sampling(sampling / name)
        results = np_radii(setup, {i: lo for i, (lo, _) in intervals.items()}, workers)
        radii = {i: r.radius for i, r in results.items()}
        orig[name] = radii
        out_name = orig_radius_name(p_file)
        write_orig_radius(
            out / "orig-radius" / plan.model,
            out_name,
            radii,
            {i: r.seconds for i, r in results.items()},
        )
        console.print(
            f"[green]wrote[/] orig-radius/{plan.model}/{out_name} "
            f"({len(radii)} instances, {time.perf_counter() - started:.1f} s)"
        )
        if compare:
            _compare_np(console, data / "orig-radius" / plan.model / out_name, radii)
        if p_file.n == "100000":
            arrays.append(
                (
                    f"NP baseline (N={p_file.n}, alpha={p_file.alpha})",
                    [radii[i] for i in sorted(radii)],
                )
            )
    for config in plan.dsrs:
        p_file = parse_sampling_name(config.p_name)
        assert p_file is not None
        started = time.perf_counter()
        p_int = read_sampling(sampling / config.p_name)
        q_int = read_sampling(sampling / config.q_name)
        qspec = (
            QSpec(
                threshold=config.q_param if config.q_param in ("x", "x+") else float(config.q_param)
            )
            if config.thresholded
            else QSpec(sigma=float(config.q_param))
        )
        search = RadiusSearch(method="grid", unit=config.unit, mode=mode)
        base = orig[config.p_name]
        results = dsrs_radii(setup, qspec, search, p_int, q_int, base, workers)
        new = {i: r.radius for i, r in results.items()}
        out_name = new_radius_name(p_file, config.q_param, config.thresholded)
        write_new_radius(
            out / "new-radius" / plan.model,
            out_name,
            new,
            base,
            {i: r.seconds for i, r in results.items()},
        )
        console.print(
            f"[green]wrote[/] new-radius/{plan.model}/{out_name} (unit {config.unit}, "
            f"{time.perf_counter() - started:.1f} s)"
        )
        if compare:
            _compare_dsrs(
                console, data / "new-radius" / plan.model / out_name, new, results, config.unit
            )
        label = (
            f"DSRS Q={config.q_param}{' (th)' if config.thresholded else ''} "
            f"[{mode}, u={config.unit}]"
        )
        arrays.append((label, [max(new[i], base[i]) for i in sorted(new)]))
    return arrays


def _compare_np(console, published: Path, radii: dict[int, float]) -> None:
    from dsrs_cli.published_files import read_radius_file

    if not published.exists():
        return
    ref = read_radius_file(published)
    common = [i for i in radii if i in ref]
    worst = max((abs(radii[i] - ref[i]) for i in common), default=0.0)
    within = sum(abs(radii[i] - ref[i]) <= 1e-5 for i in common)
    console.print(
        f"  vs published: {within}/{len(common)} NP radii within 1e-5 (max |diff| {worst:.2e})"
    )


def _compare_dsrs(console, published: Path, new: dict[int, float], results, unit: float) -> None:
    from dsrs_cli.published_files import read_radius_file

    if not published.exists():
        return
    ref = read_radius_file(published)
    common = [i for i in new if i in ref]
    differ = [i for i in common if abs(new[i] - ref[i]) > 1e-5]
    worst = max((abs(new[i] - ref[i]) for i in common), default=0.0)
    share = 100.0 * (len(common) - len(differ)) / max(len(common), 1)
    console.print(
        f"  vs published: {len(common) - len(differ)}/{len(common)} same radius "
        f"({share:.1f}%), max |diff| {worst:.4g} ({worst / unit:.2f} units)"
    )
    for i in differ[:20]:
        console.print(
            f"    index {i}: ours {new[i]:.6g}, published {ref[i]:.6g} — {results[i].reason}"
        )
    if len(differ) > 20:
        console.print(f"    … {len(differ) - 20} more")


def _report_unmatched(console, data: Path, plan: ModelPlan) -> None:
    """Published new-radius files of this model that no sampling data here can recompute."""
    from dsrs_cli.published_files import new_radius_name, parse_sampling_name

    made = set()
    for config in plan.dsrs:
        p_file = parse_sampling_name(config.p_name)
        assert p_file is not None
        made.add(new_radius_name(p_file, config.q_param, config.thresholded))
    folder = data / "new-radius" / plan.model
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("new-rad-*.txt")):
        if path.name not in made:
            console.print(
                f"[yellow]not recomputed[/] new-radius/{plan.model}/{path.name}: "
                "its Q sampling file is not in the data folder"
            )


def _print_table(console, model: str, arrays: list[tuple[str, list[float]]]) -> None:
    """One column per method; rows: ACR, then certified accuracy at R = 0, 0.25, …"""
    from rich.table import Table

    if not arrays:
        return
    top = max(max(r) if r else 0.0 for _, r in arrays)
    table = Table(title=f"{model}: ACR and certified accuracy (%) at radius R")
    table.add_column("R", justify="right")
    rows = [_certified_accuracy_row(radii, top) for _, radii in arrays]
    for name, _ in arrays:
        table.add_column(name, justify="right")
    table.add_row("ACR", *[f"{acr:.4f}" for acr, _ in rows])
    for j in range(len(rows[0][1])):
        table.add_row(f"{j * _TABLE_STEP:.2f}", *[f"{100 * acc[j]:.1f}" for _, acc in rows])
    console.print(table)


@app.command()
def reproduce(
    data: Annotated[Path, typer.Option("--data", help="folder laid out like the original's data/")],
    out: Annotated[Path, typer.Option("--out", help="where orig-radius/ and new-radius/ go")],
    model: Annotated[str | None, typer.Option("--model", help="model folder name")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="/".join(_DATASETS))] = None,
    dist: Annotated[str | None, typer.Option("--dist", help="/".join(_DISTS))] = None,
    k: Annotated[int | None, typer.Option("--k", help="generalized-Gaussian k")] = None,
    sigma: Annotated[str | None, typer.Option("--sigma", help="P sigma as in file names")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Q sigma, or percentile / x / x+")] = None,
    n: Annotated[int, typer.Option("--N", help="samples of the P and Q runs")] = 50000,
    alpha: Annotated[str, typer.Option("--alpha", help="alpha of each run")] = "0.0005",
    unit: Annotated[
        float | None, typer.Option("--unit", help="grid unit (default: inferred)")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="original / exact")] = "original",
    workers: Annotated[int, typer.Option("--workers", help="processes")] = 2,
    compare: Annotated[bool, typer.Option(help="compare with radius files found in --data")] = True,
) -> None:
    """Recompute NP and DSRS radii from DIR/sampling/MODEL/… and write them (with time-*
    files) under OUT/orig-radius and OUT/new-radius, then print the tables (§6). Without
    the configuration options every configuration found in DIR is processed."""
    from rich.console import Console

    console = Console()
    if not (data / "sampling").is_dir():
        raise typer.BadParameter(f"{data} has no sampling/ folder", param_hint="--data")
    if mode not in ("original", "exact"):
        raise typer.BadParameter("mode must be 'original' or 'exact'", param_hint="--mode")
    if dataset is not None and dataset not in _DATASETS:
        raise typer.BadParameter(
            f"dataset must be one of {', '.join(_DATASETS)}", param_hint="--dataset"
        )
    if dist is not None and dist not in _DISTS:
        raise typer.BadParameter(f"dist must be one of {', '.join(_DISTS)}", param_hint="--dist")
    if unit is not None and not 0.0 < unit <= 10.0:
        raise typer.BadParameter("unit must lie in (0, 10]", param_hint="--unit")
    if workers < 1:
        raise typer.BadParameter("workers must be at least 1", param_hint="--workers")
    explicit = [dist, k, sigma, q]
    plans: list[ModelPlan] = []
    if any(v is not None for v in explicit):
        if model is None or dataset is None or any(v is None for v in explicit):
            raise typer.BadParameter(
                "an explicit configuration needs --model, --dataset, --dist, --k, --sigma "
                "and --q (omit all of them to discover every configuration)"
            )
        assert dist is not None and k is not None and sigma is not None and q is not None
        try:
            float(sigma), float(alpha)
            if not (dist == "general-gaussian-th" and q in ("x", "x+")):
                value = float(q)
                if dist == "general-gaussian-th" and not 0.0 < value < 1.0:
                    raise ValueError
        except ValueError:
            raise typer.BadParameter(
                f"bad number in --sigma/--alpha/--q: {sigma!r}, {alpha!r}, {q!r}"
            ) from None
        plans.append(_explicit_plan(data, model, dataset, dist, k, sigma, q, n, alpha, unit))
    else:
        models = (
            [model]
            if model
            else sorted(p.name for p in (data / "sampling").iterdir() if p.is_dir())
        )
        for name in models:
            if not (data / "sampling" / name).is_dir():
                raise typer.BadParameter(
                    f"no sampling folder for model {name!r}", param_hint="--model"
                )
            plan = _plan_model(data, name, dataset, k)
            if plan is None:
                console.print(f"[yellow]skipped[/] {name}: no recognisable sampling files")
                continue
            if unit is not None:
                plan = ModelPlan(
                    plan.model,
                    plan.dataset,
                    plan.k,
                    plan.sigma_text,
                    plan.np_files,
                    tuple(
                        DsrsConfig(
                            c.model, c.dataset, c.p_name, c.q_name, c.q_param, c.thresholded, unit
                        )
                        for c in plan.dsrs
                    ),
                )
            plans.append(plan)
    if not plans:
        raise typer.BadParameter(
            f"no configuration found under {data / 'sampling'}", param_hint="--data"
        )
    started = time.perf_counter()
    for plan in plans:
        arrays = _run_plan(plan, data, out, mode, workers, compare, console)
        _print_table(console, plan.model, arrays)
        if compare:
            _report_unmatched(console, data, plan)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
