"""The client's transport rules against a mock transport: bounded retries with backoff,
POST never sent twice, errors carry the service's detail, the API key header."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import httpx
import pytest

from dsrs_client.errors import (
    ApiResponseError,
    JobFailedError,
    JobTimeoutError,
    ServiceUnreachableError,
)
from dsrs_client.retry_policy import RetryPolicy
from dsrs_client.sync_client import DsrsClient

NOW = datetime(2026, 1, 1, tzinfo=UTC).isoformat()


def job_json(status: str = "running", done: int = 1, error: str | None = None) -> dict:
    return {
        "id": "j1",
        "model_id": "m1",
        "status": status,
        "mode": "evaluate",
        "inputs": {},
        "parameters": {"noise": {"sigma": 0.25}},
        "seed": 1,
        "progress": {"done": done, "total": 3, "fraction": done / 3},
        "eta_seconds": None,
        "error": error,
        "timings": {
            "created_at": NOW,
            "started_at": None,
            "finished_at": None,
            "wall_seconds": None,
            "sampling_seconds": 0.0,
            "seconds_per_sample": None,
        },
    }


def client_with(handler, attempts: int = 4) -> tuple[DsrsClient, list[float]]:  # type: ignore[no-untyped-def]
    sleeps: list[float] = []
    dsrs = DsrsClient(
        "http://dsrs.test",
        api_key="k",
        retry=RetryPolicy(attempts=attempts, initial_delay=0.1, max_delay=0.3),
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
    )
    return dsrs, sleeps


def test_connection_errors_are_retried_with_bounded_backoff() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=job_json())

    dsrs, sleeps = client_with(handler)
    assert dsrs.get_job("j1").status == "running"
    assert len(calls) == 3 and sleeps == [0.1, 0.2]


def test_retries_stop_after_the_last_attempt() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    dsrs, sleeps = client_with(handler, attempts=5)
    with pytest.raises(ServiceUnreachableError, match="cannot reach the dsrs service"):
        dsrs.list_models()
    assert len(calls) == 5 and sleeps == [0.1, 0.2, 0.3, 0.3]


def test_a_post_that_may_have_arrived_is_not_sent_twice() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    dsrs, _ = client_with(handler)
    with pytest.raises(ServiceUnreachableError):
        dsrs.cancel_job("j1")
    assert len(calls) == 1


def test_unavailable_get_is_retried_but_a_refusal_is_not() -> None:
    answers = [httpx.Response(503, json={"detail": "broker down"}), httpx.Response(200, json=[])]
    dsrs, _ = client_with(lambda request: answers.pop(0))
    assert dsrs.list_models() == []
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        detail = [{"loc": ["body", "noise", "sigma"], "msg": "Field required"}]
        return httpx.Response(422, json={"detail": detail})

    dsrs, _ = client_with(refuse)
    with pytest.raises(ApiResponseError) as error:
        dsrs.get_job("j1")
    assert len(calls) == 1
    assert error.value.status_code == 422
    assert error.value.detail == "noise.sigma: Field required"


def test_api_key_header_is_sent_only_when_set() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-API-Key"))
        return httpx.Response(200, json=[])

    dsrs, _ = client_with(handler)
    dsrs.list_models()
    without = DsrsClient("http://dsrs.test", transport=httpx.MockTransport(handler))
    without.list_models()
    assert seen == ["k", None]


def test_malformed_answer_is_an_api_error_not_a_crash() -> None:
    dsrs, _ = client_with(lambda request: httpx.Response(200, json={"unexpected": True}))
    with pytest.raises(ApiResponseError, match="unexpected answer"):
        dsrs.get_job("j1")


def test_wait_for_job_reports_progress_and_returns_the_final_job() -> None:
    answers = [job_json("queued", 0), job_json("running", 2), job_json("succeeded", 3)]
    dsrs, sleeps = client_with(lambda request: httpx.Response(200, json=answers.pop(0)))
    seen = []
    job = dsrs.wait_for_job(
        "j1", timeout=60, on_progress=lambda j: seen.append(j.progress.done), poll_interval=0.5
    )
    assert job.status == "succeeded" and seen == [0, 2, 3] and sleeps == [0.5, 0.5]


def test_wait_for_job_raises_for_failure_and_timeout() -> None:
    dsrs, _ = client_with(lambda r: httpx.Response(200, json=job_json("failed", 1, "boom")))
    with pytest.raises(JobFailedError, match="job j1 failed: boom"):
        dsrs.wait_for_job("j1")
    assert dsrs.wait_for_job("j1", raise_on_failure=False).status == "failed"
    dsrs, _ = client_with(lambda r: httpx.Response(200, json=job_json("running")))
    with pytest.raises(JobTimeoutError, match="still running"):
        dsrs.wait_for_job("j1", timeout=0.0)


def test_importing_the_client_imports_neither_torch_nor_fastapi() -> None:
    check = (
        "import sys\n"
        "from dsrs_client.sync_client import DsrsClient\n"
        "from dsrs_client.async_client import AsyncDsrsClient\n"
        "import client\n"
        "heavy = sorted(m for m in ('torch', 'fastapi', 'sqlalchemy', 'scipy')\n"
        "               if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_async_client_retries_connection_errors_too() -> None:
    import asyncio

    from dsrs_client.async_client import AsyncDsrsClient

    calls = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=job_json("succeeded", 3))

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async def scenario() -> str:
        async with AsyncDsrsClient(
            "http://dsrs.test",
            retry=RetryPolicy(attempts=2, initial_delay=0.1),
            transport=httpx.MockTransport(handler),
            sleep=record,
        ) as dsrs:
            return (await dsrs.wait_for_job("j1")).status

    assert asyncio.run(scenario()) == "succeeded"
    assert len(calls) == 2 and sleeps == [0.1]
