"""Load a stored model in a child process under a time and an address-space limit before
the worker loads it itself.

An uploaded file is validated when it arrives, but loading still runs the parsers of
safetensors / ONNX and builds the network: a hostile or broken file could take forever or
exhaust memory. The child (``python -m dsrs_worker.model_probe``) sets ``RLIMIT_AS`` to
``model_load_memory_bytes`` before importing anything heavy, loads the model with the
declared input shape and number of classes, and runs it on a zero batch, checking that it
answers one class index in ``[0, num_classes)`` per input. The parent kills it after
``model_load_timeout_s``. Any failure becomes a :class:`ModelValidationError` whose message
says why; the job fails with it.

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
import subprocess
import sys
from pathlib import Path
from typing import Any

from dsrs_models.errors import ModelValidationError
from dsrs_store.settings import Settings
from dsrs_store.tables import ModelRecord

__all__ = ["probe_model"]

_FAILED = 3  # exit status: the model was refused (message on stderr)
_OUT_OF_MEMORY = 4
_MEMORY_WORDS = ("memory", "alloc", "failed to map segment")


def probe_model(settings: Settings, model: ModelRecord) -> None:
    """Raise :class:`ModelValidationError` unless ``model`` loads and answers within the
    limits of ``settings``. A stored file that is missing raises ``FileNotFoundError``."""
    # Absolute: the child runs in another directory, and DSRS_STORAGE_DIR (or `dsrs demo
    # --storage-dir`) may be relative to this process's.
    path = (settings.storage_dir / model.storage_path).absolute()
    path.stat()  # a missing file is a storage problem, not a property of the model
    spec = {
        "path": str(path),
        "architecture": model.architecture,
        "mean": model.mean,
        "std": model.std,
        "onnx": model.format == "onnx",
        "input_shape": list(model.input_shape),
        "num_classes": model.num_classes,
        "memory_bytes": settings.model_load_memory_bytes,
    }
    marker = _passed_marker(settings, path, spec)
    if marker.exists():
        return
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dsrs_worker.model_probe", json.dumps(spec)],
            capture_output=True,
            check=False,
            timeout=settings.model_load_timeout_s,
            cwd=Path(__file__).resolve().parent.parent,
        )
    except subprocess.TimeoutExpired:
        raise ModelValidationError(
            f"model {model.id} did not load within {settings.model_load_timeout_s} s "
            "(DSRS_MODEL_LOAD_TIMEOUT_S)"
        ) from None
    message = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode == 0:
        _remember_pass(marker)
        return
    if done.returncode == _FAILED:
        raise ModelValidationError(f"model {model.id} cannot be used: {message[-1]}")
    if done.returncode == _OUT_OF_MEMORY:
        raise ModelValidationError(
            f"model {model.id} needs more than {settings.model_load_memory_bytes} bytes of "
            "memory to load (DSRS_MODEL_LOAD_MEMORY_BYTES)"
        )
    raise ModelValidationError(
        f"loading model {model.id} crashed (exit status {done.returncode}): "
        f"{message[-1] if message else 'no message'}"
    )


def _passed_marker(settings: Settings, path: Path, spec: dict[str, Any]) -> Path:
    """Where a pass of this exact file under these exact limits is recorded."""
    key = hashlib.sha256(path.read_bytes())
    conditions = {k: v for k, v in spec.items() if k != "path"}
    conditions["timeout_s"] = settings.model_load_timeout_s
    key.update(json.dumps(conditions, sort_keys=True).encode())
    return settings.storage_dir / "probes" / f"{key.hexdigest()}.passed"


def _remember_pass(marker: Path) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(b"")
    os.replace(partial, marker)  # atomic: readers see the marker whole or not at all


def _probe(spec: dict[str, Any]) -> None:
    import torch

    from dsrs_models.loading import load_model

    loaded = load_model(
        Path(spec["path"]).read_bytes(),
        architecture=spec["architecture"],
        mean=spec["mean"],
        std=spec["std"],
        input_shape=spec["input_shape"] if spec["onnx"] else None,
        num_classes=spec["num_classes"] if spec["onnx"] else None,
    )
    if list(loaded.input_shape) != spec["input_shape"]:
        raise ModelValidationError(
            f"the model takes inputs of shape {list(loaded.input_shape)}, "
            f"declared {spec['input_shape']}"
        )
    if loaded.num_classes != spec["num_classes"]:
        raise ModelValidationError(
            f"the model has {loaded.num_classes} classes, declared {spec['num_classes']}"
        )
    batch = torch.zeros((2, *spec["input_shape"]))
    answer = loaded.classifier(batch)
    if tuple(answer.shape) != (2,) or not bool(
        ((answer >= 0) & (answer < spec["num_classes"])).all()
    ):
        raise ModelValidationError(
            f"on a batch of 2 inputs the model answered {answer.tolist()!r}, expected 2 "
            f"class indices in [0, {spec['num_classes'] - 1}]"
        )


def _main() -> int:
    import resource

    spec = json.loads(sys.argv[1])
    limit = int(spec["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        _probe(spec)
    except MemoryError:
        return _OUT_OF_MEMORY
    except ModelValidationError as error:
        print(str(error), file=sys.stderr)
        return _FAILED
    except Exception as error:  # noqa: BLE001 - any failure to load refuses the model
        # Under RLIMIT_AS, mmap of a library or a tensor fails with these messages.
        if any(word in str(error).lower() for word in _MEMORY_WORDS):
            return _OUT_OF_MEMORY
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return _FAILED
    return 0


if __name__ == "__main__":
    sys.exit(_main())
