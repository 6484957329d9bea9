"""``/v1/inputs``: upload an array of inputs (.npy / .npz / safetensors) for later jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from sqlalchemy.orm import Session

from dsrs_api.authentication import Principal
from dsrs_api.dependencies import get_principal, get_session, get_settings
from dsrs_api.id_paths import InputSetId
from dsrs_api.pagination import Offset
from dsrs_api.services import deletions
from dsrs_api.services.input_sets import register_input_set
from dsrs_api.services.upload_slots import upload_slot
from dsrs_api.services.uploads import receive_file
from dsrs_client.contract import InputSetOut, Text
from dsrs_settings.api import ApiSettings
from dsrs_store import repository

router = APIRouter(prefix="/v1/inputs", tags=["inputs"])

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@router.post(
    "",
    response_model=InputSetOut,
    status_code=201,
    responses={
        200: {"description": "The same bytes were uploaded before (same input set)"},
        413: {"description": "Over DSRS_MAX_UPLOAD_BYTES"},
        429: {"description": "This tenant's uploads are being checked (upload slots)"},
        415: {"description": "Not .npy/.npz/safetensors, or pickled objects"},
    },
)
def upload_inputs(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    response: Response,
    _slot: Annotated[None, Depends(upload_slot)],
    file: Annotated[
        UploadFile,
        File(
            description=".npy (inputs), or .npz / safetensors with 'inputs' and optional 'labels'"
        ),
    ],
    name: Annotated[Text | None, Form(max_length=200)] = None,
) -> InputSetOut:
    received = receive_file(
        file.file, file.filename or "", settings.storage_dir / "tmp", settings.max_upload_bytes
    )
    record, created = register_input_set(
        session, settings, received, name=name, owner_id=principal.tenant_id
    )
    if not created:
        response.status_code = 200
    return InputSetOut.model_validate(record)


@router.get("", response_model=list[InputSetOut])
def list_input_sets(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[InputSetOut]:
    return [
        InputSetOut.model_validate(record)
        for record in repository.list_input_sets(session, limit=limit, offset=offset)
    ]


@router.get("/{input_set_id}", response_model=InputSetOut)
def get_input_set(session: SessionDep, input_set_id: InputSetId) -> InputSetOut:
    return InputSetOut.model_validate(repository.get_input_set(session, input_set_id))


@router.delete(
    "/{input_set_id}",
    status_code=204,
    responses={409: {"description": "A queued or running job reads the input set"}},
)
def delete_input_set(
    session: SessionDep, settings: SettingsDep, input_set_id: InputSetId
) -> Response:
    deletions.delete_input_set(session, settings, input_set_id)
    return Response(status_code=204)
