"""``dsrs export JOB``: a job's results as CSV, JSONL, Cohen et al.'s TSV or the original
DSRS ``data/`` files."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsrs_cli.connection import open_client
from dsrs_cli.id_prefixes import resolve_id

if TYPE_CHECKING:
    from dsrs_client.contract import JobParameters, SampleOut


class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"
    cohen = "cohen"
    dsrs = "dsrs"


class Certificate(str, Enum):
    auto = "auto"
    np = "np"
    dsrs = "dsrs"


DEFAULT_SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "cohen": ".tsv", "dsrs": "-dsrs"}


def default_output(job_id: str, fmt: ExportFormat) -> Path:
    return Path(f"{job_id}{DEFAULT_SUFFIX[fmt.value]}")


def write_export(
    fmt: ExportFormat,
    samples: Sequence[SampleOut],
    parameters: JobParameters,
    output: Path,
    *,
    certificate: Certificate = Certificate.auto,
    model_name: str = "model",
) -> list[Path]:
    """Write ``samples`` in ``fmt`` to ``output`` (a folder for ``dsrs``); returns the files."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ExportFormat.csv:
        from dsrs_cli.export.rows import write_csv

        write_csv(samples, output)
        return [output]
    if fmt is ExportFormat.jsonl:
        from dsrs_cli.export.rows import write_jsonl

        write_jsonl(samples, output)
        return [output]
    if fmt is ExportFormat.cohen:
        from dsrs_cli.export.cohen import write_cohen_tsv

        chosen = certificate.value
        if chosen == "auto":
            chosen = "dsrs" if parameters.q is not None else "np"
        write_cohen_tsv(samples, output, chosen)
        return [output]
    from dsrs_cli.export.dsrs_tree import write_dsrs_tree

    files = write_dsrs_tree(samples, parameters, model_name, output)
    return [path for path in vars(files).values() if path is not None]


def export(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id or unique prefix")],
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="csv, jsonl, cohen (TSV) or dsrs (original txt tree)."),
    ] = ExportFormat.csv,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (folder for dsrs); default <job id>.<ext>."),
    ] = None,
    certificate: Annotated[
        Certificate,
        typer.Option(help="Radius of the cohen format: np, dsrs, auto (dsrs if Q)."),
    ] = Certificate.auto,
    model_name: Annotated[
        str | None,
        typer.Option(help="Model folder name of the dsrs format (default: the model's name)."),
    ] = None,
) -> None:
    """Write every stored result of a job to a file in one of the export formats."""
    with open_client(ctx) as dsrs:
        job_id = resolve_id(dsrs, "job", job_id)
        job = dsrs.get_job(job_id)
        samples = dsrs.all_results(job_id)
        if fmt is ExportFormat.dsrs and model_name is None:
            model_name = dsrs.get_model(job.model_id).name
    if job.status != "succeeded":
        typer.secho(
            f"warning: job {job.id} is {job.status}; exporting its {len(samples)} stored "
            f"result(s) of {job.progress.total}",
            fg=typer.colors.YELLOW,
            err=True,
        )
    target = output or default_output(job_id, fmt)
    written = write_export(
        fmt,
        samples,
        job.parameters,
        target,
        certificate=certificate,
        model_name=model_name or "model",
    )
    for path in written:
        typer.echo(str(path))
