"""``dsrs recertify JOB``: radii of a finished job for another alpha, radius grid or search
mode, recomputed on this machine from the stored counts (no model, no sampling)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dsrs_cli.commands.export import Certificate, ExportFormat, write_export
from dsrs_cli.connection import client_options, open_client, print_json, reporting_errors
from dsrs_cli.id_prefixes import resolve_id
from dsrs_cli.options.parsing import parse_floats
from dsrs_client.contract.choices import Check


def recertify(
    ctx: typer.Context,
    job_id: Annotated[
        str, typer.Argument(help="Job id or unique prefix (its stored counts are used)")
    ],
    alpha: Annotated[float | None, typer.Option(help="New failure probability.")] = None,
    radius_method: Annotated[
        Literal["grid", "precise"] | None, typer.Option(help="grid or precise.")
    ] = None,
    radius_unit: Annotated[
        float | None, typer.Option(help="Grid step of DSRS radii, in units of sigma.")
    ] = None,
    radius_tolerance: Annotated[
        float | None, typer.Option(help="Tolerance of the precise search.")
    ] = None,
    search_mode: Annotated[
        Literal["exact", "original"] | None, typer.Option(help="exact or original.")
    ] = None,
    check: Annotated[
        Check | None,
        typer.Option(
            help="proven: prove every NP radius in interval arithmetic (proof mode, "
            "docs/math.md §7.5; seconds per input, needs python-flint); verified: clear the "
            "stored proofs. Default: the job's own."
        ),
    ] = None,
    radii: Annotated[
        str | None, typer.Option(help="Comma-separated radii of the table (default 0, 0.25, …).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the recomputed rows here.")
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Format of --output.")
    ] = ExportFormat.csv,
) -> None:
    """Recompute a job's certificates from its stored counts and compare with the stored
    ones. Nothing is sampled and no model is loaded; N, P and Q stay those of the job."""
    from pydantic import ValidationError

    from dsrs_cli.recertification import recertify_job
    from dsrs_core.errors import InvalidParameterError

    table_radii = parse_floats(radii)
    with open_client(ctx) as dsrs:
        job_id = resolve_id(dsrs, "job", job_id)
        try:
            result = recertify_job(
                dsrs,
                job_id,
                alpha=alpha,
                method=radius_method,
                unit=radius_unit,
                tolerance=radius_tolerance,
                mode=search_mode,
                check=check,
            )
        except (InvalidParameterError, ValidationError) as error:
            raise typer.BadParameter(str(error)) from None
    if result.job.status != "succeeded":
        typer.secho(
            f"warning: job {job_id} is {result.job.status}; recertifying its "
            f"{len(result.samples)} stored result(s)",
            fg=typer.colors.YELLOW,
            err=True,
        )
    written = []
    if output is not None:
        with reporting_errors():
            written = write_export(
                fmt,
                result.samples,
                result.parameters,
                output,
                certificate=Certificate.auto,
                model_name=result.job.model_id,
            )
    if client_options(ctx).json_output:
        print_json({"job_id": job_id, "parameters": result.parameters, "samples": result.samples})
        return
    _print_comparison(result, table_radii)
    for path in written:
        typer.echo(str(path))


def _print_comparison(result, radii) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    from dsrs_cli.tables.certified_accuracy import accuracy_table

    new = accuracy_table(result.samples, radii)
    old = accuracy_table(result.original, new.radii)
    before, after = result.job.parameters, result.parameters
    title = (
        f"job {result.job.id}: stored (alpha {before.alpha}, search "
        f"{before.radius_search.model_dump()}) vs recomputed (alpha {after.alpha}, search "
        f"{after.radius_search.model_dump()})"
    )
    table = Table(title=title)
    table.add_column("radius", justify="right")
    columns = [("NP stored", old.np), ("NP new", new.np)]
    if new.dsrs is not None and old.dsrs is not None:
        columns += [("DSRS stored", old.dsrs), ("DSRS new", new.dsrs)]
    for name, _ in columns:
        table.add_column(name, justify="right")
    for i, radius in enumerate(new.radii):
        table.add_row(f"{radius:.2f}", *(f"{100 * values[i]:.1f}%" for _, values in columns))
    table.add_section()
    acr = [old.acr_np, new.acr_np]
    if new.acr_dsrs is not None and old.acr_dsrs is not None:
        acr += [old.acr_dsrs, new.acr_dsrs]
    table.add_row("ACR", *(f"{value:.4f}" for value in acr))
    console = Console()
    console.print(table)
    if after.check == "proven":
        from dsrs_cli.tables.proof import proof_fields_of, proof_report_lines

        rows = [proof_fields_of(sample) for sample in result.samples]
        for line in proof_report_lines(rows):
            console.print(line, highlight=False)
