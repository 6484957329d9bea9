"""Register an uploaded input set: read it without unpickling and store it canonically
(``inputs.npy`` float32 and optional ``labels.npy`` int64) for the workers."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.input_arrays import read_input_arrays
from dsrs_api.uploads import ReceivedFile
from dsrs_store import repository
from dsrs_store.settings import Settings
from dsrs_store.tables import InputSetRecord

__all__ = ["register_input_set"]


def register_input_set(
    session: Session,
    settings: Settings,
    received: ReceivedFile,
    *,
    name: str | None,
    owner_id: str | None = None,
) -> tuple[InputSetRecord, bool]:
    """The stored input set and whether it is new: the same bytes uploaded again by the
    same owner give the same input set (content addressed by their sha256)."""
    existing = repository.find_input_set_by_content(session, received.sha256, owner_id)
    if existing is not None:
        received.discard()
        return existing, False
    try:
        arrays = read_input_arrays(received.path)
    finally:
        received.discard()
    relative = f"inputs/{repository.new_id()}"
    directory = settings.storage_dir / relative
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "inputs.npy", arrays.inputs, allow_pickle=False)
    if arrays.labels is not None:
        np.save(directory / "labels.npy", arrays.labels, allow_pickle=False)
    record = repository.add_input_set(
        session,
        owner_id=owner_id,
        name=name or received.filename or "inputs",
        format=arrays.format,
        sha256=received.sha256,
        size_bytes=received.size_bytes,
        count=int(arrays.inputs.shape[0]),
        sample_shape=list(arrays.inputs.shape[1:]),
        has_labels=arrays.labels is not None,
        value_min=float(arrays.inputs.min()),
        value_max=float(arrays.inputs.max()),
        storage_path=relative,
    )
    session.commit()
    return record, True
