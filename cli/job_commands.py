"""``dsrs jobs submit | list | show | watch | cancel | results | rm``. Ids may be given as
unique prefixes (:mod:`dsrs_cli.id_prefixes`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.id_prefixes import resolve_id, resolve_ids
from dsrs_cli.option_parsing import parse_floats, parse_ints, parse_threshold
from dsrs_cli.terminal_text import markup, plain
from dsrs_client.contract.job_status import JobStatus

jobs_app = typer.Typer(help="Submit, follow and read certification jobs.", no_args_is_help=True)


@jobs_app.command("submit")
def submit(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option(help="Model id.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Built-in dataset (digits, mnist, cifar10).")
    ] = None,
    split: Annotated[str | None, typer.Option(help="train or test.")] = None,
    input_set: Annotated[str | None, typer.Option(help="Uploaded input set id.")] = None,
    indices: Annotated[str | None, typer.Option(help="Comma-separated input indices.")] = None,
    start: Annotated[int | None, typer.Option(help="First index of a range.")] = None,
    stop: Annotated[int | None, typer.Option(help="End of the range (exclusive).")] = None,
    step: Annotated[int | None, typer.Option(help="Step of the range.")] = None,
    mode: Annotated[str | None, typer.Option(help="evaluate (labels) or predict.")] = None,
    family: Annotated[str | None, typer.Option(help="gaussian or general-gaussian.")] = None,
    sigma: Annotated[float | None, typer.Option(help="Sigma of P.")] = None,
    k: Annotated[int | None, typer.Option(help="k of a general-gaussian P.")] = None,
    q_sigma: Annotated[float | None, typer.Option(help="Sigma of Q (DSRS).")] = None,
    q_threshold: Annotated[
        str | None, typer.Option(help="Thresholded Q: percentile in (0, 1), x or x+.")
    ] = None,
    n_selection: Annotated[int | None, typer.Option(help="Selection draws n0.")] = None,
    n: Annotated[int | None, typer.Option(help="Draws under P and under Q.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Failure probability.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Noisy copies per pass.")] = None,
    radius_method: Annotated[str | None, typer.Option(help="grid or precise.")] = None,
    radius_unit: Annotated[
        float | None, typer.Option(help="Grid step of DSRS radii, in units of sigma.")
    ] = None,
    search_mode: Annotated[str | None, typer.Option(help="exact or original.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (random if omitted).")] = None,
    name: Annotated[str | None, typer.Option(help="A name to find the job by.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag (repeatable); filter with jobs list.")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            help="NP baseline of a DSRS job: same-run (default), equal-budget (N more draws "
            "under P, NP from the pooled 2N at the full alpha: the DSRS paper's baseline) or, "
            "for a sequential job, sequential-np (an independent sequential NP run, budget "
            "2N, full alpha)."
        ),
    ] = None,
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
) -> None:
    """Submit a certification job; prints its id (or follows it with --watch)."""
    from dsrs_cli.job_requests import RequestFieldError, load_document, merge, nested_fields

    flat: dict[str, Any] = {
        "model": model, "dataset": dataset, "split": split, "input_set": input_set,
        "indices": parse_ints(indices), "start": start, "stop": stop, "step": step, "mode": mode,
        "family": family, "sigma": sigma, "k": k, "q_sigma": q_sigma,
        "q_threshold": parse_threshold(q_threshold), "n_selection": n_selection, "n": n,
        "alpha": alpha, "batch_size": batch_size, "radius_method": radius_method,
        "radius_unit": radius_unit, "search_mode": search_mode, "seed": seed,
        "name": name, "tags": tag or None, "baseline": baseline,
    }  # fmt: skip
    try:
        base = load_document(file) if file is not None else {}
        if not isinstance(base, dict):
            raise RequestFieldError(f"{file} must hold one mapping (the job body)")
        body = merge(base, nested_fields(flat))
    except RequestFieldError as error:
        raise typer.BadParameter(str(error)) from None
    request = _validated(body)
    with open_client(ctx) as dsrs:
        job = dsrs.submit_job(_with_full_ids(dsrs, request))
        if watch:
            from dsrs_cli.job_progress import watch_jobs

            (job,) = watch_jobs(dsrs, [job.id])
    for warning in job.warnings:
        typer.secho(f"warning: {plain(warning)}", fg=typer.colors.YELLOW, err=True)
    if client_options(ctx).json_output:
        print_json(job)
    else:
        typer.echo(job.id if not watch else f"{job.id} {job.status}")
    if watch and job.status != "succeeded":
        raise typer.Exit(1)


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
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(jobs)} job(s)")
    for column in ("id", "name", "status", "progress", "model", "P", "Q", "N", "alpha", "created"):
        table.add_column(column)
    for job in jobs:
        p = job.parameters
        noise = p.noise
        q = {} if p.q is None else p.q.model_dump()
        table.add_row(
            markup(job.id),
            markup(" ".join([job.name or "", *(f"#{t}" for t in job.tags)]).strip() or "-"),
            markup(job.status) + (" ⚠" if job.warnings else ""),
            f"{job.progress.done}/{job.progress.total}",
            markup(job.model_id),
            f"{noise.family} {noise.sigma}" + (f" k={noise.k}" if noise.k else ""),
            markup(", ".join(f"{k}={v}" for k, v in q.items() if v is not None) or "-"),
            str(p.n),
            str(p.alpha),
            job.timings.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)


@jobs_app.command("show")
def show(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id")]) -> None:
    """Show a job's status, progress, parameters and timings."""
    with open_client(ctx) as dsrs:
        job = dsrs.get_job(resolve_id(dsrs, "job", job_id))
    if client_options(ctx).json_output:
        print_json(job)
        return
    from dsrs_cli.result_tables import print_job

    print_job(job)


@jobs_app.command("watch")
def watch(
    ctx: typer.Context,
    job_ids: Annotated[list[str], typer.Argument(help="One or more job ids")],
    timeout: Annotated[float | None, typer.Option(help="Give up after this many s.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
) -> None:
    """Follow jobs with progress bars until all are final (exit 1 if one did not succeed)."""
    from dsrs_cli.job_progress import watch_jobs

    with open_client(ctx) as dsrs:
        jobs = watch_jobs(
            dsrs, resolve_ids(dsrs, "job", job_ids), timeout=timeout, poll_interval=interval
        )
    if client_options(ctx).json_output:
        print_json(jobs)
    else:
        for job in jobs:
            typer.echo(plain(f"{job.id} {job.status}" + (f": {job.error}" if job.error else "")))
    if any(job.status != "succeeded" for job in jobs):
        raise typer.Exit(1)


@jobs_app.command("cancel")
def cancel(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id")]) -> None:
    """Cancel a queued or running job (results stored so far are kept)."""
    with open_client(ctx) as dsrs:
        job = dsrs.cancel_job(resolve_id(dsrs, "job", job_id))
    if client_options(ctx).json_output:
        print_json(job)
    else:
        typer.echo(f"{job.id} {job.status}")


@jobs_app.command("rm")
def remove(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="Job id")]) -> None:
    """Delete a finished job and its results (a queued or running job: cancel it first)."""
    with open_client(ctx) as dsrs:
        full_id = resolve_id(dsrs, "job", job_id)
        dsrs.delete_job(full_id)
    typer.echo(f"deleted job {full_id}")


@jobs_app.command("results")
def results(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id")],
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
    from dsrs_cli.result_tables import print_samples, print_summary

    if rows:
        print_samples(samples)
    print_summary(summary)


def _with_full_ids(dsrs: Any, request: Any) -> Any:
    """The request with the model and input set ids completed from unique prefixes."""
    inputs = request.inputs
    if inputs.input_set_id is not None:
        inputs = inputs.model_copy(
            update={"input_set_id": resolve_id(dsrs, "input set", inputs.input_set_id)}
        )
    return request.model_copy(
        update={"model_id": resolve_id(dsrs, "model", request.model_id), "inputs": inputs}
    )


def _validated(body: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from dsrs_client.contract import JobCreate

    try:
        return JobCreate.model_validate(body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise typer.BadParameter(f"invalid job request: {problems}") from None
