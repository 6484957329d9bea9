"""Many more concurrent requests than database connections: every request is answered.

Sync routes run on a 40-thread pool; with a connection pool smaller than that, requests
waiting for a connection could occupy every thread while the requests holding connections
wait for a thread to finish. The admission limit (``database_pool_size`` requests in flight
per process) keeps that from happening.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytestmark = pytest.mark.slow

CONCURRENT = 120


def test_concurrent_requests_beyond_the_pool_all_answer(postgres_database: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        database_url=postgres_database,
        storage_dir=tmp_path / "var",
        auth="disabled",
        database_pool_size=2,
    )

    async def burst(base_url: str) -> list[int | str]:
        limits = httpx.Limits(max_connections=CONCURRENT)
        async with httpx.AsyncClient(base_url=base_url, timeout=20, limits=limits) as client:

            async def one(i: int) -> int | str:
                path = "/v1/jobs" if i % 2 else "/v1/models"
                try:
                    return (await client.get(path)).status_code
                except httpx.HTTPError as error:
                    return type(error).__name__

            return await asyncio.gather(*(one(i) for i in range(CONCURRENT)))

    with running_server(create_app(settings)) as base_url:
        for _ in range(2):
            outcomes = asyncio.run(burst(base_url))
            assert outcomes == [200] * CONCURRENT, sorted(set(map(str, outcomes)))


def test_self_admitted_job_reads_beyond_the_pool_all_answer(  # type: ignore[no-untyped-def]
    postgres_database: str, tmp_path
) -> None:
    """The polled job reads skip the admission middleware and take a slot only around
    their database work (closing the session in the same thread): a burst far beyond the
    pool is still answered, every one (404: no such job)."""
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        database_url=postgres_database,
        storage_dir=tmp_path / "var",
        auth="disabled",
        database_pool_size=2,
    )

    async def burst(base_url: str) -> list[int | str]:
        limits = httpx.Limits(max_connections=CONCURRENT)
        async with httpx.AsyncClient(base_url=base_url, timeout=20, limits=limits) as client:

            async def one(i: int) -> int | str:
                path = f"/v1/jobs/missing{i}" + ("/results" if i % 2 else "")
                try:
                    return (await client.get(path)).status_code
                except httpx.HTTPError as error:
                    return type(error).__name__

            return await asyncio.gather(*(one(i) for i in range(CONCURRENT)))

    with running_server(create_app(settings)) as base_url:
        for _ in range(2):
            outcomes = asyncio.run(burst(base_url))
            assert outcomes == [404] * CONCURRENT, sorted(set(map(str, outcomes)))
