"""Register an uploaded base classifier: validate it, content-address it, store it.

Validation runs in a sandboxed child process (:func:`dsrs_models.upload_probe.probe_model_file`,
under ``DSRS_MODEL_LOAD_TIMEOUT_S`` and ``DSRS_MODEL_LOAD_MEMORY_BYTES``): nothing derived
from the upload runs in the API process, which only waits. Nothing is unpickled: the
format is decided from the bytes by :mod:`dsrs_models.formats`, in the child.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dsrs_api.services.uploads import ReceivedFile
from dsrs_models.sandbox import SandboxLimits
from dsrs_models.upload_probe import probe_model_file
from dsrs_settings.api import ApiSettings
from dsrs_store import repository
from dsrs_store.tables import InputSetRecord, ModelRecord

__all__ = ["register_model", "rename_if_asked"]


def register_model(
    session: Session,
    settings: ApiSettings,
    received: ReceivedFile,
    *,
    owner_id: str | None = None,
    name: str | None,
    architecture: str | None,
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
) -> tuple[ModelRecord, bool]:
    """Store a validated upload for ``owner_id`` (a tenant, or None for the admin);
    returns the model row and whether it was new (content addresses are per owner)."""
    try:
        content_key = _content_key(received.sha256, architecture, mean, std)
        existing = repository.find_model_by_content(session, content_key, owner_id)
        if existing is not None:
            _restore_file(settings, existing, received)
            rename_if_asked(session, existing, name)
            return existing, False
        session.rollback()  # no transaction (nor pooled connection) held while the child runs
        facts = probe_model_file(
            received.path,
            SandboxLimits.within(settings.upload_probe_timeout_s, settings.model_load_memory_bytes),
            architecture=architecture,
            mean=list(mean) if mean is not None else None,
            std=list(std) if std is not None else None,
            timeout_setting="DSRS_UPLOAD_PROBE_TIMEOUT_S",
        )
        fmt = facts.format
        relative = f"models/{content_key}.{fmt}"
        target = settings.storage_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(received.path, target)
        try:
            record = repository.add_model(
                session,
                owner_id=owner_id,
                name=name or received.filename or content_key[:12],
                format=fmt,
                architecture=architecture,
                sha256=received.sha256,
                content_key=content_key,
                mean=list(mean) if mean is not None else None,
                std=list(std) if std is not None else None,
                size_bytes=received.size_bytes,
                input_shape=list(facts.input_shape),
                num_classes=facts.num_classes,
                storage_path=relative,
            )
            session.commit()
        except IntegrityError:  # the same upload committed concurrently
            session.rollback()
            existing = repository.find_model_by_content(session, content_key, owner_id)
            if existing is None:
                raise
            return existing, False
        return record, True
    finally:
        received.discard()


def rename_if_asked(
    session: Session, record: ModelRecord | InputSetRecord, name: str | None
) -> None:
    """The same bytes uploaded again under a new name: the one stored row takes the new name
    (an upload is content addressed; its name is the latest one given)."""
    if name is not None and name != record.name:
        record.name = name
        session.commit()


def _restore_file(settings: ApiSettings, model: ModelRecord, received: ReceivedFile) -> None:
    """Put the stored file back if it went missing (same bytes: same content address)."""
    target = settings.storage_dir / model.storage_path
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(received.path, target)


def _content_key(
    sha256: str,
    architecture: str | None,
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
) -> str:
    identity = json.dumps(
        [
            sha256,
            architecture,
            None if mean is None else [float(m) for m in mean],
            None if std is None else [float(s) for s in std],
        ]
    )
    return hashlib.sha256(identity.encode()).hexdigest()
