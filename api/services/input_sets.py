"""Register an uploaded input set: read it without unpickling, in the sandbox, and store
it canonically (``inputs.npy`` float32 and optional ``labels.npy`` int64) for the workers."""

from __future__ import annotations

import shutil

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.services.model_catalogue import rename_if_asked
from dsrs_api.services.uploads import ReceivedFile
from dsrs_models.input_arrays import read_in_sandbox
from dsrs_models.sandbox import SandboxLimits
from dsrs_settings.api import ApiSettings
from dsrs_store import repository
from dsrs_store.tables import InputSetRecord

__all__ = ["register_input_set"]

#: The canonical files may be larger than the upload (float16 inputs become float32, uint8
#: labels int64); the sandbox may write at most this multiple of the upload limit.
OUTPUT_FACTOR = 8


def register_input_set(
    session: Session,
    settings: ApiSettings,
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
        rename_if_asked(session, existing, name)
        return existing, False
    limits = SandboxLimits.within(
        settings.upload_probe_timeout_s,
        settings.model_load_memory_bytes,
        output_bytes=OUTPUT_FACTOR * settings.max_upload_bytes + 1024 * 1024,
    )
    relative = f"inputs/{repository.new_id()}"
    directory = settings.storage_dir / relative
    try:
        with read_in_sandbox(received.path, settings.max_upload_bytes, limits) as arrays:
            directory.mkdir(parents=True, exist_ok=True)
            shutil.move(arrays.inputs_path, directory / "inputs.npy")
            if arrays.labels_path is not None:
                shutil.move(arrays.labels_path, directory / "labels.npy")
        # The canonical float32 array the sandbox wrote, memory-mapped: its range for
        # warnings.
        values = np.load(directory / "inputs.npy", mmap_mode="r", allow_pickle=False)
        value_min, value_max = float(values.min()), float(values.max())
        del values
        record = repository.add_input_set(
            session,
            owner_id=owner_id,
            name=name or received.filename or "inputs",
            format=arrays.format,
            sha256=received.sha256,
            size_bytes=received.size_bytes,
            count=arrays.count,
            sample_shape=arrays.sample_shape,
            has_labels=arrays.labels_path is not None,
            value_min=value_min,
            value_max=value_max,
            storage_path=relative,
        )
        session.commit()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # no file without its row
        raise
    finally:
        received.discard()
    return record, True
