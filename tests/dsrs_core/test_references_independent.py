"""The independent references (tests/references/) share no code with the engine: importing
them, in a fresh interpreter that refuses every ``dsrs_core`` import, succeeds and loads no
``dsrs_*`` module (issue 23: a radius above the original's is confirmed by a reference
independent of ``dsrs_core``; docs/math.md §10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = sorted(
    p.stem for p in (ROOT / "tests" / "references").glob("*.py") if p.stem != "__init__"
)

BLOCKER = """
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "dsrs_core":
            raise ImportError("dsrs_core is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
importlib.import_module("tests.references." + sys.argv[1])
loaded = sorted(m for m in sys.modules if m.startswith("dsrs"))
assert not loaded, loaded
"""


def test_there_are_three_references() -> None:
    assert REFERENCES == ["cartesian_mpmath", "polar_quadpack", "truth"]


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_imports_nothing_from_the_engine(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, name], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
