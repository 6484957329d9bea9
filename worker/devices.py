"""Which device a worker process certifies on: one process per GPU when CUDA is present
(the pool child's index picks the GPU), the CPU otherwise."""

from __future__ import annotations

__all__ = ["cuda_device_count", "process_device"]


def cuda_device_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def process_device(preference: str) -> str:
    """``"cpu"``, or ``"cuda:<i>"`` with ``i`` = pool process index modulo the GPU count."""
    if preference == "cpu":
        return "cpu"
    count = cuda_device_count()
    if count == 0:
        if preference == "cuda":
            raise RuntimeError("DSRS_DEVICE=cuda but no CUDA device is visible")
        return "cpu"
    from billiard.process import current_process

    index = getattr(current_process(), "index", 0) or 0
    return f"cuda:{index % count}"
