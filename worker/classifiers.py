"""Base classifiers of stored models, loaded once per worker process and device."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from dsrs_store.tables import ModelRecord
from dsrs_store.worker_settings import WorkerSettings

__all__ = ["ClassifierCache"]


class ClassifierCache:
    """Keeps the last few loaded classifiers. A model is first loaded and run once in a
    child process under time and memory limits (:mod:`dsrs_worker.model_probe`), then loaded
    here (uploads are validated again on load)."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

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
