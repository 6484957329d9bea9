"""Base classifiers of stored models: registered architectures loaded once per worker
process and device; uploaded ONNX graphs run in a limited child process per chunk."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dsrs_settings.worker import WorkerSettings
from dsrs_store.tables import ModelRecord

__all__ = ["ClassifierCache"]


class ClassifierCache:
    """Keeps the last few loaded classifiers. A model is first loaded and run once in a
    child process under time and memory limits (:mod:`dsrs_worker.model_probe`), then loaded
    here (uploads are validated again on load)."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def for_chunk(
        self,
        settings: WorkerSettings,
        model: ModelRecord,
        device: str,
        should_stop: Callable[[], bool] | None = None,
    ) -> Iterator[Any]:
        """The classifier of one chunk: an ONNX graph (uploaded code) runs in a child
        process under the ``inference_*`` limits, ended with the chunk
        (:mod:`dsrs_models.inference_sandbox`); a registered architecture runs here
        (:meth:`get`)."""
        if model.format != "onnx":
            yield self.get(settings, model, device)
            return
        import torch

        from dsrs_models.inference_sandbox import InferenceLimits, SandboxedClassifier
        from dsrs_worker.model_probe import probe_model

        probe_model(settings, model)  # refuses what fails on a zero batch, with its message
        limits = InferenceLimits(
            memory_bytes=settings.inference_memory_bytes,
            batch_timeout_s=settings.inference_batch_timeout_s,
            chunk_timeout_s=settings.inference_chunk_timeout_s,
            threads=settings.torch_threads or torch.get_num_threads(),
        )
        path = (settings.storage_dir / model.storage_path).absolute()
        shape, classes = tuple(model.input_shape), model.num_classes
        with SandboxedClassifier(path, shape, classes, limits, should_stop) as classifier:
            yield classifier

    def get(self, settings: WorkerSettings, model: ModelRecord, device: str) -> Any:
        key = (model.id, device)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        from dsrs_models.loading import load_model
        from dsrs_worker.model_probe import probe_model

        probe_model(settings, model)  # in a child process, under time and memory limits
        data = (settings.storage_dir / model.storage_path).read_bytes()
        loaded = load_model(
            data,
            architecture=model.architecture,
            mean=model.mean,
            std=model.std,
            input_shape=model.input_shape if model.format == "onnx" else None,
            num_classes=model.num_classes if model.format == "onnx" else None,
            device=device,
        )
        with self._lock:
            self._entries[key] = loaded.classifier
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return loaded.classifier
