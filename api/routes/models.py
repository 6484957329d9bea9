"""``/v1/models``: upload (multipart), list and read base classifiers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from sqlalchemy.orm import Session

from dsrs_api.authentication import Principal
from dsrs_api.dependencies import get_principal, get_session, get_settings
from dsrs_api.errors import InvalidRequestError
from dsrs_api.id_paths import ModelId
from dsrs_api.pagination import Offset
from dsrs_api.services import deletions
from dsrs_api.services.model_catalogue import register_model
from dsrs_api.services.upload_slots import upload_slot
from dsrs_api.services.uploads import receive_file
from dsrs_client.contract import ModelOut, Text
from dsrs_settings.api import ApiSettings
from dsrs_store import repository

router = APIRouter(prefix="/v1/models", tags=["models"])

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@router.post(
    "",
    response_model=ModelOut,
    status_code=201,
    responses={
        200: {"description": "The same model was uploaded before"},
        413: {"description": "Over DSRS_MAX_UPLOAD_BYTES"},
        429: {"description": "This tenant's uploads are being checked (upload slots)"},
        415: {"description": "Not safetensors or ONNX (pickle, TorchScript refused)"},
        422: {"description": "Content does not fit the architecture"},
    },
)
def upload_model(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    response: Response,
    _slot: Annotated[None, Depends(upload_slot)],
    file: Annotated[UploadFile, File(description="safetensors state dict or ONNX model")],
    architecture: Annotated[
        str | None, Form(description="Registered architecture (required for safetensors)")
    ] = None,
    name: Annotated[Text | None, Form(max_length=200)] = None,
    mean: Annotated[str | None, Form(description="Comma-separated per-channel mean")] = None,
    std: Annotated[str | None, Form(description="Comma-separated per-channel std")] = None,
) -> ModelOut:
    received = receive_file(
        file.file, file.filename or "", settings.storage_dir / "tmp", settings.max_upload_bytes
    )
    record, created = register_model(
        session,
        settings,
        received,
        owner_id=principal.tenant_id,
        name=name,
        architecture=architecture or None,
        mean=_floats("mean", mean),
        std=_floats("std", std),
    )
    if not created:
        response.status_code = 200
    return ModelOut.model_validate(record)


@router.get("", response_model=list[ModelOut])
def list_models(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[ModelOut]:
    return [
        ModelOut.model_validate(m)
        for m in repository.list_models(session, limit=limit, offset=offset)
    ]


@router.get("/{model_id}", response_model=ModelOut)
def get_model(session: SessionDep, model_id: ModelId) -> ModelOut:
    return ModelOut.model_validate(repository.get_model(session, model_id))


@router.delete(
    "/{model_id}",
    status_code=204,
    responses={409: {"description": "A job uses the model (running, or with results)"}},
)
def delete_model(session: SessionDep, settings: SettingsDep, model_id: ModelId) -> Response:
    deletions.delete_model(session, settings, model_id)
    return Response(status_code=204)


def _floats(field: str, text: str | None) -> list[float] | None:
    if text is None or not text.strip():
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InvalidRequestError(
            f"{field} must be comma-separated numbers, one per input channel; got {text!r}"
        ) from None
