"""The radius engine imports without torch (architecture: torch only in the samplers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE_MODULES = [
    p.stem
    for p in (ROOT / "dsrs_core").glob("*.py")
    if p.stem not in {"sampling", "noise_samplers", "sequential_sampling", "certify", "__init__"}
]

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module("dsrs_core." + name)
assert "torch" not in sys.modules
print("ok", len(sys.argv) - 1)
"""


def test_engine_modules_import_with_torch_blocked():
    assert {"neyman_pearson", "dsrs_bound", "certification", "noise"} <= set(ENGINE_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, *ENGINE_MODULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_blocker_really_blocks():
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER.replace("dsrs_core.", ""), "torch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0 and "blocked" in done.stderr
