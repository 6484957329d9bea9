"""``dsrs jobs submit | list | show | watch | cancel | results | rm``. Ids may be given as
unique prefixes (:mod:`dsrs_cli.id_prefixes`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.id_prefixes import resolve_id, resolve_ids
from dsrs_cli.options.job import with_job_field_options
from dsrs_cli.options.parsing import parse_floats
from dsrs_cli.terminal_text import markup, plain
from dsrs_client.contract.job_status import JobStatus

jobs_app = typer.Typer(help="Submit, follow and read certification jobs.", no_args_is_help=True)


@jobs_app.command("submit")
@with_job_field_options
def submit(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            exists=True,
            dir_okay=False,
            help="JSON/YAML job body; options given here replace its fields.",
        ),
    ] = None,
    watch: Annotated[bool, typer.Option(help="Follow the job until it is final.")] = False,
    *,
    job_fields: dict[str, Any],
) -> None:
    """Submit a certification job; prints its id (or follows it with --watch).

    Every field of the job body is an option (sequential sampling: --target-radii or
    --tolerance, with --first-look, --growth, --final-share); options given here replace
    the fields of --file."""
    from dsrs_cli.options.job_requests import RequestFieldError, load_document, merge, nested_fields

    flat = job_fields
    try:
        base = load_document(file) if file is not None else {}
        if not isinstance(base, dict):
            raise RequestFieldError(f"{file} must hold one mapping (the job body)")
        body = merge(base, nested_fields(flat))
    except RequestFieldError as error:
        raise typer.BadParameter(str(error)) from None
    request = _validated(body)
    json_output = client_options(ctx).json_output
    with open_client(ctx) as dsrs:
        job = dsrs.submit_job(request)  # the service resolves id prefixes
        for warning in job.warnings:
            typer.secho(f"warning: {plain(warning)}", fg=typer.colors.YELLOW, err=True)
        if not watch:
            if json_output:
                print_json(job)
            else:
                typer.echo(job.id)
            return
        _watch_and_report(dsrs, [job.id], json_output=json_output, json_one=True)


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs of this status.")] = None,
    name: Annotated[str | None, typer.Option(help="Only jobs of this name.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only jobs with this tag (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
) -> None:
    """List jobs, newest first."""
    with open_client(ctx) as dsrs:
        jobs = dsrs.list_jobs(status=status, limit=limit, name=name, tags=tag)
    if client_options(ctx).json_output:
        print_json(jobs)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from dsrs_cli.id_prefixes import SHOWN_ID_LENGTH

    # Compact enough for 80 columns: short ids, one line per job (jobs show has the rest;
    # "≤N seq" marks sequential sampling, which may stop inputs before N).
    table = Table(title=f"{len(jobs)} job(s)", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="ellipsis", max_width=14, no_wrap=True)
    for column in ("status", "done", "σ / Q", "N", "created"):
        table.add_column(column, no_wrap=True)
    for job in jobs:
        p = job.parameters
        noise = p.noise
        q = "-" if p.q is None else f"{p.q.sigma:g}" if p.q.sigma is not None else p.q.threshold
        table.add_row(
            job.id[:SHOWN_ID_LENGTH],
            markup(" ".join([job.name or "", *(f"#{t}" for t in job.tags)]).strip() or "-"),
            job.status + (" ⚠" if job.warnings else ""),
            f"{job.progress.done}/{job.progress.total}",
            f"{noise.sigma:g}" + (f" k{noise.k}" if noise.k else "") + f" / {q}",
            f"{p.n}" if p.sequential is None else f"≤{p.n} seq",
            _short_time(job.timings.created_at),
        )
    Console().print(table)


def _short_time(moment: Any) -> str:
    """``17:05`` today, ``12-03`` before (local time)."""
    from datetime import datetime

    local = moment.astimezone()
    return local.strftime("%H:%M" if local.date() == datetime.now().date() else "%m-%d")


@jobs_app.command("show")
def show(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id or unique prefix")]
) -> None:
    """Show a job's status, progress, parameters and timings."""
    with open_client(ctx) as dsrs:
        job = dsrs.get_job(resolve_id(dsrs, "job", job_id))
    if client_options(ctx).json_output:
        print_json(job)
        return
    from dsrs_cli.tables.results import print_job

    print_job(job)


@jobs_app.command("watch")
def watch(
    ctx: typer.Context,
    job_ids: Annotated[list[str], typer.Argument(help="One or more job ids or unique prefixes")],
    timeout: Annotated[float | None, typer.Option(help="Give up after this many s.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
) -> None:
    """Follow jobs until all are final, then print each succeeded job's summary table
    (exit 1 if one did not succeed). Progress bars on a terminal, progress lines otherwise."""
    with open_client(ctx) as dsrs:
        _watch_and_report(
            dsrs,
            resolve_ids(dsrs, "job", job_ids),
            json_output=client_options(ctx).json_output,
            timeout=timeout,
            poll_interval=interval,
        )


def _watch_and_report(
    dsrs: Any,
    job_ids: list[str],
    *,
    json_output: bool,
    json_one: bool = False,
    timeout: float | None = None,
    poll_interval: float = 1.0,
) -> None:
    """Follow the jobs until final, then print each one's status and, for a succeeded job,
    its summary table (what `jobs results` prints); exit 1 if one did not succeed. The end
    of `jobs watch` and of `jobs submit --watch` (whose JSON is the one job, ``json_one``)."""
    from dsrs_cli.job_progress import watch_jobs

    jobs = watch_jobs(dsrs, job_ids, timeout=timeout, poll_interval=poll_interval)
    if json_output:
        print_json(jobs[0] if json_one else jobs)
    else:
        from dsrs_cli.tables.results import print_summary

        for job in jobs:
            typer.echo(plain(f"{job.id} {job.status}" + (f": {job.error}" if job.error else "")))
            if job.status == "succeeded":
                print_summary(dsrs.summary(job.id))
    if any(job.status != "succeeded" for job in jobs):
        raise typer.Exit(1)


@jobs_app.command("cancel")
def cancel(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id or unique prefix")]
) -> None:
    """Cancel a queued or running job (results stored so far are kept)."""
    with open_client(ctx) as dsrs:
        job = dsrs.cancel_job(resolve_id(dsrs, "job", job_id))
    if client_options(ctx).json_output:
        print_json(job)
    else:
        typer.echo(f"{job.id} {job.status}")


@jobs_app.command("rm")
def remove(
    ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id or unique prefix")]
) -> None:
    """Delete a finished job and its results (a queued or running job: cancel it first)."""
    with open_client(ctx) as dsrs:
        full_id = resolve_id(dsrs, "job", job_id)
        dsrs.delete_job(full_id)
    typer.echo(f"deleted job {full_id}")


@jobs_app.command("results")
def results(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id or unique prefix")],
    radii: Annotated[
        str | None, typer.Option(help="Comma-separated radii (default 0, 0.25, …).")
    ] = None,
    rows: Annotated[bool, typer.Option(help="Also print one line per input.")] = False,
) -> None:
    """Print certified accuracy (NP and DSRS) and ACR of a job; --rows adds every input."""
    with open_client(ctx) as dsrs:
        job_id = resolve_id(dsrs, "job", job_id)
        summary = dsrs.summary(job_id, radii=parse_floats(radii))
        samples = dsrs.all_results(job_id) if rows or client_options(ctx).json_output else []
    if client_options(ctx).json_output:
        print_json({"summary": summary, "samples": samples})
        return
    from dsrs_cli.tables.results import print_samples, print_summary

    if rows:
        print_samples(samples)
    print_summary(summary)


def _validated(body: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from dsrs_cli.options.job_requests import validation_problems
    from dsrs_client.contract import JobCreate

    try:
        return JobCreate.model_validate(body)
    except ValidationError as error:
        raise typer.BadParameter(f"invalid job request: {validation_problems(error)}") from None
