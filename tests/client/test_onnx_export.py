"""The user-side export refuses graphs the service would refuse, before uploading, and the
client imports torch only when it exports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from dsrs_client.onnx_export import OnnxExportError, export_onnx


class Scores(nn.Module):
    def __init__(self, classes: int, poison: float = 0.0) -> None:
        super().__init__()
        self.head = nn.Linear(16, classes)
        self.poison = poison

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.flatten(1)) * (1.0 + self.poison)


@pytest.mark.parametrize(
    ("module", "message"),
    [(Scores(1), "1 class"), (Scores(3, poison=float("nan")), "NaN or infinite logits")],
)
def test_broken_classifiers_are_refused_before_upload(module: nn.Module, message: str) -> None:
    with pytest.raises(OnnxExportError, match=message):
        export_onnx(module, np.random.default_rng(0).random((1, 4, 4), dtype=np.float32))


def test_the_example_must_be_an_nchw_image() -> None:
    with pytest.raises(OnnxExportError, match="NCHW"):
        export_onnx(Scores(3), np.zeros((4, 4), np.float32))


def test_importing_the_client_does_not_import_torch() -> None:
    code = (
        "import sys, dsrs_client.onnx_export, dsrs_client.image_folders; "
        "assert 'torch' not in sys.modules and 'PIL' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
