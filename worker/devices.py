"""Which device a worker process certifies on: one process per GPU when CUDA is present
(the pool child's index picks the GPU), the CPU otherwise."""

from __future__ import annotations

import subprocess
import sys

from dsrs_worker.errors import DeviceUnavailableError

__all__ = ["count_gpus_without_cuda_init", "cuda_device_count", "process_device"]

_COUNT_SCRIPT = "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)"


def cuda_device_count() -> int:
    """CUDA devices visible to this process (initialises CUDA here: not before a fork)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def count_gpus_without_cuda_init() -> int:
    """CUDA devices, counted in a child interpreter so that this process never initialises
    CUDA (a prefork parent that did could not hand CUDA to its forked children)."""
    result = subprocess.run(
        [sys.executable, "-c", _COUNT_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    try:
        return int(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0


def process_device(preference: str) -> str:
    """``"cpu"``, or ``"cuda:<i>"`` with ``i`` = pool process index modulo the GPU count."""
    if preference == "cpu":
        return "cpu"
    count = cuda_device_count()
    if count == 0:
        if preference == "cuda":
            raise DeviceUnavailableError("DSRS_DEVICE=cuda but no CUDA device is visible")
        return "cpu"
    from billiard.process import current_process

    index = getattr(current_process(), "index", 0) or 0
    return f"cuda:{index % count}"
