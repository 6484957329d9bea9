"""Every project import in ``benchmarks/`` resolves, also the ones inside functions, and
benchmarks and tests find each other as packages, never by editing ``sys.path``.

Benchmarks are not run in CI (they print tables), so a module moved by a refactor broke
one unnoticed: ``sequential_savings_benchmark.py`` imported ``dsrs_worker.seeds`` after
``sample_seed`` had moved (it is now ``dsrs_core.sampling.seeds``). They run as
``python -m benchmarks.<name>`` from the repository root and import the shared test support
and the independent references as ``tests.support`` and ``tests.references``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((REPOSITORY / "benchmarks").glob("*.py"))
PROJECT = ("dsrs_", "benchmarks", "tests.")


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


def _edits_sys_path(path: Path) -> bool:
    """Whether the module calls a method of ``sys.path`` (insert, append, extend, ...)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "path"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "sys"
        ):
            return True
    return False


def test_no_benchmark_or_test_edits_sys_path() -> None:
    sources = [*BENCHMARKS, *sorted((REPOSITORY / "tests").rglob("*.py"))]
    editing = [str(path.relative_to(REPOSITORY)) for path in sources if _edits_sys_path(path)]
    assert editing == []
