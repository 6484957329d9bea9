"""The radius engine imports without torch (architecture: torch only in the samplers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the modules that import torch on purpose (the device side of sampling and certify)
TORCH_MODULES = {
    "certify_on_device",
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


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -c`` in a fresh interpreter at the repository root."""
    return subprocess.run(
        [sys.executable, "-c", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_engine_modules_import_with_torch_blocked():
    assert {
        "radius.neyman_pearson",
        "radius.dual_bound",
        "counts_to_certificate",
        "noise.families",
        "noise",
    } <= set(ENGINE_MODULES)
    assert TORCH_MODULES.isdisjoint(ENGINE_MODULES)
    done = _python(BLOCKER, *ENGINE_MODULES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_blocker_really_blocks():
    done = _python(BLOCKER.replace("dsrs_core.", ""), "torch")
    assert done.returncode != 0 and "blocked" in done.stderr


PACKAGE_EXPORTS_WITHOUT_TORCH = (
    BLOCKER.split("import importlib\n")[0]
    + """
import dsrs_core
from dsrs_core import Certificate, CertificationConfig, InvalidParameterError
from dsrs_core import certificate_from_counts
assert callable(certificate_from_counts) and isinstance(Certificate, type)
assert "torch" not in sys.modules
try:
    from dsrs_core import certify
except ImportError as exc:
    assert "blocked" in str(exc)
else:
    raise AssertionError("certify imported without torch")
print("ok")
"""
)


def test_package_exports_the_torch_free_entry_points_without_torch():
    done = _python(PACKAGE_EXPORTS_WITHOUT_TORCH)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_every_package_export_is_the_object_its_module_defines():
    # the device module imported first: its name must not shadow the `certify` function
    import importlib

    import dsrs_core
    import dsrs_core.certify_on_device

    assert sorted(dsrs_core.__all__) == sorted(dsrs_core._EXPORTS)
    for name in dsrs_core.__all__:
        module = importlib.import_module(dsrs_core._EXPORTS[name])
        assert getattr(dsrs_core, name) is getattr(module, name), name
    from dsrs_core import certify

    assert callable(certify) and certify.__module__ == "dsrs_core.certify_on_device"
    assert set(dir(dsrs_core)) >= set(dsrs_core.__all__)
