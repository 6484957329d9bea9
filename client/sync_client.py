"""``DsrsClient``: the synchronous Python client of the dsrs HTTP API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self, TypeVar

import httpx

from dsrs_client import endpoints
from dsrs_client.contract import (
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

__all__ = ["DEFAULT_URL", "DsrsClient"]

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_S = 60.0
RESULTS_PAGE_SIZE = 1000


class DsrsClient:
    """Synchronous client of a dsrs service.

    Parameters
    ----------
    url : str
        Base URL of the service, e.g. ``"http://127.0.0.1:8000"``.
    api_key : str, optional
        Sent as the ``X-API-Key`` header when set.
    timeout : float
        Seconds for connecting and for each read.
    retry : RetryPolicy, optional
        Bounded retries with backoff on connection errors (default 4 tries).
    transport : httpx.BaseTransport, optional
        For tests (e.g. ``httpx.MockTransport``).

    Examples
    --------
    >>> with DsrsClient("http://127.0.0.1:8000") as dsrs:          # doctest: +SKIP
    ...     job = dsrs.submit_job({...})
    ...     job = dsrs.wait_for_job(job.id, timeout=600)
    ...     rows = dsrs.all_results(job.id)
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.url, headers=auth_headers(api_key), timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # ------------------------------------------------------------------ transport

    def _call(self, endpoint: Endpoint[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    endpoint.method,
                    endpoint.path,
                    params=endpoint.params,
                    json=endpoint.json,
                    files=endpoint.files,
                    data=endpoint.data,
                )
            except httpx.TransportError as error:
                if attempt < self.retry.attempts and self.retry.retries_error(
                    endpoint.method, error
                ):
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise ServiceUnreachableError(
                    self.url, f"{type(error).__name__}: {error}"
                ) from None
            if (
                response.is_error
                and attempt < self.retry.attempts
                and self.retry.retries_status(endpoint.method, response.status_code)
            ):
                self._sleep(self.retry.delay(attempt))
                continue
            return parse_response(response, endpoint)

    # -------------------------------------------------------------------- service

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: ``{"status": "ok"}`` when the service answers."""
        return self._call(endpoints.health())

    # --------------------------------------------------------------------- models

    def upload_model(
        self,
        source: UploadSource,
        *,
        architecture: str | None = None,
        name: str | None = None,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> ModelOut:
        """Upload a base classifier.

        Parameters
        ----------
        source : path or (file name, bytes)
            A safetensors state dict (needs ``architecture``) or an ONNX model.
        architecture : str, optional
            Registered architecture name, e.g. ``"resnet110-cifar"``.
        name : str, optional
            Display name (default: the file name).
        mean, std : sequence of float, optional
            Per-channel normalisation (safetensors only).

        Returns
        -------
        ModelOut
            The stored model; uploading the same content again returns the same model.
        """
        return self._call(
            endpoints.upload_model(source, architecture=architecture, name=name, mean=mean, std=std)
        )

    def list_models(self, *, limit: int = 100, offset: int = 0) -> list[ModelOut]:
        """Models on the service, newest first."""
        return self._call(endpoints.list_models(limit, offset))

    def get_model(self, model_id: str) -> ModelOut:
        """One model by id."""
        return self._call(endpoints.get_model(model_id))

    # --------------------------------------------------------------------- inputs

    def upload_inputs(self, source: UploadSource, *, name: str | None = None) -> InputSetOut:
        """Upload inputs: ``.npy`` ``(n, *shape)``, or ``.npz``/safetensors with ``inputs``
        and optional ``labels``."""
        return self._call(endpoints.upload_inputs(source, name=name))

    def get_input_set(self, input_set_id: str) -> InputSetOut:
        """One uploaded input set by id."""
        return self._call(endpoints.get_input_set(input_set_id))

    # ----------------------------------------------------------------------- jobs

    def submit_job(self, request: JobCreate | dict[str, Any]) -> JobOut:
        """Submit a certification job (``POST /v1/jobs``).

        Parameters
        ----------
        request : JobCreate or dict
            Validated locally against :class:`dsrs_client.contract.JobCreate` before sending.

        Returns
        -------
        JobOut
            The queued job.
        """
        return self._call(endpoints.submit_job(request))

    def list_jobs(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[JobOut]:
        """Jobs, optionally of one status."""
        return self._call(endpoints.list_jobs(status, limit, offset))

    def get_job(self, job_id: str) -> JobOut:
        """One job with progress, ETA and timings."""
        return self._call(endpoints.get_job(job_id))

    def cancel_job(self, job_id: str) -> JobOut:
        """Cancel a queued or running job; results stored so far are kept."""
        return self._call(endpoints.cancel_job(job_id))

    def results_page(
        self, job_id: str, *, cursor: str | None = None, limit: int = RESULTS_PAGE_SIZE
    ) -> ResultsPage:
        """One page of per-input results, in sample order."""
        return self._call(endpoints.results_page(job_id, cursor, limit))

    def iter_results(
        self, job_id: str, *, page_size: int = RESULTS_PAGE_SIZE
    ) -> Iterator[SampleOut]:
        """Every stored result of a job, page after page."""
        cursor: str | None = None
        while True:
            page = self.results_page(job_id, cursor=cursor, limit=page_size)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def all_results(self, job_id: str) -> list[SampleOut]:
        """Every stored result of a job as a list."""
        return list(self.iter_results(job_id))

    def summary(self, job_id: str, *, radii: Sequence[float] | None = None) -> Summary:
        """Certified accuracy (NP and DSRS) at ``radii`` (default 0, 0.25, …) and ACR."""
        return self._call(endpoints.summary(job_id, radii))

    def compare(
        self,
        job_ids: Sequence[str],
        *,
        radii: Sequence[float] | None = None,
        confidence: float = 0.95,
    ) -> Comparison:
        """``GET /v1/compare``: jobs side by side, certified accuracy at ``radii`` and ACR
        with confidence intervals, benign accuracy, curves
        (:class:`dsrs_client.contract.Comparison`)."""
        return self._call(endpoints.compare(job_ids, radii, confidence))

    def plan(self, **query: Any) -> PlanOut:
        """``GET /v1/plan``: largest certifiable radii and cost for a budget.

        Parameters
        ----------
        **query
            ``family``, ``sigma``, ``k``, ``dimension`` or ``model_id``, ``n``, ``alpha``,
            ``n_selection``, ``q_sigma`` or ``q_threshold``.

        Returns
        -------
        dsrs_client.contract.PlanOut
        """
        return self._call(endpoints.plan(**query))

    def wait_for_job(
        self,
        job_id: str,
        timeout: float | None = None,
        on_progress: Callable[[JobOut], None] | None = None,
        *,
        poll_interval: float = 1.0,
        raise_on_failure: bool = True,
    ) -> JobOut:
        """Poll a job until it is final.

        Parameters
        ----------
        job_id : str
        timeout : float, optional
            Seconds to wait at most (default: no limit).
        on_progress : callable, optional
            Called with every polled :class:`JobOut` (for progress bars).
        poll_interval : float
            Seconds between polls.
        raise_on_failure : bool
            Raise :class:`JobFailedError` when the job ends ``failed`` or ``cancelled``.

        Returns
        -------
        JobOut
            The job in its final state.

        Raises
        ------
        JobTimeoutError, JobFailedError, ServiceUnreachableError, ApiResponseError
        """
        wait = JobWait(job_id, timeout, on_progress, poll_interval, raise_on_failure)
        while True:
            job = self.get_job(job_id)
            pause = wait.pause_after(job)
            if pause is None:
                return job
            self._sleep(pause)
