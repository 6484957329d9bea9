"""The child process of :mod:`dsrs_models.inference_sandbox`: it holds the onnxruntime
session of an uploaded graph under its limits and runs the batches the parent writes into
the shared buffer. Imports neither torch nor anything that does (it starts in a fraction
of the time); the graph is checked again before onnxruntime sees it.

Protocol: ``argv[1]`` is the JSON request (rows, input shape, classes, limits, threads);
the model is ``upload.bin`` and the buffer ``batch.shm`` in the working directory. The
child answers ``{"ok": true}`` once loaded, then reads one line per batch (how many rows
to run) and answers ``{"ok": true}`` when the logits are written, or ``{"error": ...,
"kind": ...}`` and exits.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from dsrs_models.sandbox import _MEMORY_WORDS, UPLOAD_NAME, _clip

__all__ = ["SHARED_NAME"]

#: The buffer both processes map: ``rows`` inputs, then ``rows`` logits, float32.
SHARED_NAME = "batch.shm"


def _child(request: dict[str, Any]) -> None:
    import resource

    _die_with_parent()
    import onnxruntime  # noqa: F401 - mapped before the limit

    # The interpreter, numpy and onnxruntime are mapped already (their size varies with
    # the build); the limit is what the model may map on top of them.
    memory = _mapped_bytes() + int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(request["cpu_s"]), int(request["cpu_s"]) + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    rows = int(request["rows"])
    shape = tuple(int(v) for v in request["input_shape"])
    classes = int(request["num_classes"])
    per_input = math.prod(shape)

    def reply(answer: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    try:
        from dsrs_models.onnx_session import OnnxLogits, make_session, static_dims
        from dsrs_models.onnx_validation import checked_onnx_model

        model = checked_onnx_model(Path(UPLOAD_NAME).read_bytes())
        initializers = {t.name for t in model.graph.initializer}
        (graph_input,) = [i for i in model.graph.input if i.name not in initializers]
        run = OnnxLogits(
            make_session(model.SerializeToString(), int(request["threads"])),
            fixed_batch=(static_dims(graph_input) or [None])[0],
        )
        with open(SHARED_NAME, "r+b") as handle:
            shared = mmap.mmap(handle.fileno(), 4 * rows * (per_input + classes))
        inputs = np.frombuffer(shared, np.float32, rows * per_input).reshape(rows, *shape)
        logits = np.frombuffer(
            shared, np.float32, rows * classes, offset=4 * rows * per_input
        ).reshape(rows, classes)
    except MemoryError:
        reply({"error": "out of memory while loading", "kind": "memory"})
        return
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the job
        reply({"error": _clip(f"{type(error).__name__}: {error}")})
        return
    reply({"ok": True})
    for line in sys.stdin:
        count = int(line)
        try:
            logits[:count] = run(inputs[:count])
        except MemoryError:
            reply({"error": "out of memory", "kind": "memory"})
            return
        except Exception as error:  # noqa: BLE001 - onnxruntime's errors derive from Exception
            text = f"{type(error).__name__}: {error}"
            kind = "memory" if any(w in text.lower() for w in _MEMORY_WORDS) else None
            reply({"error": _clip(text), "kind": kind})
            return
        reply({"ok": True})


def _die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent dies (a worker killed at its hard time
    limit, an API stopped): in its own session, the child would otherwise run on."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _mapped_bytes() -> int:
    """The address space this process maps now (``/proc/self/statm``; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
