"""Forward passes of an uploaded ONNX graph in a child process with limits, one per chunk.

The upload probe runs a graph on a zero batch; a graph whose blow-up depends on the data
(an Expand / Tile / ConstantOfShape / Resize sized from the input, a Loop whose trip count
comes from it) passes that and explodes under noise. So a worker (and the embedded API)
never runs an uploaded graph itself: :class:`SandboxedClassifier` is the sampler's
classifier, and each batch goes to a child process that holds the onnxruntime session:

* the child is ``python -m dsrs_models.inference_child`` in its own session, in an
  empty temporary directory holding a copy of the model file, with the fixed environment
  of :mod:`dsrs_models.sandbox` (no ``DSRS_*`` secrets, no database or broker URLs);
* before it reads the model it sets ``RLIMIT_AS`` to what it maps at that point (the
  interpreter, numpy, onnxruntime) plus ``memory_bytes``; it dies with its parent,
  ``RLIMIT_CPU`` (the chunk's wall budget times its threads), ``RLIMIT_FSIZE = 0`` and
  ``RLIMIT_CORE = 0``;
* batches and logits travel through one memory-mapped file in ``/dev/shm`` (or the
  temporary directory when that is too small; written in place by both sides, no
  pickling); a line on the child's stdin / stdout says "run the
  first ``rows`` rows" / "done";
* the parent waits at most ``batch_timeout_s`` per batch and ``chunk_timeout_s`` in all,
  and asks ``should_stop()`` about once a second (a cancelled job); on any of these, or
  when the child dies or reports an error, it kills the child's process group (its memory
  returns at once) and raises :class:`ModelRuntimeError` (or :class:`InferenceStopped`)
  with a message that says which limit and which setting.

One child serves a whole chunk (:meth:`SandboxedClassifier.close` ends it): starting it
costs an interpreter, the imports and a session, not a per-batch cost. Logits come back
to the parent, which takes the argmax and counts non-finite rows
(:class:`~dsrs_models.adapters.NonFiniteCounter`).

Registered architectures (safetensors uploads) run in-process: their code is ours, and
their memory and time per batch are fixed by the architecture and the batch size, whatever
the weights or the inputs.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Self

import numpy as np
import torch

from dsrs_models.adapters import NonFiniteCounter
from dsrs_models.errors import ModelError
from dsrs_models.inference_child import SHARED_NAME
from dsrs_models.sandbox import (
    _MEMORY_WORDS,
    UPLOAD_NAME,
    _child_environment,
    _clip,
    _place_upload,
    kill_group,
)

__all__ = ["InferenceLimits", "InferenceStopped", "ModelRuntimeError", "SandboxedClassifier"]

#: How often the parent asks ``should_stop`` while a batch runs (seconds).
STOP_POLL_S = 1.0


@dataclass(frozen=True)
class InferenceLimits:
    """Limits of one chunk's child process (settings ``DSRS_INFERENCE_*``)."""

    memory_bytes: int
    batch_timeout_s: float
    chunk_timeout_s: float
    threads: int = 1


class ModelRuntimeError(ModelError):
    """The model failed at inference: a limit stopped it, or it raised, or it died."""


class InferenceStopped(Exception):
    """``should_stop()`` answered true while a batch ran (the job was cancelled or failed
    elsewhere); the child was killed."""


class SandboxedClassifier(NonFiniteCounter):
    """The sampler's classifier for an ONNX model file run in a limited child process.

    Parameters
    ----------
    model_path : Path
        The stored ONNX file (copied for the child).
    input_shape : tuple of int
        ``(C, H, W)`` of one input (recorded at upload).
    num_classes : int
    limits : InferenceLimits
    should_stop : callable, optional
        Asked about once a second while a batch runs; true kills the child and raises
        :class:`InferenceStopped`.
    """

    def __init__(
        self,
        model_path: Path,
        input_shape: tuple[int, ...],
        num_classes: int,
        limits: InferenceLimits,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.input_shape = tuple(int(v) for v in input_shape)
        self.num_classes = int(num_classes)
        self.limits = limits
        self.should_stop = should_stop
        self.dtype = torch.float32
        self.device = torch.device("cpu")
        self._model_path = model_path
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._rows = 0
        self._map: mmap.mmap | None = None
        self._inputs: np.ndarray | None = None
        self._logits: np.ndarray | None = None
        self._deadline = math.inf

    # ------------------------------------------------------------------ life cycle

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the child (if any) and remove its files."""
        if self._process is not None:
            _kill_group(self._process)
            self._process = None
        self._inputs = self._logits = None
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._rows = 0

    def _start(self, rows: int) -> None:
        """A child whose shared buffer holds ``rows`` inputs and their logits."""
        self.close()
        per_input = math.prod(self.input_shape)
        size = 4 * rows * (per_input + self.num_classes)
        self._workdir = Path(tempfile.mkdtemp(prefix="dsrs-infer-", dir=_shared_directory(size)))
        _place_upload(self._model_path, self._workdir / UPLOAD_NAME)
        shared = self._workdir / SHARED_NAME
        with shared.open("wb") as handle:
            handle.truncate(size)
        with shared.open("r+b") as handle:
            self._map = mmap.mmap(handle.fileno(), size)
        self._inputs = np.frombuffer(self._map, np.float32, rows * per_input).reshape(
            rows, *self.input_shape
        )
        self._logits = np.frombuffer(
            self._map, np.float32, rows * self.num_classes, offset=4 * rows * per_input
        ).reshape(rows, self.num_classes)
        request = {
            "rows": rows,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "memory_bytes": self.limits.memory_bytes,
            "cpu_s": math.ceil(self.limits.chunk_timeout_s * self.limits.threads) + 1,
            "threads": self.limits.threads,
        }
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._process = subprocess.Popen(
            [sys.executable, "-s", "-m", "dsrs_models.inference_child", json.dumps(request)],
            cwd=self._workdir,
            env=_child_environment(self._workdir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
        )
        self._rows = rows
        self._deadline = time.monotonic() + self.limits.chunk_timeout_s
        self._answer("loading the model", self.limits.batch_timeout_s)

    # ------------------------------------------------------------------- batches

    def logits(self, batch: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` (a copy, on the CPU) computed by the child."""
        rows = int(batch.shape[0])
        if self._process is None or rows > self._rows:
            self._start(max(rows, self._rows))
        assert self._inputs is not None and self._logits is not None and self._process
        # The one copy: the noisy batch into the shared buffer the child reads in place.
        torch.from_numpy(self._inputs[:rows]).copy_(batch.detach().reshape(rows, *self.input_shape))
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(f"{rows}\n".encode())
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the child died: _answer says how
        self._answer(f"a forward pass of {rows} inputs", self.limits.batch_timeout_s)
        return torch.from_numpy(self._logits[:rows].copy())

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self._classes(self.logits(batch)).to(batch.device)

    def _answer(self, what: str, timeout_s: float) -> None:
        """Wait for the child's ``ok`` line; raise (after killing it) on anything else."""
        process = self._process
        assert process is not None and process.stdout is not None
        started = time.monotonic()
        batch_deadline = started + timeout_s
        while True:
            now = time.monotonic()
            if now >= self._deadline:
                self._fail(
                    f"{what} did not finish within the chunk's {self.limits.chunk_timeout_s:g} s "
                    "of model time (DSRS_INFERENCE_CHUNK_TIMEOUT_S)"
                )
            if now >= batch_deadline:
                self._fail(
                    f"{what} did not finish within {timeout_s:g} s (DSRS_INFERENCE_BATCH_TIMEOUT_S)"
                )
            wait = min(STOP_POLL_S, batch_deadline - now, self._deadline - now)
            ready, _, _ = select.select([process.stdout], [], [], max(wait, 0.0))
            if ready:
                line = process.stdout.readline()
                break
            if self.should_stop is not None and self.should_stop():
                self.close()
                raise InferenceStopped(f"stopped while {what} ran")
        answer = _parsed(line)
        if answer.get("ok"):
            return
        if "error" in answer:
            self._fail(f"{what} failed: {answer['error']}", answer.get("kind"))
        process.wait()
        self._fail(f"{what} stopped the model's process", _killed_kind(process.returncode))

    def _fail(self, message: str, kind: str | None = None) -> None:
        tail = self._stderr_tail()
        self.close()
        if kind == "memory" or (kind is None and any(w in tail.lower() for w in _MEMORY_WORDS)):
            message += (
                f": it needs more than {self.limits.memory_bytes} bytes of memory "
                "(DSRS_INFERENCE_MEMORY_BYTES)"
            )
        elif kind == "cpu":
            message += (
                f": it used more than the chunk's CPU time ({self.limits.chunk_timeout_s:g} s "
                "per thread, DSRS_INFERENCE_CHUNK_TIMEOUT_S)"
            )
        raise ModelRuntimeError(_clip(f"the model failed under noise: {message}"))

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        size = self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, size - 4096))
        return self._stderr.read().decode(errors="replace")


def _shared_directory(size: int) -> str | None:
    """``/dev/shm`` when it has room for twice ``size`` (a container's is often 64 MiB),
    else the temporary directory (a file there is shared through the page cache too)."""
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and shutil.disk_usage(shm).free > 2 * size + (64 << 20):
            return str(shm)
    except OSError:
        pass
    return None


def _parsed(line: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _killed_kind(returncode: int | None) -> str | None:
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode == -signal.SIGKILL:
        return "memory"  # the kernel's OOM killer, or RLIMIT_AS hit inside a signal handler
    return None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    kill_group(process)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
