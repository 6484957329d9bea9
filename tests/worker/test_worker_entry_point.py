"""``dsrs worker`` refuses to start without a broker; device choice on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsrs_worker.devices import count_gpus_without_cuda_init, cuda_device_count, process_device
from dsrs_worker.errors import DeviceUnavailableError


def test_worker_needs_a_broker() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dsrs")), "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "DSRS_BROKER_URL" in result.stderr


def test_device_choice() -> None:
    assert process_device("cpu") == "cpu"
    gpus = count_gpus_without_cuda_init()
    assert gpus == cuda_device_count()
    if gpus == 0:
        assert process_device("auto") == "cpu"
        with pytest.raises(DeviceUnavailableError, match="no CUDA device"):
            process_device("cuda")
    else:
        assert process_device("auto") == "cuda:0"
