"""``dsrs reproduce``: recompute NP and DSRS radii from a folder laid out like the
original's ``data/`` tree, write them in the original's formats and print the tables of
docs/math.md §6 (certified accuracy at radii in 0.25 steps, ACR).

Plan (:mod:`dsrs_cli.reproduce.plan`) → run (:mod:`dsrs_cli.reproduce.run`) → compare
(:mod:`dsrs_cli.reproduce.compare`) → print (:mod:`dsrs_cli.reproduce.tables`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from dsrs_cli.reproduce.plan import DATASETS, DISTS
from dsrs_client.contract.choices import Check

__all__ = ["reproduce"]


def reproduce(
    data: Annotated[Path, typer.Option("--data", help="folder laid out like the original's data/")],
    out: Annotated[Path, typer.Option("--out", help="where orig-radius/ and new-radius/ go")],
    model: Annotated[str | None, typer.Option("--model", help="model folder name")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="/".join(DATASETS))] = None,
    dist: Annotated[str | None, typer.Option("--dist", help="/".join(DISTS))] = None,
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
    check: Annotated[
        Check,
        typer.Option(
            "--check",
            help="proven: also prove every NP radius in interval arithmetic (proof mode, "
            "docs/math.md §7.5; seconds per instance, needs python-flint) and write "
            "OUT/proven-radius/",
        ),
    ] = "verified",
) -> None:
    """Recompute NP and DSRS radii from DIR/sampling/MODEL/… and write them (with time-*
    files) under OUT/orig-radius and OUT/new-radius, then print the tables (§6). Without
    the configuration options every configuration found in DIR is processed. With --check
    proven every NP radius is also proven (proof mode): OUT/proven-radius/MODEL/ gets the
    proven radii (0 where none is), their time-* file and proof-* (per instance: outcome,
    proven radius, enclosure of the dual bound minus 1/2, CPU seconds)."""
    from rich.console import Console

    from dsrs_cli.reproduce.compare import report_unmatched
    from dsrs_cli.reproduce.plan import DsrsConfig, ModelPlan, explicit_plan, plan_model
    from dsrs_cli.reproduce.run import run_plan
    from dsrs_cli.reproduce.tables import print_table

    console = Console()
    if not (data / "sampling").is_dir():
        raise typer.BadParameter(f"{data} has no sampling/ folder", param_hint="--data")
    if mode not in ("original", "exact"):
        raise typer.BadParameter("mode must be 'original' or 'exact'", param_hint="--mode")
    if dataset is not None and dataset not in DATASETS:
        raise typer.BadParameter(
            f"dataset must be one of {', '.join(DATASETS)}", param_hint="--dataset"
        )
    if dist is not None and dist not in DISTS:
        raise typer.BadParameter(f"dist must be one of {', '.join(DISTS)}", param_hint="--dist")
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
        plans.append(explicit_plan(data, model, dataset, dist, k, sigma, q, n, alpha, unit))
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
            plan = plan_model(data, name, dataset, k)
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
        arrays = run_plan(plan, data, out, mode, workers, compare, console, check)
        print_table(console, plan.model, arrays)
        if compare:
            report_unmatched(console, data, plan)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
