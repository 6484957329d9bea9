"""``dsrs plan``: the largest radius a budget can certify and what it costs, before any
GPU time is spent (:mod:`dsrs_core.evaluation.budget_plan`; computed on this machine)."""

from __future__ import annotations

from typing import Annotated

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.options.budget import (
    AlphaOption,
    FamilyOption,
    KOption,
    QSigmaOption,
    QThresholdOption,
    RadiusUnitOption,
    SearchModeOption,
)
from dsrs_cli.options.parsing import parse_threshold
from dsrs_cli.terminal_text import plain
from dsrs_client.contract.dataset_catalogue import DATASETS
from dsrs_client.contract.defaults import DEFAULT_ALPHA, DEFAULT_N_SELECTION, DEFAULT_RADIUS_UNIT


def plan(
    ctx: typer.Context,
    sigma: Annotated[float, typer.Option(help="Sigma of P.")],
    n: Annotated[int, typer.Option(help="Draws under P (and under Q).")],
    family: FamilyOption = "gaussian",
    k: KOption = 0,
    dimension: Annotated[int | None, typer.Option(help="Input dimension d.")] = None,
    dataset: Annotated[str | None, typer.Option(help=f"Take d of {', '.join(DATASETS)}.")] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Take d from this model on the service (id or unique prefix)."),
    ] = None,
    alpha: AlphaOption = DEFAULT_ALPHA,
    q_sigma: QSigmaOption = None,
    q_threshold: QThresholdOption = None,
    n_selection: Annotated[
        int, typer.Option(help="Selection draws n0 (predict mode).")
    ] = DEFAULT_N_SELECTION,
    radius_unit: RadiusUnitOption = DEFAULT_RADIUS_UNIT,
    search_mode: SearchModeOption = "exact",
    target_radius: Annotated[
        float | None,
        typer.Option(
            help="Also predict what sequential sampling (target-radius form) spends per "
            "input, by agreement rate, against the fixed-N budget.",
        ),
    ] = None,
) -> None:
    """Largest NP and DSRS radii when every draw agrees, forward passes per input, and
    warnings where DSRS cannot beat NP."""
    from dsrs_client.contract import PlanOut, plan_parameters
    from dsrs_core.errors import InvalidParameterError
    from dsrs_core.evaluation.budget_plan import EQUAL_BUDGET_PLAN_BASELINE, NP_PLAN_BASELINE
    from dsrs_core.evaluation.job_config import budget_plan

    given = [
        name
        for name, v in (("--dimension", dimension), ("--dataset", dataset), ("--model", model))
        if v is not None
    ]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --dimension, --dataset or --model")
    if dataset is not None:
        if dataset not in DATASETS:
            raise typer.BadParameter(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
        dimension = DATASETS[dataset].dimension
    if model is not None:
        from math import prod

        with open_client(ctx) as dsrs:
            dimension = prod(dsrs.get_model(model).input_shape)
    assert dimension is not None
    parameters = plan_parameters(
        family=family,
        sigma=sigma,
        k=k,
        n=n,
        alpha=alpha,
        n_selection=n_selection,
        q_sigma=q_sigma,
        q_threshold=parse_threshold(q_threshold),
        radius_unit=radius_unit,
        search_mode=search_mode,
    )
    try:
        result = budget_plan(parameters, dimension, target_radius)
    except InvalidParameterError as error:
        raise typer.BadParameter(str(error)) from None
    if client_options(ctx).json_output:
        print_json(PlanOut.model_validate(result))
        return
    typer.echo(
        f"d = {dimension}, N = {n}, alpha = {alpha:g}, P = {family} sigma {sigma:g}"
        + (f" k {k}" if k else "")
    )
    typer.echo(
        f"NP   best-case pL {result.best_p_lower:.6f}  max radius {result.np_max_radius:.4f}"
        f"  ({NP_PLAN_BASELINE})"
    )
    if result.np_equal_budget_max_radius is not None:
        typer.echo(
            f"NP   equal budget        max radius {result.np_equal_budget_max_radius:.4f}"
            f"  ({EQUAL_BUDGET_PLAN_BASELINE}; the DSRS paper's baseline, job option "
            "baseline: equal-budget)"
        )
    if result.dsrs_max_radius is not None:
        typer.echo(
            f"DSRS best-case qL {result.best_q_lower:.6f}  max radius {result.dsrs_max_radius:.4f}"
            "  (N under P + N under Q, alpha split)"
        )
    typer.echo(f"forward passes per input: {result.forward_passes_per_input:,}")
    for warning in result.warnings:
        typer.secho(f"warning: {plain(warning)}", fg=typer.colors.YELLOW)
    if result.sequential_saving is not None:
        _print_saving(result.target_radius, result.sequential_saving)


def _print_saving(target: float, savings) -> None:  # type: ignore[no-untyped-def]
    typer.echo(f"sequential, target radius {target:g} (typical path; Q agreement = P's):")
    for s in savings:
        verdict = "certified" if s.certified else "not certified"
        typer.echo(
            f"  pA {s.p_agreement:<6g} {s.forward_passes:>9,} of {s.budget:,} forward passes "
            f"({100 * s.fraction:5.1f}%), {verdict}"
        )
