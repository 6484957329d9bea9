"""Every project import in ``benchmarks/`` resolves, also the ones inside functions.

Benchmarks are not run in CI (they print tables), so a module moved by a refactor broke
one unnoticed: ``sequential_savings_benchmark.py`` imported ``dsrs_worker.seeds`` after
``sample_seed`` had moved to ``dsrs_core.seeds`` (now ``dsrs_core.sampling.seeds``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))
PROJECT = ("dsrs_",)


def _project_imports(path: Path) -> list[tuple[str, list[str]]]:
    imports = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PROJECT):
            imports.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            imports += [(a.name, []) for a in node.names if a.name.startswith(PROJECT)]
    return imports


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_imports_resolve(path: Path) -> None:
    for module_name, names in _project_imports(path):
        module = importlib.import_module(module_name)
        for name in names:
            if not hasattr(module, name):  # a submodule: ``from dsrs_store import repository``
                importlib.import_module(f"{module_name}.{name}")
