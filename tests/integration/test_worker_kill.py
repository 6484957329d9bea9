"""A worker killed with SIGKILL in the middle of a chunk, and the job still ends with
exactly one row per sample (real PostgreSQL, real Redis, real ``dsrs worker`` processes):

* with a 3 s broker visibility timeout, the broker delivers the killed worker's message
  again (same task id) to the survivor within seconds; its claim finds the dead worker's
  lease still live (it falls silent only after ``chunk_lease_s``) and skips it, so the
  duplicate delivery writes nothing, and the chunk is redone once, by the sweeper (on a
  machine slow enough that the lease fell silent first, the redelivery runs it itself);
* with the DEFAULT settings (visibility timeout of an hour, chunk lease of 60 s), the
  surviving worker's sweeper sends the chunk again once its lease falls silent (about two
  lease periods, not the hour of the visibility timeout; the time is printed, not asserted:
  the deadline of the wait only bounds a hang), and says so in its log.

Each stack has a database of its own and lives only during its test: the sweeper of any
worker on a database sends again the silent chunks of every job there, onto its own queue,
so a worker of another stack would take the recovery (and its log line) away from the
survivor watched here (two CI runs: the default-settings chunk came back through the
sweeper of the 3 s stack, still running beside it).
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from tests.polling import wait_until
from tests.support.databases import migrated_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN_KEY = "kill-test-admin-" + secrets.token_urlsafe(32)
VISIBILITY_TIMEOUT_S = 3
TOTAL = 24
#: How long the wait after the kill may last: it bounds a hang, not the speed. With default
#: settings the chunk is sent again about two lease periods (2 × 60 s) after the kill;
#: longer than this means it was left to the hour-long visibility timeout.
MAX_SECONDS_AFTER_KILL = 600
#: The sweeper's line for a chunk whose worker died (worker/chunk_sweeper.py).
SILENT_SENT_AGAIN = "chunk {chunk} of job {job}: its worker fell silent; sending it again"
RECEIVED = re.compile(r"Task dsrs\.certify_chunk\[([0-9a-f-]+)\] received")
SUCCEEDED = re.compile(r"Task dsrs\.certify_chunk\[([0-9a-f-]+)\] succeeded")
RESULT = re.compile(r"Task dsrs\.certify_chunk\[([0-9a-f-]+)\] succeeded in [0-9.]+s: (\{.*\})")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def busy(self) -> bool:
        """Has taken a chunk it has not finished."""
        log = self.text()
        return bool(set(RECEIVED.findall(log)) - set(SUCCEEDED.findall(log)))


def start_worker(env: dict[str, str], log: Path) -> Worker:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dsrs")), "worker", "--concurrency", "1"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: parent and pool child die together
        )
    worker = Worker(process, log)
    wait_until(
        lambda: worker.process.poll() is not None or "ready." in worker.text(),
        timeout=180,
        interval=0.2,
        describe=lambda _: worker.text(),
    )
    assert worker.process.poll() is None, worker.text()
    return worker


def stop(worker: Worker) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=10)


@contextmanager
def worker_stack(
    postgres_database: str, redis_url: str, root: Path, worker_env: dict[str, str]
) -> Iterator[tuple[httpx.Client, list[Worker]]]:
    """The API in-process and two ``dsrs worker`` processes on a queue of their own."""
    import redis

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    queue = f"dsrs-kill-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        database_url=postgres_database,
        broker_url=redis_url,
        queue=queue,
        storage_dir=root / "var",
        chunk_size=4,
        admin_api_key=SecretStr(ADMIN_KEY),
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSRS_")},
        "DSRS_DATABASE_URL": postgres_database,
        "DSRS_BROKER_URL": redis_url,
        "DSRS_QUEUE": queue,
        "DSRS_STORAGE_DIR": str(settings.storage_dir),
        "DSRS_DEVICE": "cpu",
        "DSRS_TORCH_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        **worker_env,
    }
    workers = [start_worker(env, root / f"worker-{i}.log") for i in range(2)]
    try:
        with (
            running_server(create_app(settings)) as base_url,
            httpx.Client(base_url=base_url, timeout=60, headers={"X-API-Key": ADMIN_KEY}) as client,
        ):
            yield client, workers
    finally:
        for worker in workers:
            stop(worker)
        broker = redis.Redis.from_url(redis_url)
        broker.delete(queue)
        broker.close()


@dataclass
class Stack:
    client: httpx.Client
    victim: Worker
    survivor: Worker
    database: str


@pytest.fixture
def kill_stack(postgres_server: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    env = {"DSRS_BROKER_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}
    with (
        migrated_database(postgres_server, "dsrs_kill") as database,
        worker_stack(database, redis_url, tmp_path, env) as (client, (victim, survivor)),
    ):
        yield Stack(client, victim, survivor, database)


@pytest.fixture
def default_stack(postgres_server: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    from dsrs_settings import Settings

    defaults = Settings()
    assert defaults.broker_visibility_timeout_s == 3900 and defaults.chunk_lease_s == 60
    with (
        migrated_database(postgres_server, "dsrs_lease") as database,
        worker_stack(database, redis_url, tmp_path, {}) as (client, (victim, survivor)),
    ):
        yield Stack(client, victim, survivor, database)


def kill_mid_chunk_and_wait(
    client: httpx.Client, victim: Worker, demo_weights: bytes, seed: int, limit_s: float
) -> tuple[dict[str, Any], set[str], float]:
    """Start a job, SIGKILL ``victim`` in the middle of a chunk once a row is stored, and
    wait up to ``limit_s`` after the kill for the job to end. Returns the final job, the
    victim's unfinished task ids and the seconds from the kill to the end."""
    model = client.post(
        "/v1/models",
        files={"file": ("digits-demo.safetensors", demo_weights)},
        data={"architecture": "digits-mlp"},
    )
    assert model.status_code in (200, 201), model.text
    body: dict[str, Any] = {
        "model_id": model.json()["id"],
        "inputs": {"dataset": "digits", "split": "test", "stop": TOTAL},
        "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
        "q": {"sigma": 0.2},
        "n_selection": 50,
        "n": 20_000,
        "batch_size": 5_000,
        "seed": seed,
    }
    job = client.post("/v1/jobs", json=body).json()

    # The log is read last, just before the kill: read first, a chunk could finish during
    # the status request that followed, and the victim died between chunks (CI, once).
    wait_until(
        lambda: client.get(f"/v1/jobs/{job['id']}").json()["progress"]["done"] and victim.busy(),
        timeout=300,
        describe=lambda _: victim.text(),
    )
    os.killpg(victim.process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    victim.process.wait(timeout=10)
    unfinished = set(RECEIVED.findall(victim.text())) - set(SUCCEEDED.findall(victim.text()))
    assert unfinished, "the victim was killed between chunks"

    job = wait_until(
        lambda: client.get(f"/v1/jobs/{job['id']}").json(),
        lambda job: job["status"] in ("succeeded", "failed", "cancelled"),
        timeout=limit_s,
        interval=0.2,
        describe=lambda job: f"job did not finish after the kill: {job}",
    )
    return job, unfinished, time.monotonic() - killed_at


def rows_lost_and_duplicated(database: str, job_id: str) -> tuple[int, int]:
    engine = create_engine(database)
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            text("SELECT count(*), count(DISTINCT sample_index) FROM samples WHERE job_id = :j"),
            {"j": job_id},
        ).one()
    engine.dispose()
    return TOTAL - distinct, rows - distinct


def taken_over_chunks(database: str, job_id: str) -> set[int]:
    """The chunks of ``job_id`` whose lease was taken again after its holder fell silent."""
    engine = create_engine(database)
    with engine.connect() as connection:
        chunks = connection.execute(
            text("SELECT chunk_index FROM chunk_leases WHERE job_id = :j AND attempts > 1"),
            {"j": job_id},
        ).scalars()
        taken_over = {int(chunk) for chunk in chunks}
    engine.dispose()
    return taken_over


def results_of(worker: Worker, task_ids: set[str]) -> list[dict[str, Any]]:
    """What ``worker`` logged as the result of the tasks ``task_ids`` (in its log's order)."""
    return [
        ast.literal_eval(result)
        for task_id, result in RESULT.findall(worker.text())
        if task_id in task_ids
    ]


def test_sigkill_mid_job_loses_and_duplicates_no_row(
    kill_stack: Stack, demo_weights: bytes
) -> None:
    stack = kill_stack
    job, unfinished, _ = kill_mid_chunk_and_wait(
        stack.client, stack.victim, demo_weights, 7, MAX_SECONDS_AFTER_KILL
    )
    assert job["status"] == "succeeded", job["error"]
    lost, duplicated = rows_lost_and_duplicated(stack.database, job["id"])
    print(f"rows lost / duplicated after SIGKILL: {lost} / {duplicated}")
    assert (lost, duplicated) == (0, 0)
    # The broker delivered the killed worker's message again (same task id) to the survivor.
    redelivered = wait_until(
        lambda: results_of(stack.survivor, unfinished),
        timeout=60,
        describe=lambda _: stack.survivor.text()[-3000:],
    )
    (chunk,) = {result["chunk_index"] for result in redelivered}
    assert taken_over_chunks(stack.database, job["id"]) == {chunk}
    # Within the lease period its claim finds the dead worker's lease live and skips it;
    # the sweeper then sends the chunk again. A redelivery claimed after the lease fell
    # silent (a slow machine) runs it itself, and no sweep is needed.
    if any("written" in result for result in redelivered):
        print(f"chunk {chunk} came back with the broker's redelivery: {redelivered}")
    else:
        assert {result["skipped"] for result in redelivered} == {"held by another live worker"}
        line = SILENT_SENT_AGAIN.format(chunk=chunk, job=job["id"])
        assert line in stack.survivor.text(), stack.survivor.text()[-3000:]
        print(f"chunk {chunk}: the redelivery was skipped, the sweeper sent it again")


def test_sigkill_with_default_settings_loses_no_row(
    default_stack: Stack, demo_weights: bytes
) -> None:
    stack = default_stack
    job, _, elapsed = kill_mid_chunk_and_wait(
        stack.client, stack.victim, demo_weights, 11, MAX_SECONDS_AFTER_KILL
    )
    assert job["status"] == "succeeded", job["error"]
    lost, duplicated = rows_lost_and_duplicated(stack.database, job["id"])
    print(
        f"SIGKILL with default settings: the job finished {elapsed:.0f} s after the kill; "
        f"rows lost / duplicated: {lost} / {duplicated}"
    )
    assert (lost, duplicated) == (0, 0)
    # The dead worker's chunk came back through the survivor's sweeper (the broker would
    # wait an hour), and the survivor's log says so: an operator sees the recovery.
    (chunk,) = taken_over_chunks(stack.database, job["id"])
    line = SILENT_SENT_AGAIN.format(chunk=chunk, job=job["id"])
    assert line in stack.survivor.text(), stack.survivor.text()[-3000:]
