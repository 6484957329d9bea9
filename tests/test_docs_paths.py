"""Every repository path the documentation cites exists in the tree.

The README, ``CHANGELOG.md`` and the pages under ``docs/`` name files and folders in code spans
(`` `dsrs_core/...` ``, `` `python benchmarks/x.py --flag` ``), in fenced code blocks and in
relative Markdown links. When a module moves, its old path stays in the prose unless something
notices: this test does. A word counts as a repository path when its first segment is an entry
at the top of the checkout (``api``, ``docs``, ``Makefile``...); words such as ``var/demo``,
``data/`` or ``root/val/images`` name folders outside the tree and are not checked. A ``*`` is
matched as a glob, ``{a,b}`` as alternatives.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")],
)
# Made by running the project (`make demo` writes var/), never part of the tree.
NOT_IN_TREE = {".git", ".venv", "var", "artifacts", ".pytest_cache", ".ruff_cache", ".hypothesis"}
TOP_LEVEL = {entry.name for entry in ROOT.iterdir()} - NOT_IN_TREE
# A bare word is a path only when it names a top-level file (`dsrs models` is a command).
TOP_LEVEL_FILES = {name for name in TOP_LEVEL if (ROOT / name).is_file()}

# Written on another branch of the same redesign (issue #20) and linked from here before it
# lands. Once it exists, the test asks for its entry to go.
AWAITED = {"docs/architecture.md"}

FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
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
        for p in cited_paths(document.read_text(encoding="utf-8"), document.parent) - AWAITED
        if not _exists(p)
    )
    assert not missing, f"{document.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_awaited_paths_are_still_awaited() -> None:
    landed = sorted(p for p in AWAITED if _exists(p))
    assert not landed, f"{landed} exist now: remove them from AWAITED in this test"


def test_the_check_sees_a_missing_path() -> None:
    """A cited path that is not in the tree is found and reported missing."""
    text = "See `api/no_such_module.py`, [x](no-such-page.md) and `var/demo/ok`.\n"
    cited = cited_paths(text, ROOT / "docs")
    assert not _exists("api/no_such_module.py")
    assert "api/no_such_module.py" in cited
    assert "docs/no-such-page.md" in cited
    assert not any(p.startswith("var/") for p in cited)
