"""``dsrs compare``: jobs (or the paper's published files) side by side in the paper's table
layout — benign accuracy, certified accuracy at radii, ACR, each with a confidence interval
— as a terminal table, Markdown, LaTeX or CSV."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from dsrs_cli.connection import client_options, open_client
from dsrs_cli.options.parsing import parse_floats
from dsrs_cli.tables.comparison import TableFormat
from dsrs_cli.terminal_text import plain
from dsrs_client.contract.defaults import DEFAULT_CONFIDENCE


class InputChoice(str, Enum):
    """Which inputs each row of a comparison is computed on (dsrs_core.evaluation.common_inputs)."""

    common = "common"
    own = "own"


def compare(
    ctx: typer.Context,
    jobs: Annotated[
        list[str] | None, typer.Argument(help="Job ids (or unique prefixes) to compare.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Also compare the jobs of this name (as `jobs list`).")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Also compare the jobs with this tag (repeat: every tag given)."),
    ] = None,
    published: Annotated[
        Path | None,
        typer.Option(
            help="Compare the radius files of a folder laid out like the original's data/ "
            "(the published files or `dsrs reproduce --out`) instead of jobs."
        ),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option(help="With --published: model folder(s) (default all).")
    ] = None,
    q: Annotated[
        list[str] | None,
        typer.Option(help="With --published: keep DSRS files with this Q (0.8, x+, …)."),
    ] = None,
    radii: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated table radii (default: jobs 0, 0.25, …; --published 0.25, "
            "0.5, …; to the largest radius)."
        ),
    ] = None,
    table_format: Annotated[
        TableFormat, typer.Option("--format", help="text, markdown, latex or csv.")
    ] = TableFormat.text,
    confidence: Annotated[
        float, typer.Option(help="Coverage of the intervals over the test set.")
    ] = DEFAULT_CONFIDENCE,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the table here.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="With jobs: also draw the certified-accuracy curves here (.png or .svg; "
            "column width, colour per job, line style per certificate)."
        ),
    ] = None,
    inputs: Annotated[
        InputChoice,
        typer.Option(
            help="common: every row on the inputs all rows have (an empty overlap is an "
            "error); own: every row on all of its own inputs, marked as such."
        ),
    ] = InputChoice.common,
) -> None:
    """Certified accuracy with error bars, several jobs (or published configurations) side
    by side. Jobs are given by id and/or chosen by --name/--tag as `jobs list` chooses
    them. NP rows say which baseline they are (same run or equal budget). Rows are
    computed on the inputs every row has, and the table says how many each had."""
    from dsrs_cli.tables.comparison import render_table

    if not 0.0 < confidence < 1.0:
        raise typer.BadParameter("confidence must lie in (0, 1)", param_hint="--confidence")
    at = parse_floats(radii)
    if at and any(r < 0 for r in at):
        raise typer.BadParameter("radii must be non-negative", param_hint="--radii")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise typer.BadParameter("the plot file must end in .png or .svg", param_hint="--plot")
    by_jobs = bool(jobs) or name is not None or bool(tag)
    if plot is not None and not by_jobs:
        raise typer.BadParameter("--plot draws the curves of jobs (not of --published files)")
    if by_jobs == (published is not None):
        raise typer.BadParameter(
            "give job ids (or --name/--tag) or --published DIR (one of the two)"
        )
    if published is not None:
        from dsrs_cli.published.comparison import published_comparison

        try:
            rows, coverage, repeated = published_comparison(
                published, model, q or (), at, confidence, inputs.value
            )
        except (FileNotFoundError, ValueError) as error:
            raise typer.BadParameter(str(error), param_hint="--published") from None
        title = f"Published DSRS data ({published})"
        notes = [coverage.note(), repeated]
    else:
        from dsrs_cli.tables.job_comparison import comparison_rows

        with open_client(ctx) as dsrs:
            comparison = dsrs.compare(
                jobs or (),
                radii=at,
                confidence=confidence,
                name=name,
                tags=tag,
                inputs=inputs.value,
            )
        for job in comparison.jobs:
            if job.status != "succeeded":
                typer.secho(
                    plain(f"note: job {job.job_id} is {job.status}; its stored rows are used"),
                    fg=typer.colors.YELLOW,
                    err=True,
                )
        if plot is not None:
            from dsrs_cli.plots.comparison import plot_comparison

            plot.parent.mkdir(parents=True, exist_ok=True)
            plot.write_bytes(plot_comparison(comparison, plot.suffix.lower()[1:]))  # type: ignore[arg-type]
            typer.echo(f"wrote {plot}", err=True)
        if client_options(ctx).json_output and output is None:
            typer.echo(comparison.model_dump_json(indent=2))
            return
        for note in comparison.notes:
            typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)
        rows = comparison_rows(comparison)
        title = f"{len(comparison.jobs)} job(s)"
        notes = [comparison.inputs_note]
    if client_options(ctx).json_output and output is None:
        typer.echo(json.dumps([asdict(row) for row in rows], indent=2))
        return
    text = render_table(rows, table_format, title, notes)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)
