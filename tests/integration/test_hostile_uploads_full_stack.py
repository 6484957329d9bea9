"""Issue 11's hostile uploads against the full stack: ``dsrs serve`` on PostgreSQL with a
Redis broker and a ``dsrs worker`` (:mod:`tests.hostile_attacks`; the same assertions as
the embedded run; its valid control job runs to the end on the worker)."""

from __future__ import annotations

import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.hostile_attacks import run_hostile_suite
from tests.hostile_harness import ServedApi

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_hostile_uploads_against_the_full_stack(
    tmp_path: Path, demo_weights: bytes, postgres_database: str, redis_url: str
) -> None:
    admin_key = secrets.token_urlsafe(32)
    env = {
        "DSRS_ADMIN_API_KEY": admin_key,
        "DSRS_DATABASE_URL": postgres_database,
        "DSRS_BROKER_URL": redis_url,
        "DSRS_QUEUE": f"dsrs-hostile-{uuid.uuid4().hex[:10]}",
        "DSRS_MODEL_LOAD_TIMEOUT_S": "45",
        "DSRS_DEVICE": "cpu",
        "DSRS_TORCH_THREADS": "1",
    }
    api = ServedApi(tmp_path, env, admin_key)
    subprocess.run(
        [str(Path(sys.executable).with_name("dsrs")), "migrate"], env=api.env, check=True
    )
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("dsrs")), "worker", "--concurrency", "1"],
        env=api.env,
        cwd=api.workdir,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        with api.running():
            run_hostile_suite(api, demo_weights)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        worker_log.close()
