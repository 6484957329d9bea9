"""Every repository path the documentation cites exists in the tree.

The README, ``CHANGELOG.md`` and the pages under ``docs/`` name files and folders in code spans
(`` `dsrs_core/...` ``, `` `python benchmarks/x.py --flag` ``), in fenced code blocks and in
relative Markdown links. When a module moves, its old path stays in the prose unless something
notices: this test does. A word counts as a repository path when its first segment is an entry
at the top of the checkout (``api``, ``docs``, ``Makefile``...); words such as ``var/demo``,
``data/`` or ``root/val/images`` name folders outside the tree and are not checked. A ``*`` is
matched as a glob, ``{a,b}`` as alternatives.

Installed names are checked the same way: `` `dsrs_models.loading.load_model` `` or
``from dsrs_core.config import NoiseSpec`` must name a module of the checkout (through the
package folders of ``pyproject.toml`` and ``client/pyproject.toml``) that defines or imports
the name after it.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")],
)
# Made by running the project (`make demo` writes var/), never part of the tree.
NOT_IN_TREE = {
    ".git",
    ".venv",
    "var",
    "artifacts",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
}
TOP_LEVEL = {entry.name for entry in ROOT.iterdir()} - NOT_IN_TREE
# A bare word is a path only when it names a top-level file (`dsrs models` is a command).
TOP_LEVEL_FILES = {name for name in TOP_LEVEL if (ROOT / name).is_file()}


def _package_folders() -> dict[str, Path]:
    """Installed top-level package name -> its folder in the checkout."""
    folders = {}
    for project in (ROOT, ROOT / "client"):
        setuptools = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]
        mapped = setuptools.get("package-dir", {})
        for package in setuptools["packages"]:
            top = package.split(".")[0]
            folders[top] = (project / mapped.get(top, top)).resolve()
    return folders


PACKAGES = _package_folders()
TOP_PACKAGES = "|".join(sorted(PACKAGES))
DOTTED = re.compile(rf"\b(?:{TOP_PACKAGES})\b(?:\.[A-Za-z_]\w*)*")
FROM_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(?:\(([\w\s,]+)\)|([\w \t,]+))", re.MULTILINE
)

FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`]+)`")  # may wrap a line
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
TRIM = ".,;:)('\"…"


def _words(text: str) -> list[str]:
    """The words of code spans and fenced blocks, trimmed of surrounding punctuation."""
    pieces = FENCE.findall(text)
    pieces += CODE_SPAN.findall(FENCE.sub("", text))
    words = []
    for piece in pieces:
        for word in re.split(r"[\s=]+", piece):
            word = word.strip(TRIM)
            if ":" in word:  # FILE.py:FACTORY, URLs
                word = word.split(":", 1)[0] if "//" not in word else ""
            words.append(word)
    return [w for w in words if "/" in w or w in TOP_LEVEL_FILES]


def cited_names(text: str) -> set[str]:
    """Dotted installed names a document cites (``dsrs_core.config.NoiseSpec``)."""
    pieces = FENCE.findall(text) + CODE_SPAN.findall(FENCE.sub("", text))
    names = set()
    for piece in pieces:
        names.update(DOTTED.findall(piece))
        for module, in_parentheses, on_the_line in FROM_IMPORT.findall(piece):
            imported = in_parentheses or on_the_line
            if module.split(".")[0] in PACKAGES:
                names.update(f"{module}.{n.strip()}" for n in imported.split(",") if n.strip())
    return names


def name_exists(dotted: str) -> bool:
    """The longest module prefix is in the checkout and defines or imports the next name."""
    top, *rest = dotted.split(".")
    path = PACKAGES[top]
    while rest and ((path / rest[0]).is_dir() or (path / f"{rest[0]}.py").is_file()):
        path = path / rest[0] if (path / rest[0]).is_dir() else path / f"{rest[0]}.py"
        rest.pop(0)
    if not rest:
        return True
    source = path / "__init__.py" if path.is_dir() else path
    if not source.is_file():
        return False
    name = re.escape(rest[0])
    defined = (
        rf"^\s*(?:async\s+def|def|class)\s+{name}\b"  # a function or class
        rf"|^{name}\s*[:=]"  # a module-level assignment
        rf"|^\s*from\s+\S+\s+import\s+[^\n(]*\b{name}\b"  # imported on one line
        rf"|^\s+\"?{name}\"?,?\s*(?:#.*)?$"  # a line of a parenthesised import or __all__
    )
    return re.search(defined, source.read_text(encoding="utf-8"), re.MULTILINE) is not None


def _alternatives(word: str) -> list[str]:
    """``a/{x,y}/b`` as ``a/x/b`` and ``a/y/b``."""
    parts = re.split(r"\{([^{}]*)\}", word)
    choices = [part.split(",") if i % 2 else [part] for i, part in enumerate(parts)]
    return ["".join(combination) for combination in itertools.product(*choices)]


def _exists(relative: str) -> bool:
    if "*" in relative:
        return any(ROOT.glob(relative.rstrip("/")))
    return (ROOT / relative).exists()


def cited_paths(text: str, folder: Path) -> set[str]:
    """Repository paths cited by a document's text; its links are relative to ``folder``."""
    cited = set()
    for word in _words(text):
        if word.split("/", 1)[0] in TOP_LEVEL:
            cited.update(_alternatives(word))
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (folder / target).resolve()
        cited.add(resolved.relative_to(ROOT).as_posix())
    return cited


def test_the_documents_are_found() -> None:
    assert ROOT / "README.md" in DOCUMENTS
    assert len(DOCUMENTS) >= 4


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_path_exists(document: Path) -> None:
    if not document.exists():
        pytest.skip(f"{document.name} is absent")
    missing = sorted(
        p
        for p in cited_paths(document.read_text(encoding="utf-8"), document.parent)
        if not _exists(p)
    )
    assert not missing, f"{document.relative_to(ROOT)} cites paths that do not exist: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_module_exists(document: Path) -> None:
    if not document.exists():
        pytest.skip(f"{document.name} is absent")
    names = cited_names(document.read_text(encoding="utf-8"))
    missing = sorted(n for n in names if not name_exists(n))
    assert not missing, f"{document.relative_to(ROOT)} cites names that do not exist: {missing}"


def test_the_check_sees_a_missing_path() -> None:
    """A cited path that is not in the tree is found and reported missing."""
    text = "See `api/no_such_module.py`, [x](no-such-page.md) and `var/demo/ok`.\n"
    cited = cited_paths(text, ROOT / "docs")
    assert not _exists("api/no_such_module.py")
    assert "api/no_such_module.py" in cited
    assert "docs/no-such-page.md" in cited
    assert not any(p.startswith("var/") for p in cited)


def test_the_check_sees_a_missing_name() -> None:
    text = (
        "```python\nfrom dsrs_core.config import NoiseSpec, NoSuchSpec\n```\n`dsrs_models.nope`\n"
    )
    names = cited_names(text)
    assert names >= {
        "dsrs_core.config.NoiseSpec",
        "dsrs_core.config.NoSuchSpec",
        "dsrs_models.nope",
    }
    assert name_exists("dsrs_core.config.NoiseSpec")
    assert not name_exists("dsrs_core.config.NoSuchSpec")
    assert not name_exists("dsrs_models.nope.x")
