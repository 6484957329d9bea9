"""The real stack: PostgreSQL, Redis, two ``dsrs worker`` processes and the API over HTTP.

Workers are started with the project's entry point (``dsrs worker``) on a queue of their
own, against this session's fresh database; their logs are kept to see who ran what.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.processes import (
    WorkerProcess,
    stack_settings,
    start_worker,
    stop_worker,
    unique_queue,
    wait_until_ready,
    worker_environment,
)

#: The full stack requires API keys; the stack's client is the admin.
ADMIN_API_KEY = "integration-admin-" + secrets.token_urlsafe(32)


@dataclass
class Stack:
    settings: object
    client: httpx.Client
    workers: list[WorkerProcess]


@pytest.fixture(scope="module")
def stack(
    postgres_database: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    import redis

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server

    root = tmp_path_factory.mktemp("stack")
    queue = unique_queue()
    settings = stack_settings(postgres_database, redis_url, queue, root, ADMIN_API_KEY)
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
