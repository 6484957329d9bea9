"""``AsyncDsrsClient``: the asyncio Python client of the dsrs HTTP API.

Same methods, arguments and results as :class:`dsrs_client.sync_client.DsrsClient`, as
coroutines (``iter_results`` is an async iterator).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Self, TypeVar

import httpx

from dsrs_client import endpoints
from dsrs_client.contract import (
    DEFAULT_CONFIDENCE,
    Comparison,
    InputSetOut,
    JobCreate,
    JobOut,
    ModelOut,
    PlanOut,
    ResultsPage,
    SampleOut,
    Summary,
)
from dsrs_client.endpoints import (
    Endpoint,
    UploadSource,
    auth_headers,
    parse_response,
)
from dsrs_client.errors import ServiceUnreachableError
from dsrs_client.job_wait import JobWait
from dsrs_client.retry_policy import RetryPolicy
from dsrs_client.sync_client import DEFAULT_TIMEOUT_S, DEFAULT_URL, RESULTS_PAGE_SIZE

__all__ = ["AsyncDsrsClient"]

T = TypeVar("T")


class AsyncDsrsClient:
    """Asynchronous client of a dsrs service.

    Parameters
    ----------
    url : str
        Base URL of the service.
    api_key : str, optional
        Sent as the ``X-API-Key`` header when set.
    timeout : float
        Seconds for connecting and for each read.
    retry : RetryPolicy, optional
        Bounded retries with backoff on connection errors.
    transport : httpx.AsyncBaseTransport, optional
        For tests.

    Examples
    --------
    >>> async with AsyncDsrsClient(url) as dsrs:                    # doctest: +SKIP
    ...     jobs = [await dsrs.submit_job(r) for r in requests]
    ...     done = await asyncio.gather(*(dsrs.wait_for_job(j.id) for j in jobs))
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=auth_headers(api_key), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _call(self, endpoint: Endpoint[T]) -> T:
        for attempt in itertools.count(1):
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = await self._http.request(**endpoint.request_arguments())
            except httpx.TransportError as error:
                outcome = error
            pause = self.retry.pause_after(endpoint.method, attempt, outcome)
            if pause is not None:
                await self._sleep(pause)
            elif isinstance(outcome, httpx.TransportError):
                raise ServiceUnreachableError(
                    self.url, f"{type(outcome).__name__}: {outcome}"
                ) from None
            else:
                return parse_response(outcome, endpoint)
        raise AssertionError("unreachable")

    async def health(self) -> dict[str, Any]:
        """``GET /healthz``."""
        return await self._call(endpoints.health())

    async def upload_model(
        self,
        source: UploadSource,
        *,
        architecture: str | None = None,
        name: str | None = None,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> ModelOut:
        """Upload a base classifier (see :meth:`DsrsClient.upload_model`)."""
        return await self._call(
            endpoints.upload_model(source, architecture=architecture, name=name, mean=mean, std=std)
        )

    async def list_models(self, *, limit: int = 100, offset: int = 0) -> list[ModelOut]:
        """Models on the service."""
        return await self._call(endpoints.list_models(limit, offset))

    async def get_model(self, model_id: str) -> ModelOut:
        """One model by id."""
        return await self._call(endpoints.get_model(model_id))

    async def upload_inputs(self, source: UploadSource, *, name: str | None = None) -> InputSetOut:
        """Upload an input set (see :meth:`DsrsClient.upload_inputs`)."""
        return await self._call(endpoints.upload_inputs(source, name=name))

    async def get_input_set(self, input_set_id: str) -> InputSetOut:
        """One uploaded input set by id."""
        return await self._call(endpoints.get_input_set(input_set_id))

    async def list_input_sets(self, *, limit: int = 100, offset: int = 0) -> list[InputSetOut]:
        """Uploaded input sets, newest first."""
        return await self._call(endpoints.list_input_sets(limit, offset))

    async def delete_model(self, model_id: str) -> None:
        """Delete a model (409 while a queued or running job uses it)."""
        await self._call(endpoints.delete("models", model_id))

    async def delete_input_set(self, input_set_id: str) -> None:
        """Delete an input set (409 while a queued or running job uses it)."""
        await self._call(endpoints.delete("inputs", input_set_id))

    async def delete_job(self, job_id: str) -> None:
        """Delete a finished job and its results (409 while it is queued or running)."""
        await self._call(endpoints.delete("jobs", job_id))

    async def submit_job(self, request: JobCreate | dict[str, Any]) -> JobOut:
        """Submit a certification job (validated locally first)."""
        return await self._call(endpoints.submit_job(request))

    async def list_jobs(
        self,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        name: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> list[JobOut]:
        """Jobs, newest first, optionally of one status, one name, and every tag given."""
        return await self._call(endpoints.list_jobs(status, limit, offset, name, tags))

    async def get_job(self, job_id: str) -> JobOut:
        """One job with progress, ETA and timings."""
        return await self._call(endpoints.get_job(job_id))

    async def cancel_job(self, job_id: str) -> JobOut:
        """Cancel a queued or running job."""
        return await self._call(endpoints.cancel_job(job_id))

    async def results_page(
        self, job_id: str, *, cursor: str | None = None, limit: int = RESULTS_PAGE_SIZE
    ) -> ResultsPage:
        """One page of per-input results."""
        return await self._call(endpoints.results_page(job_id, cursor, limit))

    async def iter_results(
        self, job_id: str, *, page_size: int = RESULTS_PAGE_SIZE
    ) -> AsyncIterator[SampleOut]:
        """Every stored result of a job, page after page."""
        cursor: str | None = None
        while True:
            page = await self.results_page(job_id, cursor=cursor, limit=page_size)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def all_results(self, job_id: str) -> list[SampleOut]:
        """Every stored result of a job as a list."""
        return [item async for item in self.iter_results(job_id)]

    async def summary(self, job_id: str, *, radii: Sequence[float] | None = None) -> Summary:
        """Certified accuracy (NP and DSRS) and ACR."""
        return await self._call(endpoints.summary(job_id, radii))

    async def compare(
        self,
        job_ids: Sequence[str] = (),
        *,
        radii: Sequence[float] | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        inputs: str = "common",
    ) -> Comparison:
        """``GET /v1/compare`` (see :meth:`DsrsClient.compare`)."""
        return await self._call(endpoints.compare(job_ids, radii, confidence, name, tags, inputs))

    async def plan(self, **query: Any) -> PlanOut:
        """``GET /v1/plan`` (see :meth:`DsrsClient.plan`)."""
        return await self._call(endpoints.plan(**query))

    async def wait_for_job(
        self,
        job_id: str,
        timeout: float | None = None,
        on_progress: Callable[[JobOut], None] | None = None,
        *,
        poll_interval: float = 1.0,
        raise_on_failure: bool = True,
    ) -> JobOut:
        """Poll a job until it is final (see :meth:`DsrsClient.wait_for_job`).

        Raises
        ------
        JobTimeoutError, JobFailedError, ServiceUnreachableError, ApiResponseError
        """
        wait = JobWait(job_id, timeout, on_progress, poll_interval, raise_on_failure)
        while True:
            job = await self.get_job(job_id)
            pause = wait.pause_after(job)
            if pause is None:
                return job
            await self._sleep(pause)
