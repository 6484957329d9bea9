"""The inference sandbox (:mod:`dsrs_models.inference_sandbox`) on its own: the same logits
as the graph in-process, a blow-up stopped by the memory limit with the setting named, a
stop request that kills a running batch, and no child left behind either way."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from dsrs_models.inference_sandbox import (
    InferenceLimits,
    InferenceStopped,
    ModelRuntimeError,
    SandboxedClassifier,
)
from dsrs_models.onnx_loading import load_onnx_classifier
from tests.hostile_files import onnx_input_dependent_bomb, valid_onnx

LIMITS = InferenceLimits(memory_bytes=1024**3, batch_timeout_s=120, chunk_timeout_s=300)


def model_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "model.onnx"
    path.write_bytes(content)
    return path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_sandboxed_logits_equal_in_process_logits(tmp_path: Path) -> None:
    batches = torch.rand((3, 50, 1, 8, 8), generator=torch.Generator().manual_seed(0))
    in_process = load_onnx_classifier(valid_onnx())
    path = model_file(tmp_path, valid_onnx())
    with SandboxedClassifier(path, (1, 8, 8), 10, LIMITS) as boxed:
        for batch in (batches[0], batches[1][:7], batches[2]):  # a smaller one in between
            assert np.array_equal(boxed.logits(batch).numpy(), in_process.logits(batch).numpy())
        assert torch.equal(boxed(batches[0]), in_process(batches[0]))
        pid = boxed._process.pid  # type: ignore[union-attr]
    assert gone(pid)


def test_an_input_dependent_blow_up_is_stopped_by_the_memory_limit(tmp_path: Path) -> None:
    path = model_file(tmp_path, onnx_input_dependent_bomb("ConstantOfShape"))
    with SandboxedClassifier(path, (1, 8, 8), 10, LIMITS) as boxed:
        assert boxed(torch.rand(4, 1, 8, 8)).shape == (4,)  # harmless on images in [0, 1]
        pid = boxed._process.pid  # type: ignore[union-attr]
        noisy = torch.rand(100, 1, 8, 8) + 0.25 * torch.randn(100, 1, 8, 8)
        with pytest.raises(ModelRuntimeError, match="DSRS_INFERENCE_MEMORY_BYTES"):
            boxed(noisy)
    assert gone(pid)


def test_a_stop_request_kills_a_running_batch(tmp_path: Path) -> None:
    path = model_file(tmp_path, onnx_input_dependent_bomb("Loop"))
    asked: list[int] = []

    def should_stop() -> bool:
        if asked:  # armed after the clean batch: stop the second time it is asked
            asked.append(1)
        return len(asked) >= 3

    with SandboxedClassifier(path, (1, 8, 8), 10, LIMITS, should_stop) as boxed:
        boxed(torch.rand(4, 1, 8, 8))
        asked.append(1)
        pid = boxed._process.pid  # type: ignore[union-attr]
        noisy = torch.rand(100, 1, 8, 8) + 0.25 * torch.randn(100, 1, 8, 8)
        with pytest.raises(InferenceStopped):
            boxed(noisy)
    assert gone(pid)
