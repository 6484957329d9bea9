"""``/v1/inputs``: upload an array of inputs (.npy / .npz / safetensors) for later jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from sqlalchemy.orm import Session

from dsrs_api.authentication import Principal
from dsrs_api.dependencies import get_principal, get_session, get_settings
from dsrs_api.input_sets import register_input_set
from dsrs_api.uploads import receive_file
from dsrs_client.contract import InputSetOut
from dsrs_store import repository
from dsrs_store.settings import Settings

router = APIRouter(prefix="/v1/inputs", tags=["inputs"])

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@router.post(
    "",
    response_model=InputSetOut,
    status_code=201,
    responses={
        413: {"description": "Over DSRS_MAX_UPLOAD_BYTES"},
        415: {"description": "Not .npy/.npz/safetensors, or pickled objects"},
    },
)
def upload_inputs(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(
            description=".npy (inputs), or .npz / safetensors with 'inputs' and optional 'labels'"
        ),
    ],
    name: Annotated[str | None, Form(max_length=200)] = None,
) -> InputSetOut:
    received = receive_file(
        file.file, file.filename or "", settings.storage_dir / "tmp", settings.max_upload_bytes
    )
    return InputSetOut.model_validate(register_input_set(
            session, settings, received, name=name, owner_id=principal.tenant_id
        ))


@router.get("/{input_set_id}", response_model=InputSetOut)
def get_input_set(session: SessionDep, input_set_id: str) -> InputSetOut:
    return InputSetOut.model_validate(repository.get_input_set(session, input_set_id))
