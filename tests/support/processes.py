"""Service processes of the tests and benchmarks: a free port, the environment a child
``dsrs`` process runs in, starting and stopping it, and the stack's ``dsrs worker``.

Children never inherit the caller's ``DSRS_*`` variables: each test states its settings.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.polling import wait_until

if TYPE_CHECKING:
    from dsrs_settings import Settings

__all__ = [
    "WORKER_START_TIMEOUT_S",
    "WorkerProcess",
    "dsrs_executable",
    "environment_without_dsrs",
    "free_port",
    "running_process",
    "stack_settings",
    "start_process",
    "start_worker",
    "stop_process",
    "stop_worker",
    "unique_queue",
    "wait_until_ready",
    "worker_environment",
]

WORKER_START_TIMEOUT_S = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment_without_dsrs() -> dict[str, str]:
    """This process's environment without its ``DSRS_*`` variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}


def dsrs_executable() -> str:
    """The ``dsrs`` entry point installed beside this interpreter."""
    candidate = Path(sys.executable).with_name("dsrs")
    if not candidate.exists():
        raise RuntimeError(f"the dsrs entry point is not installed next to {sys.executable}")
    return str(candidate)


def start_process(
    command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """``command`` in the background, stdout and stderr into ``log``."""
    with log.open("wb") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_s`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_process(
    command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`start_process`, stopped on exit."""
    process = start_process(command, env, log, cwd)
    try:
        yield process
    finally:
        stop_process(process)


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def stack_settings(
    database: str, redis_url: str, queue: str, root: Path, admin_api_key: str
) -> Settings:
    """The API settings of a test stack: PostgreSQL, Redis, chunks of 2, CPU, one thread."""
    from dsrs_settings import Settings

    return Settings(
        database_url=database,
        broker_url=redis_url,
        queue=queue,
        storage_dir=root / "var",
        chunk_size=2,
        device="cpu",
        torch_threads=1,
        admin_api_key=admin_api_key,
    )


def worker_environment(
    database: str, redis_url: str, queue: str, storage_dir: Path, **extra: str
) -> dict[str, str]:
    """The environment of a test's ``dsrs worker``: this process's, without its ``DSRS_*``
    variables, plus the stack's (chunks of 2, CPU, one thread) and ``extra``."""
    return {
        **environment_without_dsrs(),
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
    """``dsrs worker --concurrency 1`` in the background."""
    command = [dsrs_executable(), "worker", "--concurrency", "1", "--loglevel", "INFO"]
    return WorkerProcess(start_process(command, env, log), log)


def wait_until_ready(worker: WorkerProcess, timeout: float = WORKER_START_TIMEOUT_S) -> None:
    """Wait for Celery's ``ready.``; fail the test if the worker exits or never says it."""
    import pytest

    wait_until(
        lambda: worker.process.poll() is not None or "ready." in worker.log_text(),
        timeout=timeout,
        interval=0.2,
        describe=lambda _: f"dsrs worker did not become ready:\n{worker.log_text()}",
    )
    if worker.process.poll() is not None:
        pytest.fail(f"dsrs worker exited early:\n{worker.log_text()}")


def stop_worker(worker: WorkerProcess) -> None:
    stop_process(worker.process)


def unique_queue(prefix: str = "dsrs-test") -> str:
    """A Celery queue name of this test alone."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
