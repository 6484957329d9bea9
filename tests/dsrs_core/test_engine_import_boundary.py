"""The radius engine imports without torch (architecture: torch only in the samplers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the modules that import torch on purpose (the device side of sampling and certify)
TORCH_MODULES = {
    "certify",
    "noise.samplers",
    "sampling.classifier",
    "sampling.counts",
    "sampling.sequential_draws",
}
# every module and sub-package of dsrs_core, as a name relative to it ("radius.dual_bound");
# the package itself ("" here) is imported first by each of them anyway
_RELATIVE = (
    p.relative_to(ROOT / "dsrs_core").with_suffix("").parts
    for p in (ROOT / "dsrs_core").rglob("*.py")
)
ENGINE_MODULES = sorted(
    {".".join(parts[:-1] if parts[-1] == "__init__" else parts) for parts in _RELATIVE}
    - TORCH_MODULES
    - {""}
)

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
    assert {
        "radius.neyman_pearson",
        "radius.dual_bound",
        "certificate_from_counts",
        "noise.families",
        "noise",
    } <= set(ENGINE_MODULES)
    assert TORCH_MODULES.isdisjoint(ENGINE_MODULES)
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
