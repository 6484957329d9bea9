"""Live services for the command-line tests.

* ``embedded_service``: the API on SQLite with in-process jobs, over real HTTP (a uvicorn
  thread on a free port).
* ``full_stack``: the API on a fresh PostgreSQL database with a Redis broker, and a real
  Celery worker *process* (``dsrs worker --pool solo``) on a private queue.

``run_cli`` runs ``dsrs`` in-process through typer's runner with ``--url`` set.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.polling import wait_until
from tests.support.databases import create_database, drop_database
from tests.support.processes import (
    dsrs_executable,
    environment_without_dsrs,
    start_process,
    stop_process,
)

WORKER_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Service:
    url: str
    storage_dir: Path


def invoke_cli(service: Service | None, *args: str, json_output: bool = False) -> Result:
    """``dsrs --url <service> [--json] args…`` in-process; stdout and stderr kept apart.
    ``service`` None: commands that need no server."""
    from dsrs_cli.main import app

    options = (["--url", service.url] if service else []) + (["--json"] if json_output else [])
    # A wide virtual terminal keeps rich from wrapping table cells.
    return CliRunner().invoke(
        app, [*options, *args], catch_exceptions=False, env={"COLUMNS": "250"}
    )


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., Result]:
    """:func:`invoke_cli` (test modules cannot import this conftest by name)."""
    return invoke_cli


@pytest.fixture(scope="module")
def embedded_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    storage = tmp_path_factory.mktemp("embedded") / "var"
    settings = Settings(storage_dir=storage, chunk_size=3, device="cpu")
    with running_server(create_app(settings)) as url:
        yield Service(url, storage)


@pytest.fixture(scope="module")
def embedded_model_id(embedded_service: Service, demo_weights: bytes) -> str:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        return dsrs.upload_model(
            ("digits-demo.safetensors", demo_weights), architecture="digits-mlp"
        ).id


@pytest.fixture(scope="module")
def full_stack(
    postgres_server: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings
    from dsrs_store.migrations import upgrade_to_head

    database_url = create_database(postgres_server, "dsrs_cli")
    storage = tmp_path_factory.mktemp("full-stack") / "var"
    settings = Settings(
        database_url=database_url,
        broker_url=redis_url,
        queue=f"dsrs-cli-{uuid.uuid4().hex[:12]}",
        storage_dir=storage,
        chunk_size=2,
        device="cpu",
        torch_threads=1,
        auth="disabled",
    )
    upgrade_to_head(settings)
    env = environment_without_dsrs()
    env.update(
        DSRS_DATABASE_URL=database_url,
        DSRS_BROKER_URL=redis_url,
        DSRS_QUEUE=settings.queue,
        DSRS_STORAGE_DIR=str(storage),
        DSRS_DEVICE="cpu",
        DSRS_TORCH_THREADS="1",
    )
    log_path = storage.parent / "worker.log"
    worker = start_process(
        [dsrs_executable(), "worker", "--pool", "solo", "--loglevel", "INFO"], env, log_path
    )
    try:
        _wait_for_worker(worker, log_path)
        with running_server(create_app(settings)) as url:
            yield Service(url, storage)
    finally:
        stop_process(worker)
        drop_database(postgres_server, database_url)


def _wait_for_worker(worker: subprocess.Popen[bytes], log_path: Path) -> None:
    wait_until(
        lambda: worker.poll() is not None or "ready." in log_path.read_text(),
        timeout=WORKER_START_TIMEOUT_S,
        interval=0.2,
        describe=lambda _: f"the Celery worker did not start: {log_path.read_text()[-2000:]}",
    )
    if worker.poll() is not None:
        pytest.fail(f"the Celery worker exited: {log_path.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def full_stack_model_id(full_stack: Service, demo_weights: bytes) -> str:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(full_stack.url) as dsrs:
        return dsrs.upload_model(
            ("digits-demo.safetensors", demo_weights), architecture="digits-mlp"
        ).id
