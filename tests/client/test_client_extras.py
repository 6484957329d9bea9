"""Issue 21: the bare client (``pip install ./client``) names the extra a feature needs
instead of failing with ``No module named 'numpy'``."""

from __future__ import annotations

import subprocess
import sys

import pytest

# numpy (and the other modules of the extra) made unimportable, as in a bare install.
CHECK = """
import sys
for module in {modules!r}:
    sys.modules[module] = None
from dsrs_client.extras import MissingExtraError
try:
    {call}
except MissingExtraError as error:
    print(error)
"""


@pytest.mark.parametrize(
    ("modules", "call", "extra"),
    [
        (
            ["numpy", "torch"],
            "from dsrs_client.onnx_export import export_onnx; export_onnx(None, None)",
            "export",
        ),
        (
            ["numpy", "PIL"],
            "from dsrs_client.image_folders import read_image_folder; read_image_folder('.')",
            "images",
        ),
    ],
)
def test_a_missing_extra_is_named_with_its_install_command(
    modules: list[str], call: str, extra: str
) -> None:
    script = CHECK.format(modules=modules, call=call)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert f"pip install 'dsrs-client[{extra}]'" in result.stdout, result.stdout + result.stderr
    assert "numpy" in result.stdout
