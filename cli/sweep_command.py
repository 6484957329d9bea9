"""``dsrs sweep FILE``: submit every configuration of a grid, watch them together, print
one comparison table (certified accuracy of NP and DSRS at each radius, ACR) and save a
PNG plot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.option_parsing import parse_floats

if TYPE_CHECKING:
    from dsrs_client.contract import JobOut, Summary

DEFAULT_STEP = 0.25
PLOT_POINTS = 100


def sweep(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON sweep file")
    ],
    plot: Annotated[
        Path | None, typer.Option(help="PNG of the curves (default <FILE stem>-sweep.png).")
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
    from dsrs_cli.job_requests import RequestFieldError, load_document
    from dsrs_cli.sweep_grid import parse_sweep
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
        done = [(label, job) for label, job in zip(labels, finals, strict=True)
                if job.status == "succeeded"]  # fmt: skip
        tables, curves = _summaries(dsrs, done, table_radii)
    failed = [(label, job) for label, job in zip(labels, finals, strict=True)
              if job.status != "succeeded"]  # fmt: skip
    plot_path = plot or Path(f"{file.stem}-sweep.png")
    if curves:
        from dsrs_cli.sweep_plot import plot_sweep

        plot_sweep(curves, plot_path, f"sweep {file.name}")
    if json_output:
        print_json(
            {
                "configurations": [
                    {"label": label, "job": job, "summary": summary}
                    for (label, job), summary in zip(done, tables, strict=True)
                ],
                "failed": [{"label": label, "job": job} for label, job in failed],
                "plot": str(plot_path) if curves else None,
            }
        )
    else:
        if tables:
            _print_comparison(done, tables)
            typer.echo(f"plot: {plot_path}")
        for label, job in failed:
            typer.secho(f"{label}: job {job.id} {job.status}: {job.error or ''}",
                        fg=typer.colors.RED, err=True)  # fmt: skip
    if failed:
        raise typer.Exit(1)


def _report_partial_submission(jobs: list[JobOut], label: str, error: Exception) -> None:
    typer.secho(f"error: configuration {label}: {error}", fg=typer.colors.RED, err=True)
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
    if not done:
        return [], []
    defaults = [dsrs.summary(job.id) for _, job in done]
    largest = max(s.certified_accuracy[-1].radius if s.certified_accuracy else 0.0
                  for s in defaults)  # fmt: skip
    radii = (
        table_radii
        or [round(i * DEFAULT_STEP, 10) for i in range(1, int(largest / DEFAULT_STEP + 1e-9) + 1)]
        or [DEFAULT_STEP]
    )
    tables = [dsrs.summary(job.id, radii=radii) for _, job in done]
    top = max(largest + DEFAULT_STEP, max(radii))
    fine = [top * i / PLOT_POINTS for i in range(PLOT_POINTS + 1)]
    curves = [(label, dsrs.summary(job.id, radii=fine)) for label, job in done]
    return tables, curves


def _print_comparison(done: list[tuple[str, JobOut]], tables: list[Summary]) -> None:
    from rich.console import Console
    from rich.table import Table

    radii = [row.radius for row in tables[0].certified_accuracy]
    table = Table(title="Certified accuracy by configuration (NP vs DSRS)")
    table.add_column("configuration")
    table.add_column("job")
    table.add_column("cert.")
    for radius in radii:
        table.add_column(f"{radius:g}", justify="right")
    table.add_column("ACR", justify="right")
    for (label, job), summary in zip(done, tables, strict=True):
        rows: list[tuple[str, list[Any], float | None]] = [
            ("NP", [r.np for r in summary.certified_accuracy], summary.acr_np)
        ]
        if summary.acr_dsrs is not None:
            rows.append(
                ("DSRS", [r.dsrs or 0.0 for r in summary.certified_accuracy], summary.acr_dsrs)
            )
        for i, (name, values, acr) in enumerate(rows):
            table.add_row(
                label if i == 0 else "",
                job.id[:8] if i == 0 else "",
                name,
                *(f"{100 * v:.1f}%" for v in values),
                f"{acr:.4f}",
            )
        table.add_section()
    Console().print(table)
