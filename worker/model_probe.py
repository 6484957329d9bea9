"""Probe a stored model in the sandbox before the worker loads it itself.

An uploaded file was probed when it arrived, but the worker's loading still runs the
parsers of safetensors / ONNX and builds the network: before it does, the same probe as
the API's (:func:`dsrs_models.upload_probe.probe_model_file`) runs on the stored bytes in a
sandboxed child under ``model_load_timeout_s`` and ``RLIMIT_AS = model_load_memory_bytes``,
with the input shape and number of classes recorded at upload. Any refusal becomes a
:class:`ModelValidationError` whose message says why; the job fails with it.

A probe that passed is remembered by a marker file under ``<storage>/probes/`` named by the
sha256 of the model file's bytes together with everything the probe was run with (declared
shape, classes, normalisation and both limits): the same bytes under the same limits give
the same answer, so the other workers and later jobs skip the child process and its
seconds of imports. A refusal is never remembered (it is re-checked, with its message).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from dsrs_models.errors import ModelError, ModelValidationError
from dsrs_models.sandbox import SandboxLimits
from dsrs_models.upload_probe import probe_model_file
from dsrs_settings.worker import WorkerSettings
from dsrs_store.tables import ModelRecord

__all__ = ["probe_model"]


def probe_model(settings: WorkerSettings, model: ModelRecord) -> None:
    """Raise :class:`ModelValidationError` unless ``model`` loads and answers within the
    limits of ``settings``. A stored file that is missing raises ``FileNotFoundError``."""
    # Absolute: the child runs in another directory, and DSRS_STORAGE_DIR (or `dsrs demo
    # --storage-dir`) may be relative to this process's.
    path = (settings.storage_dir / model.storage_path).absolute()
    path.stat()  # a missing file is a storage problem, not a property of the model
    declared = {
        "architecture": model.architecture,
        "mean": model.mean,
        "std": model.std,
        "input_shape": list(model.input_shape),
        "num_classes": model.num_classes,
    }
    limits = SandboxLimits.within(settings.model_load_timeout_s, settings.model_load_memory_bytes)
    marker = _passed_marker(settings, path, {**declared, **limits.__dict__})
    if marker.exists():
        return
    try:
        probe_model_file(path, limits, **declared)
    except ModelError as error:
        raise ModelValidationError(f"model {model.id} cannot be used: {error}") from None
    _remember_pass(marker)


def _passed_marker(settings: WorkerSettings, path: Path, conditions: dict[str, Any]) -> Path:
    """Where a pass of this exact file under these exact conditions is recorded."""
    key = hashlib.sha256(path.read_bytes())
    key.update(json.dumps(conditions, sort_keys=True).encode())
    return settings.storage_dir / "probes" / f"{key.hexdigest()}.passed"


def _remember_pass(marker: Path) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(b"")
    os.replace(partial, marker)  # atomic: readers see the marker whole or not at all
