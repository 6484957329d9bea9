"""The one place where errors become HTTP status codes.

Besides the domain errors, two that bad input reaches: a value the database refuses to
store (PostgreSQL's ``DataError``, e.g. a NUL character in a name) is a 422, and the 422 of
a request that fails validation echoes its input with non-finite numbers written as text
(``NaN``, ``Infinity``), which strict JSON cannot carry.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from dsrs_api.errors import (
    AuthenticationError,
    DispatchError,
    InvalidRequestError,
    PermissionDeniedError,
    QuotaExceededError,
    UploadTooLargeError,
)
from dsrs_core.errors import DsrsError, InvalidParameterError
from dsrs_models.errors import (
    DatasetUnavailableError,
    InputFileError,
    ModelError,
    ModelValidationError,
    UnknownArchitectureError,
    UnsupportedFormatError,
    UnsupportedInputFileError,
)
from dsrs_store.errors import AmbiguousIdError, ConflictError, NotFoundError

__all__ = ["STATUS_BY_ERROR", "install_error_handlers", "status_for"]

#: Most specific first: the first class the error is an instance of wins.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (AmbiguousIdError, 409),
    (ConflictError, 409),
    (UploadTooLargeError, 413),
    (UnsupportedFormatError, 415),
    (UnsupportedInputFileError, 415),
    (InvalidParameterError, 422),
    (InvalidRequestError, 422),
    (InputFileError, 422),
    (ModelValidationError, 422),
    (UnknownArchitectureError, 422),
    (DatasetUnavailableError, 422),
    (DataError, 422),
    (QuotaExceededError, 429),
    (DispatchError, 503),
    (OperationalError, 503),
    (InterfaceError, 503),
)

HANDLED = (
    DataError,
    OperationalError,
    InterfaceError,
    AuthenticationError,
    PermissionDeniedError,
    QuotaExceededError,
    DispatchError,
    NotFoundError,
    AmbiguousIdError,
    ConflictError,
    UploadTooLargeError,
    InvalidParameterError,
    InvalidRequestError,
    InputFileError,
    ModelError,
    DsrsError,
)


def status_for(error: Exception) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 500


async def domain_error_handler(_request: Request, error: Exception) -> JSONResponse:
    status = status_for(error)
    if isinstance(error, OperationalError | InterfaceError):
        detail = "the database is unreachable or dropped the connection; try again shortly"
    elif isinstance(error, DataError):
        # The driver's own words (they name the problem, not the value).
        detail = f"a value of the request cannot be stored: {getattr(error, 'orig', error)}"
    else:
        detail = str(error) if status != 500 else "internal error"
    headers = {"WWW-Authenticate": 'APIKey header="X-API-Key"'} if status == 401 else None
    return JSONResponse(
        status_code=status,
        content={"detail": detail, "error": type(error).__name__},
        headers=headers,
    )


async def validation_error_handler(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 (each error with its location, message and input), JSON-safe."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse(
        status_code=422, content={"detail": _finite(jsonable_encoder(error.errors()))}
    )


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float written as text (``NaN``, ``Infinity``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    for error_type in HANDLED:
        app.add_exception_handler(error_type, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
