"""``dsrs sweep FILE``: submit every configuration of a grid, watch them together, print
one comparison table (certified accuracy of NP and DSRS at each radius, ACR, with
confidence intervals: the table of ``dsrs compare``) and save the PNG of the curves and,
when a numeric axis varies, the ablation PNG (ACR against N, k, σ_Q, …)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.options.parsing import parse_floats
from dsrs_cli.terminal_text import plain

if TYPE_CHECKING:
    from dsrs_client.contract import JobOut

PLOT_POINTS = 100


def sweep(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON sweep file")
    ],
    plot: Annotated[
        Path | None, typer.Option(help="PNG of the curves (default <FILE stem>-sweep.png).")
    ] = None,
    ablation: Annotated[
        Path | None,
        typer.Option(
            help="PNG of ACR against each varying numeric axis "
            "(default beside the plot, <plot stem>-ablation.png)."
        ),
    ] = None,
    radii: Annotated[
        str | None, typer.Option(help="Comma-separated radii of the table (default 0.25, 0.5, …).")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Give up waiting after s.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    dry_run: Annotated[bool, typer.Option(help="Only list the configurations.")] = False,
) -> None:
    """Run a grid of configurations and compare NP and DSRS across it."""
    from dsrs_cli.job_progress import watch_jobs
    from dsrs_cli.options.job_requests import RequestFieldError, load_document
    from dsrs_cli.options.sweep_grid import parse_sweep
    from dsrs_client.errors import ApiResponseError

    try:
        spec = parse_sweep(load_document(file))
    except RequestFieldError as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    table_radii = parse_floats(radii) or spec.radii
    labels = [c.label for c in spec.configurations]
    if dry_run:
        for configuration in spec.configurations:
            typer.echo(configuration.label)
        return
    json_output = client_options(ctx).json_output
    with open_client(ctx) as dsrs:
        jobs = []
        for configuration in spec.configurations:
            try:
                jobs.append(dsrs.submit_job(configuration.body))
            except ApiResponseError as error:
                _report_partial_submission(jobs, configuration.label, error)
                raise typer.Exit(1) from None
            typer.echo(f"submitted {jobs[-1].id}  {configuration.label}", err=True)
        finals = watch_jobs(
            dsrs, [j.id for j in jobs], labels=labels, poll_interval=interval, timeout=timeout
        )
        done = [
            (label, job)
            for label, job in zip(labels, finals, strict=True)
            if job.status == "succeeded"
        ]
        tables, curves = _summaries(dsrs, done, table_radii)
        rows, notes = _comparison_rows(dsrs, done, tables)
    failed = [
        (label, job) for label, job in zip(labels, finals, strict=True) if job.status != "succeeded"
    ]
    plot_path = plot or Path(f"{file.stem}-sweep.png")
    ablation_path = None
    if curves:
        from dsrs_cli.plots.sweep import plot_ablation, plot_sweep

        plot_sweep(curves, plot_path, f"sweep {file.name}")
        values = {c.label: c.values for c in spec.configurations}
        ablation_path = plot_ablation(
            [(values[label], summary) for (label, _), summary in zip(done, tables, strict=True)],
            ablation or plot_path.with_name(f"{plot_path.stem}-ablation.png"),
            f"sweep {file.name}: ACR",
        )
    if json_output:
        print_json(
            {
                "configurations": [
                    {"label": label, "job": job, "summary": summary}
                    for (label, job), summary in zip(done, tables, strict=True)
                ],
                "failed": [{"label": label, "job": job} for label, job in failed],
                "plot": str(plot_path) if curves else None,
                "ablation_plot": str(ablation_path) if ablation_path else None,
            }
        )
    else:
        if tables:
            from dsrs_cli.tables.comparison import TableFormat, render_table

            typer.echo(render_table(rows, TableFormat.text, f"sweep {file.name}", notes), nl=False)
            typer.echo(f"plot: {plot_path}")
            if ablation_path:
                typer.echo(f"ablation plot: {ablation_path}")
            ids = " ".join(job.id for _, job in done)
            typer.echo(f"other formats: dsrs compare {ids} --format markdown|latex|csv")
        for label, job in failed:
            typer.secho(
                plain(f"{label}: job {job.id} {job.status}: {job.error or ''}"),
                fg=typer.colors.RED,
                err=True,
            )
    if failed:
        raise typer.Exit(1)


def _report_partial_submission(jobs: list[JobOut], label: str, error: Exception) -> None:
    typer.secho(plain(f"error: configuration {label}: {error}"), fg=typer.colors.RED, err=True)
    if jobs:
        ids = " ".join(job.id for job in jobs)
        typer.secho(
            f"{len(jobs)} job(s) were submitted before it and keep running; cancel them with "
            f"`dsrs jobs cancel ID` or follow them with `dsrs jobs watch {ids}`",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _summaries(dsrs, done, table_radii):  # type: ignore[no-untyped-def]
    """Summaries at the common table radii, and finely sampled ones for the plot."""
    from dsrs_core.evaluation.job_summary import TABLE_RADIUS_STEP, paper_table_radii

    if not done:
        return [], []
    defaults = [dsrs.summary(job.id) for _, job in done]
    largest = max(
        s.certified_accuracy[-1].radius if s.certified_accuracy else 0.0 for s in defaults
    )
    radii = table_radii or paper_table_radii(largest)
    tables = [dsrs.summary(job.id, radii=radii) for _, job in done]
    top = max(largest + TABLE_RADIUS_STEP, max(radii))
    fine = [top * i / PLOT_POINTS for i in range(PLOT_POINTS + 1)]
    curves = [(label, dsrs.summary(job.id, radii=fine)) for label, job in done]
    return tables, curves


def _comparison_rows(dsrs, done, tables):  # type: ignore[no-untyped-def]
    """The compare table of the finished jobs (``GET /v1/compare``: stored rows, intervals)
    at the table radii, each configuration labelled with its grid values, and its note on
    the inputs the rows use."""
    from dsrs_cli.tables.job_comparison import comparison_rows

    if not done:
        return [], []
    radii = [row.radius for row in tables[0].certified_accuracy]
    comparison = dsrs.compare([job.id for _, job in done], radii=radii or None)
    for note in comparison.notes:
        typer.secho(plain(f"note: {note}"), fg=typer.colors.YELLOW, err=True)
    rows = comparison_rows(comparison, {job.id: label for label, job in done})
    return rows, [comparison.inputs_note]
