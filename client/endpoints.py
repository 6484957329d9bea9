"""The HTTP API as request descriptions, shared by the sync and async clients.

Each function returns an :class:`Endpoint`: what to send and how to read the answer into
the contract's pydantic schemas (:mod:`dsrs_client.contract`). No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from dsrs_client.contract import (
    Comparison,
    InputSetOut,
    JobCreate,
    JobOut,
    ModelOut,
    PlanOut,
    ResultsPage,
    Summary,
)
from dsrs_client.errors import error_from_response

__all__ = ["Endpoint", "UploadSource", "auth_headers", "parse_response"]

T = TypeVar("T")

#: A file to upload: a path, or ``(file name, bytes)``.
UploadSource = Path | str | tuple[str, bytes]


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One request and the parser of its successful answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] | list[tuple[str, Any]] | None = None
    json: Any = None
    files: dict[str, tuple[str, bytes]] | None = None
    data: dict[str, str] | None = None

    def request_arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``httpx.Client.request`` / ``httpx.AsyncClient.request``."""
        return {
            "method": self.method,
            "url": self.path,
            "params": self.params,
            "json": self.json,
            "files": self.files,
            "data": self.data,
        }


def _model(schema: type[BaseModel]) -> Callable[[Any], Any]:
    return schema.model_validate


def _list_of(schema: type[BaseModel]) -> Callable[[Any], Any]:
    return TypeAdapter(list[schema]).validate_python  # type: ignore[valid-type]


def _read_upload(source: UploadSource) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        return source
    path = Path(source)
    return path.name, path.read_bytes()


def health() -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", "/healthz", dict)


def upload_model(
    source: UploadSource,
    *,
    architecture: str | None,
    name: str | None,
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
) -> Endpoint[ModelOut]:
    form: dict[str, str] = {}
    if architecture:
        form["architecture"] = architecture
    if name:
        form["name"] = name
    if mean is not None:
        form["mean"] = ",".join(repr(float(v)) for v in mean)
    if std is not None:
        form["std"] = ",".join(repr(float(v)) for v in std)
    return Endpoint(
        "POST", "/v1/models", _model(ModelOut), files={"file": _read_upload(source)}, data=form
    )


def list_models(limit: int, offset: int) -> Endpoint[list[ModelOut]]:
    return Endpoint(
        "GET", "/v1/models", _list_of(ModelOut), params={"limit": limit, "offset": offset}
    )


def get_model(model_id: str) -> Endpoint[ModelOut]:
    return Endpoint("GET", f"/v1/models/{model_id}", _model(ModelOut))


def upload_inputs(source: UploadSource, *, name: str | None) -> Endpoint[InputSetOut]:
    return Endpoint(
        "POST",
        "/v1/inputs",
        _model(InputSetOut),
        files={"file": _read_upload(source)},
        data={"name": name} if name else {},
    )


def get_input_set(input_set_id: str) -> Endpoint[InputSetOut]:
    return Endpoint("GET", f"/v1/inputs/{input_set_id}", _model(InputSetOut))


def list_input_sets(limit: int, offset: int) -> Endpoint[list[InputSetOut]]:
    return Endpoint(
        "GET", "/v1/inputs", _list_of(InputSetOut), params={"limit": limit, "offset": offset}
    )


def delete(kind: str, identifier: str) -> Endpoint[None]:
    """``DELETE /v1/{kind}/{id}`` (``kind``: models, inputs or jobs); 204 on success."""
    return Endpoint("DELETE", f"/v1/{kind}/{identifier}", lambda _body: None)


def submit_job(request: JobCreate | dict[str, Any]) -> Endpoint[JobOut]:
    body = request if isinstance(request, JobCreate) else JobCreate.model_validate(request)
    return Endpoint(
        "POST",
        "/v1/jobs",
        _model(JobOut),
        json=body.model_dump(mode="json", exclude_unset=True),
    )


def list_jobs(
    status: str | None,
    limit: int,
    offset: int,
    name: str | None = None,
    tags: Sequence[str] | None = None,
) -> Endpoint[list[JobOut]]:
    params: list[tuple[str, Any]] = [("limit", limit), ("offset", offset)]
    if status:
        params.append(("status", status))
    if name:
        params.append(("name", name))
    params.extend(("tag", tag) for tag in tags or ())
    return Endpoint("GET", "/v1/jobs", _list_of(JobOut), params=params)


def get_job(job_id: str) -> Endpoint[JobOut]:
    return Endpoint("GET", f"/v1/jobs/{job_id}", _model(JobOut))


def cancel_job(job_id: str) -> Endpoint[JobOut]:
    return Endpoint("POST", f"/v1/jobs/{job_id}/cancel", _model(JobOut))


def results_page(job_id: str, cursor: str | None, limit: int) -> Endpoint[ResultsPage]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    return Endpoint("GET", f"/v1/jobs/{job_id}/results", _model(ResultsPage), params=params)


def summary(job_id: str, radii: Sequence[float] | None) -> Endpoint[Summary]:
    params = [("radii", float(r)) for r in radii] if radii else None
    return Endpoint("GET", f"/v1/jobs/{job_id}/summary", _model(Summary), params=params)


def compare(
    job_ids: Sequence[str],
    radii: Sequence[float] | None,
    confidence: float,
    name: str | None = None,
    tags: Sequence[str] | None = None,
    inputs: str = "common",
) -> Endpoint[Comparison]:
    params: list[tuple[str, Any]] = [("job_id", job_id) for job_id in job_ids]
    if name:
        params.append(("name", name))
    params.extend(("tag", tag) for tag in tags or ())
    params += [("radii", float(r)) for r in radii or ()]
    params.append(("confidence", confidence))
    params.append(("inputs", inputs))
    return Endpoint("GET", "/v1/compare", _model(Comparison), params=params)


def plan(**query: Any) -> Endpoint[PlanOut]:
    params = {key: value for key, value in query.items() if value is not None}
    return Endpoint("GET", "/v1/plan", _model(PlanOut), params=params)


def auth_headers(api_key: str | None) -> dict[str, str]:
    """Headers that authenticate a request (``X-API-Key`` when a key is set)."""
    return {"X-API-Key": api_key} if api_key else {}


def parse_response(response: httpx.Response, endpoint: Endpoint[T]) -> T:
    """The parsed answer, or :class:`ApiResponseError` for an error or malformed answer."""
    request = response.request
    if response.is_error:
        try:
            body = response.json()
        except ValueError:
            body = None
        raise error_from_response(
            response.status_code, body, response.text, request.method, str(request.url)
        )
    if response.status_code == 204:
        return endpoint.parse(None)
    try:
        return endpoint.parse(response.json())
    except ValueError as error:
        raise error_from_response(
            response.status_code,
            None,
            f"unexpected answer: {error}",
            request.method,
            str(request.url),
        ) from None
