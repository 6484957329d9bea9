"""Fixtures of the dashboard tests: an embedded API on a real HTTP port, rows seeded
straight into its database, and live servers (embedded, or API + Celery worker processes on
PostgreSQL and Redis) for the browser tests."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_service import LiveService

from tests.polling import wait_until
from tests.support.factories import seed_model
from tests.support.processes import (
    dsrs_executable,
    environment_without_dsrs,
    free_port,
    start_process,
    stop_process,
    unique_queue,
)

REPOSITORY = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPOSITORY / "artifacts" / "dashboard"


@dataclass
class EmbeddedApi:
    base_url: str
    client: httpx.Client
    session_factory: Any
    model_id: str


@pytest.fixture(scope="module")
def embedded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedApi]:
    """The embedded app (SQLite) served over HTTP, with one model row (no upload needed)."""
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(storage_dir=tmp_path_factory.mktemp("dashboard") / "var", chunk_size=4)
    app = create_app(settings)
    model_id = seed_model(app.state.session_factory)
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        yield EmbeddedApi(base_url, client, app.state.session_factory, model_id)


def service_environment(**values: str) -> dict[str, str]:
    env = environment_without_dsrs()
    env.update({f"DSRS_{k.upper()}": v for k, v in values.items()})
    env["PYTHONPATH"] = str(REPOSITORY)
    return env


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(
        lambda: process.poll() is not None or ready(),
        timeout=120,
        interval=0.2,
        describe=lambda _: (
            f"the API at {base_url} did not become ready:\n{log.read_text()[-3000:]}"
        ),
    )
    if process.poll() is not None:
        pytest.fail(f"the API process exited:\n{log.read_text()[-3000:]}")


@pytest.fixture(params=["embedded", pytest.param("celery", marks=pytest.mark.services)])
def live_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveService]:
    """A live API process; ``embedded`` runs jobs in-process on SQLite (no API keys),
    ``celery`` is the full stack: API and a Celery worker process on PostgreSQL and Redis,
    where API keys are required (the admin key is generated here)."""
    storage = tmp_path / "var"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    values = {"storage_dir": str(storage), "chunk_size": "5"}
    api_key = None
    processes = []
    if request.param == "celery":
        database = request.getfixturevalue("postgres_database")
        broker = request.getfixturevalue("redis_url")
        api_key = secrets.token_urlsafe(32)
        values.update(
            admin_api_key=api_key,
            database_url=database,
            broker_url=broker,
            queue=unique_queue("dsrs-dashboard"),
            torch_threads="1",
        )
        processes.append(
            start_process(
                [dsrs_executable(), "worker", "--pool", "solo", "--loglevel", "WARNING"],
                service_environment(**values),
                tmp_path / "worker.log",
                cwd=REPOSITORY,
            )
        )
    api_log = tmp_path / "api.log"
    processes.append(
        start_process(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "dsrs_api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            service_environment(**values),
            api_log,
            cwd=REPOSITORY,
        )
    )
    try:
        wait_ready(base_url, processes[-1], api_log)
        yield LiveService(base_url, api_key)
    finally:
        for process in reversed(processes):
            stop_process(process, grace_s=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium); no browser is downloaded")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Folder for this test's screenshots (``artifacts/`` is git-ignored)."""
    name = request.node.name.replace("[", "-").replace("]", "")
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
