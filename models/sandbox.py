"""Run code over an uploaded file in a child process that a limit can stop.

Anything derived from an upload — parsing an archive, building a network, running a graph
on a zero batch — happens here, never in the process that serves requests or runs jobs:

* a fresh ``python -m <module>`` child in its own session (a timeout kills the group);
* its working directory is a new empty temporary directory holding only ``upload.bin``
  (a copy of the upload); whatever the child writes there (e.g. canonical arrays) is
  handed back through :class:`SandboxOutcome` and removed with the directory;
* its environment is a handful of fixed variables: no ``DSRS_*`` secrets, no database or
  broker URLs;
* before it imports anything that reads the upload, the child sets ``RLIMIT_AS``
  (address space), ``RLIMIT_CPU`` (CPU seconds), ``RLIMIT_FSIZE`` (largest file it may
  write) and ``RLIMIT_CORE = 0``; the parent kills it after ``timeout_s`` of wall time.

The child answers one JSON line on stdout: ``{"result": ...}`` or ``{"refused": kind,
"message": ..., "detected": ...}`` for the exceptions its handler declares as refusals.
Anything else (crash, signal, limit) becomes a :class:`SandboxRefusal` whose message says
which limit stopped it. The parent only waits, so the API stays responsive meanwhile.

A module becomes a sandbox entry point with :func:`child_main` under
``if __name__ == "__main__"``. This module imports nothing heavy.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "UPLOAD_NAME",
    "SandboxLimits",
    "SandboxOutcome",
    "SandboxRefusal",
    "child_main",
    "kill_group",
    "run_sandboxed",
]

#: Name of the upload's copy in the child's working directory.
UPLOAD_NAME = "upload.bin"
#: Longest message passed on from the child (a refusal explains; it does not dump data).
MAX_MESSAGE_CHARS = 600
_MAX_OUTPUT_TAIL_BYTES = 64 * 1024
#: Children one process runs at once (the rest wait their turn: a burst of uploads does
#: not start a burst of interpreters).
MAX_CONCURRENT_CHILDREN = 2
_CHILD_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_CHILDREN)


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one child process.

    Attributes
    ----------
    timeout_s : float
        Wall-clock seconds before the child's process group is killed.
    memory_bytes : int
        ``RLIMIT_AS`` of the child.
    cpu_s : int
        ``RLIMIT_CPU`` of the child (all its threads together).
    output_bytes : int
        ``RLIMIT_FSIZE``: the largest file the child may write.
    """

    timeout_s: float
    memory_bytes: int
    cpu_s: int
    output_bytes: int

    @classmethod
    def within(
        cls, timeout_s: float, memory_bytes: int, output_bytes: int = 16 * 1024 * 1024
    ) -> SandboxLimits:
        """Limits for a wall-clock budget: the CPU limit is that budget (the child runs
        its numerical libraries on one thread), rounded up."""
        return cls(timeout_s, memory_bytes, math.ceil(timeout_s) + 1, output_bytes)


class SandboxRefusal(Exception):
    """The child refused the upload or was stopped by a limit.

    ``kind`` is the exception class name the child raised (one of its declared refusals),
    or ``"timeout"``, ``"memory"``, ``"cpu"``, ``"output"``, ``"crash"``.
    """

    def __init__(self, kind: str, message: str, detected: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.detected = detected


@dataclass
class SandboxOutcome:
    """What the child answered, and the files it left in its working directory."""

    result: Any
    workdir: Path
    files: dict[str, Path] = field(default_factory=dict)


@contextmanager
def run_sandboxed(
    module: str, upload: Path, request: dict[str, Any], limits: SandboxLimits
) -> Iterator[SandboxOutcome]:
    """Run ``python -m module`` over a copy of ``upload`` under ``limits``.

    A context manager: the files the child wrote are readable inside the ``with`` block
    and removed after it.

    Raises
    ------
    SandboxRefusal
        The child refused the upload (its message), or a limit stopped it.
    """
    workdir = Path(tempfile.mkdtemp(prefix="dsrs-sandbox-"))
    try:
        _place_upload(upload, workdir / UPLOAD_NAME)
        payload = json.dumps({"request": request, "limits": limits.__dict__})
        result = _run_child(module, payload, workdir, limits)
        files = {
            p.name: p
            for p in workdir.iterdir()
            if not p.is_symlink() and p.is_file() and p.name != UPLOAD_NAME
        }
        yield SandboxOutcome(result=result, workdir=workdir, files=files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _place_upload(upload: Path, target: Path) -> None:
    # A copy, not a link: nothing the child does can reach the caller's file.
    shutil.copyfile(upload, target)
    target.chmod(0o400)


def _child_environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.defpath,
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _run_child(module: str, payload: str, workdir: Path, limits: SandboxLimits) -> Any:
    with _CHILD_SLOTS:
        return _run_child_now(module, payload, workdir, limits)


def _run_child_now(module: str, payload: str, workdir: Path, limits: SandboxLimits) -> Any:
    # Output goes to anonymous files, not pipes: RLIMIT_FSIZE bounds what the child can
    # write there, and the parent reads only the tails (its memory stays flat).
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-s", "-m", module, payload],
            cwd=workdir,
            env=_child_environment(workdir),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            process.wait(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise SandboxRefusal(
                "timeout", f"did not finish within {limits.timeout_s:g} s of wall-clock time"
            ) from None
        answer = _last_json_line(_tail(stdout))
        error_tail = _tail(stderr)
    if process.returncode == 0 and answer is not None and "result" in answer:
        return answer["result"]
    if answer is not None and "refused" in answer:
        raise SandboxRefusal(
            str(answer["refused"]),
            _clip(str(answer.get("message", ""))),
            answer.get("detected"),
        )
    raise _stopped(process.returncode, error_tail, limits)


def _tail(output: IO[bytes]) -> bytes:
    size = output.seek(0, os.SEEK_END)
    output.seek(max(0, size - _MAX_OUTPUT_TAIL_BYTES))
    return output.read()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _stopped(returncode: int, stderr: bytes, limits: SandboxLimits) -> SandboxRefusal:
    if returncode == -signal.SIGXCPU:
        return SandboxRefusal("cpu", f"used more than {limits.cpu_s} s of CPU time")
    if returncode == -signal.SIGXFSZ:
        return SandboxRefusal("output", f"tried to write a file over {limits.output_bytes} bytes")
    lines = stderr.decode(errors="replace").strip().splitlines()
    last = lines[-1] if lines else ""
    if returncode == -signal.SIGKILL or any(word in last.lower() for word in _MEMORY_WORDS):
        return SandboxRefusal(
            "memory",
            f"needs more than {limits.memory_bytes} bytes of memory or {limits.cpu_s} s of "
            "CPU time (it was stopped)",
        )
    return SandboxRefusal(
        "crash", _clip(f"the inspecting process failed (exit status {returncode}): {last}")
    )


#: Messages of allocations refused under ``RLIMIT_AS`` (Python, C++, the dynamic loader).
_MEMORY_WORDS = (
    "memoryerror",
    "bad_alloc",
    "cannot allocate",
    "failed to map segment",
    "out of memory",
    "failed to allocate",
    "unable to allocate",
)


def _last_json_line(stdout: bytes) -> dict[str, Any] | None:
    for line in reversed(stdout.decode(errors="replace").strip().splitlines()):
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(answer, dict):
            return answer
    return None


def _clip(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[:MAX_MESSAGE_CHARS] + " …"


# ------------------------------------------------------------------------- in the child


def child_main(
    handler: Callable[[dict[str, Any], Path], Any],
    refusals: tuple[type[BaseException], ...],
) -> int:
    """The child's entry point: limit itself, run ``handler(request, upload_path)`` and
    print its JSON answer. Call it from ``if __name__ == "__main__"`` of the module that
    defines ``handler``; import heavy modules inside ``handler``, after the limits."""
    import resource

    payload = json.loads(sys.argv[1])
    limits = payload["limits"]
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(limits["cpu_s"]), int(limits["cpu_s"]) + 1))
    resource.setrlimit(
        resource.RLIMIT_FSIZE, (int(limits["output_bytes"]), int(limits["output_bytes"]))
    )
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        result = handler(payload["request"], Path.cwd() / UPLOAD_NAME)
    except MemoryError:
        _answer({"refused": "memory", "message": f"needs more than {memory} bytes of memory"})
        return 0
    except refusals as error:
        _answer(
            {
                "refused": type(error).__name__,
                "message": _clip(str(error)),
                "detected": getattr(error, "detected", None),
            }
        )
        return 0
    _answer({"result": result})
    return 0


def _answer(answer: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    sys.stdout.flush()
