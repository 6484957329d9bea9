"""``DsrsClient``: the synchronous Python client of the dsrs HTTP API."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
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
        for attempt in itertools.count(1):
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = self._http.request(**endpoint.request_arguments())
            except httpx.TransportError as error:
                outcome = error
            pause = self.retry.pause_after(endpoint.method, attempt, outcome)
            if pause is not None:
                self._sleep(pause)
            elif isinstance(outcome, httpx.TransportError):
                raise ServiceUnreachableError(
                    self.url, f"{type(outcome).__name__}: {outcome}"
                ) from None
            else:
                return parse_response(outcome, endpoint)
        raise AssertionError("unreachable")

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

    def upload_module(
        self, module: Any, example_input: Any, *, name: str | None = None
    ) -> ModelOut:
        """Export a ``torch.nn.Module`` to ONNX here (where its code is trusted), check the
        graph against the service's contract and upload it.

        Parameters
        ----------
        module : torch.nn.Module
            Takes float inputs in [0, 1], shape ``(B, C, H, W)``, returns ``(B, classes)``
            logits; normalisation belongs inside it (README, "Certify your own model").
        example_input : tensor or ndarray, shape (C, H, W) or (B, C, H, W)
            A typical input, used to trace the module and to check the export.
        name : str, optional
            Display name (default: the module's class name).

        Raises
        ------
        dsrs_client.onnx_export.OnnxExportError
            The export failed or does not meet the contract (nothing is uploaded).
        """
        from dsrs_client.onnx_export import export_onnx

        exported = export_onnx(module, example_input)
        name = name or type(module).__name__
        return self.upload_model((f"{name}.onnx", exported.onnx_bytes), name=name)

    def delete_model(self, model_id: str) -> None:
        """Delete a model and its file (409 while a queued or running job uses it)."""
        self._call(endpoints.delete("models", model_id))

    # --------------------------------------------------------------------- inputs

    def upload_inputs(self, source: UploadSource, *, name: str | None = None) -> InputSetOut:
        """Upload inputs: ``.npy`` ``(n, *shape)``, or ``.npz``/safetensors with ``inputs``
        and optional ``labels``."""
        return self._call(endpoints.upload_inputs(source, name=name))

    def get_input_set(self, input_set_id: str) -> InputSetOut:
        """One uploaded input set by id."""
        return self._call(endpoints.get_input_set(input_set_id))

    def list_input_sets(self, *, limit: int = 100, offset: int = 0) -> list[InputSetOut]:
        """Uploaded input sets, newest first."""
        return self._call(endpoints.list_input_sets(limit, offset))

    def delete_input_set(self, input_set_id: str) -> None:
        """Delete an input set and its arrays (409 while a queued or running job uses it)."""
        self._call(endpoints.delete("inputs", input_set_id))

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
        self,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        name: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> list[JobOut]:
        """Jobs, newest first, optionally of one status, one name, and every tag given."""
        return self._call(endpoints.list_jobs(status, limit, offset, name, tags))

    def get_job(self, job_id: str) -> JobOut:
        """One job with progress, ETA and timings."""
        return self._call(endpoints.get_job(job_id))

    def cancel_job(self, job_id: str) -> JobOut:
        """Cancel a queued or running job; results stored so far are kept."""
        return self._call(endpoints.cancel_job(job_id))

    def delete_job(self, job_id: str) -> None:
        """Delete a finished job and its results (409 while it is queued or running)."""
        self._call(endpoints.delete("jobs", job_id))

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
        job_ids: Sequence[str] = (),
        *,
        radii: Sequence[float] | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        inputs: str = "common",
    ) -> Comparison:
        """``GET /v1/compare``: jobs side by side, certified accuracy at ``radii`` and ACR
        with confidence intervals, benign accuracy, curves
        (:class:`dsrs_client.contract.Comparison`). The jobs are ``job_ids`` and those of
        ``name`` carrying every tag in ``tags`` (the caller's own, as :meth:`list_jobs`).
        ``inputs``: every job on the inputs all of them have (``common``) or each on its
        own (``own``)."""
        return self._call(endpoints.compare(job_ids, radii, confidence, name, tags, inputs))

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
        """Poll a job until it is final (parameters: :class:`dsrs_client.job_wait.JobWait`).

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
