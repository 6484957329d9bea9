"""The real stack: PostgreSQL, Redis, two ``dsrs worker`` processes and the API over HTTP.

Workers are started with the project's entry point (``dsrs worker``) on a queue of their
own, against this session's fresh database; their logs are kept to see who ran what.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.polling import wait_until

WORKER_START_TIMEOUT_S = 90.0
#: The full stack requires API keys; the stack's client is the admin.
ADMIN_API_KEY = "integration-admin-" + secrets.token_urlsafe(32)


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Stack:
    settings: object
    client: httpx.Client
    workers: list[WorkerProcess]


def dsrs_executable() -> str:
    candidate = Path(sys.executable).with_name("dsrs")
    if not candidate.exists():
        pytest.fail(f"the dsrs entry point is not installed next to {sys.executable}")
    return str(candidate)


def worker_environment(
    database: str, redis_url: str, queue: str, storage_dir: Path, **extra: str
) -> dict[str, str]:
    """The environment of a test's ``dsrs worker``: this process's, without its ``DSRS_*``
    variables, plus the stack's (chunks of 2, CPU, one thread) and ``extra``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSRS_")},
        "DSRS_DATABASE_URL": database,
        "DSRS_BROKER_URL": redis_url,
        "DSRS_QUEUE": queue,
        "DSRS_STORAGE_DIR": str(storage_dir),
        "DSRS_CHUNK_SIZE": "2",
        "DSRS_DEVICE": "cpu",
        "DSRS_TORCH_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> WorkerProcess:
    handle = log.open("wb")
    process = subprocess.Popen(
        [dsrs_executable(), "worker", "--concurrency", "1", "--loglevel", "INFO"],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return WorkerProcess(process, log)


def wait_until_ready(worker: WorkerProcess) -> None:
    wait_until(
        lambda: worker.process.poll() is not None or "ready." in worker.log_text(),
        timeout=WORKER_START_TIMEOUT_S,
        interval=0.2,
        describe=lambda _: f"dsrs worker did not become ready:\n{worker.log_text()}",
    )
    if worker.process.poll() is not None:
        pytest.fail(f"dsrs worker exited early:\n{worker.log_text()}")


def stop_worker(worker: WorkerProcess) -> None:
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(
    postgres_database: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    import redis

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    root = tmp_path_factory.mktemp("stack")
    queue = f"dsrs-test-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        database_url=postgres_database,
        broker_url=redis_url,
        queue=queue,
        storage_dir=root / "var",
        chunk_size=2,
        device="cpu",
        torch_threads=1,
        admin_api_key=ADMIN_API_KEY,
    )
    env = worker_environment(postgres_database, redis_url, queue, settings.storage_dir)
    workers = [start_worker(env, root / f"worker-{i}.log") for i in range(2)]
    try:
        for worker in workers:
            wait_until_ready(worker)
        with (
            running_server(create_app(settings)) as base_url,
            httpx.Client(
                base_url=base_url, timeout=60, headers={"X-API-Key": ADMIN_API_KEY}
            ) as client,
        ):
            yield Stack(settings, client, workers)
    finally:
        for worker in workers:
            stop_worker(worker)
        broker = redis.Redis.from_url(redis_url)
        broker.delete(queue)
        broker.close()
