"""``dsrs serve``, ``dsrs worker``, ``dsrs migrate`` and ``dsrs demo``: the service's entry
points. Each command imports what it needs when it runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from dsrs_cli.terminal_text import markup

#: Default demo workload: digits test images, N draws per distribution.
DEMO_SAMPLES = 100
DEMO_N = 50_000
DEMO_RADII = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the HTTP API (settings from DSRS_* environment variables)."""
    import logging

    import uvicorn

    from dsrs_api.app import startup_problem, uvicorn_options
    from dsrs_settings import load_settings

    settings = load_settings()
    problem = startup_problem(settings)
    if problem is not None:
        typer.echo(f"dsrs serve: {problem}", err=True)
        raise typer.Exit(2)
    # The job lines (start, success, failure) of jobs run in-process; uvicorn configures
    # only its own loggers.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s %(message)s"))
    logging.getLogger("dsrs").addHandler(handler)
    logging.getLogger("dsrs").setLevel(logging.INFO)
    uvicorn.run(
        "dsrs_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        **uvicorn_options(settings),
    )


def migrate() -> None:
    """Upgrade the database (DSRS_DATABASE_URL, or the embedded SQLite file) to head."""
    from dsrs_settings import load_settings
    from dsrs_store.migrations import upgrade_to_head

    settings = load_settings()
    upgrade_to_head(settings)
    typer.echo("database schema is at head")


def worker_command(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Worker processes; default one per CUDA device, else 1."),
    ] = None,
    queue: Annotated[str | None, typer.Option(help="Queue (default DSRS_QUEUE).")] = None,
    pool: Annotated[str, typer.Option(help="Celery pool (prefork, solo, threads).")] = "prefork",
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """Run a Celery worker that certifies job chunks (needs DSRS_BROKER_URL)."""
    from dsrs_settings import load_settings
    from dsrs_worker.celery_app import make_celery_app
    from dsrs_worker.devices import count_gpus_without_cuda_init

    # --queue is this worker's DSRS_QUEUE: it listens there, and its sweeper sends the chunks
    # it takes over there too (with only the listening queue changed, they went to a queue no
    # worker of this deployment read).
    settings = load_settings(queue=queue) if queue else load_settings()
    if settings.broker_url is None:
        typer.echo("dsrs worker needs DSRS_BROKER_URL (e.g. redis://localhost:6379/0)", err=True)
        raise typer.Exit(2)
    if concurrency is None:
        concurrency = max(1, count_gpus_without_cuda_init()) if settings.device != "cpu" else 1
    celery_app = make_celery_app(settings)
    celery_app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--queues={settings.queue}",
            f"--hostname=dsrs-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def demo(
    samples: Annotated[int, typer.Option(help="Digits test images to certify.")] = DEMO_SAMPLES,
    n: Annotated[int, typer.Option(help="Draws under P and under Q per image.")] = DEMO_N,
    storage_dir: Annotated[Path, typer.Option(help="Embedded state.")] = Path("var/demo"),
) -> None:
    """Certify digits with the demo network on the embedded service; print NP vs DSRS.

    Runs the HTTP API on SQLite with in-process jobs, uploads the shipped demo network,
    submits one job and prints certified accuracy of both certificates.
    """
    from rich.console import Console
    from rich.table import Table

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_cli.connection import reporting_errors
    from dsrs_cli.job_progress import watch_jobs
    from dsrs_client import DsrsClient
    from dsrs_client.contract import InputsIn, JobCreate, NoiseIn, QIn, RadiusSearchIn
    from dsrs_models.demo import DEMO_ARCHITECTURE, DEMO_SIGMA, DEMO_WEIGHTS_PATH
    from dsrs_settings import load_settings

    console = Console()
    started = time.perf_counter()
    settings = load_settings(database_url=None, broker_url=None, storage_dir=storage_dir)
    with (
        running_server(create_app(settings)) as base_url,
        reporting_errors(),
        DsrsClient(base_url, timeout=60) as dsrs,
    ):
        model = dsrs.upload_model(
            DEMO_WEIGHTS_PATH, architecture=DEMO_ARCHITECTURE, name="digits demo"
        )
        job = dsrs.submit_job(
            JobCreate(
                model_id=model.id,
                inputs=InputsIn(dataset="digits", split="test", stop=samples),
                mode="evaluate",
                noise=NoiseIn(family="general-gaussian", sigma=DEMO_SIGMA, k=20),
                q=QIn(sigma=0.8 * DEMO_SIGMA),
                n_selection=100,
                n=n,
                alpha=0.001,
                batch_size=2000,
                radius_search=RadiusSearchIn(method="grid", unit=0.01),
                seed=0,
                baseline="equal-budget",
            )
        )
        console.print(
            f"job {job.id}: {samples} digits test images, P = general-gaussian "
            f"(sigma {DEMO_SIGMA}, k 20), Q sigma {0.8 * DEMO_SIGMA:g}, N = {n} per "
            f"distribution, alpha 0.001; baseline: NP with the same budget ({2 * n} draws "
            "under P, alpha 0.001)"
        )
        # Bars on a terminal, progress lines otherwise (| tee, CI logs): as `jobs watch`.
        (job,) = watch_jobs(dsrs, [job.id], labels=["certifying"], poll_interval=0.5)
        if job.status != "succeeded":
            console.print(f"[red]{markup(f'job {job.status}: {job.error}')}[/red]")
            raise typer.Exit(1)
        summary = dsrs.summary(job.id, radii=DEMO_RADII)

    table = Table(title=f"Certified accuracy on {summary.samples} digits test images")
    table.add_column("radius", justify="right")
    table.add_column("NP\nsame run", justify="right")
    table.add_column("NP\nequal budget", justify="right")
    table.add_column("DSRS", justify="right")
    for row in summary.certified_accuracy:
        table.add_row(
            f"{row.radius:.2f}",
            f"{100 * row.np:.1f}%",
            f"{100 * (row.np_equal_budget or 0.0):.1f}%",
            f"{100 * (row.dsrs or 0.0):.1f}%",
        )
    table.add_section()
    table.add_row(
        "ACR",
        f"{summary.acr_np:.4f}",
        f"{summary.acr_np_equal_budget or 0.0:.4f}",
        f"{summary.acr_dsrs or 0.0:.4f}",
    )
    console.print(table)
    acr_dsrs = summary.acr_dsrs or 0.0
    interval = summary.acr_dsrs_interval
    console.print(
        f"DSRS ACR gain: {acr_dsrs - (summary.acr_np_equal_budget or 0.0):+.4f} against NP "
        f"with the same budget ({2 * n} draws under P, alpha 0.001), "
        f"{acr_dsrs - summary.acr_np:+.4f} against NP of the same run ({n} draws, alpha "
        "0.0005; overstated)."
        + (
            f" DSRS ACR 95% interval over the test images {interval.lower:.4f}–"
            f"{interval.upper:.4f}."
            if interval is not None and interval.lower is not None and interval.upper is not None
            else ""
        )
    )
    if summary.benign_accuracy is not None:
        console.print(
            f"benign accuracy of the smoothed classifier {100 * summary.benign_accuracy:.1f}% "
            "(the paper's R = 0 column; certified accuracy at 0 is in the table)"
        )
    timings = job.timings
    console.print(
        f"abstain rate {100 * summary.abstain_rate:.1f}%; job wall time "
        f"{timings.wall_seconds or 0.0:.1f} s "
        f"({timings.seconds_per_sample or 0.0:.3f} s per image); "
        f"demo total {time.perf_counter() - started:.1f} s. Results: {storage_dir}/dsrs.sqlite3"
    )
