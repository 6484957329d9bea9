"""Every ``dsrs`` command and ``make`` target the documentation shows exists as written.

The README and the pages under ``docs/`` show command lines in fenced blocks and code spans.
Each ``dsrs …`` line is walked through the real command tree (``dsrs_cli.main.app``): the
subcommands must exist and every ``--option`` must be one of that command's options. Each
``make TARGET`` must be a target of the Makefile. Nothing is run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from dsrs_cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")],
)
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"(?:^|[\s($])(dsrs|make)\s+(.*)")


def command_lines(text: str) -> list[str]:
    """``dsrs …`` and ``make …`` lines of fenced blocks and code spans, continuations joined,
    comments dropped."""
    pieces = [block.replace("\\\n", " ") for block in FENCE.findall(text)]
    pieces += [" ".join(span.split()) for span in CODE_SPAN.findall(FENCE.sub("", text))]
    lines = []
    for piece in pieces:
        for line in piece.splitlines():
            line = line.split(" #", 1)[0]
            match = COMMAND.search(line)
            if match:
                lines.append(f"{match.group(1)} {match.group(2).rstrip(')').strip()}")
    return lines


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def dsrs_problem(line: str) -> str | None:
    """What in one ``dsrs …`` line the command tree does not have, or None."""
    words = shlex.split(line.replace("…", ""), comments=True)[1:]
    # typer carries its own click (typer._click): its groups are told by their commands.
    command: Any = typer.main.get_command(app)
    while words:
        word = words.pop(0)
        if word in ("--url", "--api-key"):
            words = words[1:]
        elif word.startswith("-"):
            if word.split("=")[0] not in _options(command) | {"--help"}:
                return f"{word} is not an option of {command.name}"
        elif hasattr(command, "commands"):
            if word not in command.commands:
                return f"{word} is not a command of {command.name}"
            command = command.commands[word]
    return None


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.MULTILINE))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shown_command_exists(document: Path) -> None:
    if not document.exists():
        pytest.skip(f"{document.name} is absent")
    problems = []
    for line in command_lines(document.read_text(encoding="utf-8")):
        if line.startswith("make "):
            target = line.split()[1] if len(line.split()) > 1 else ""
            if target and target not in make_targets():
                problems.append(f"{line}: no Makefile target {target}")
        elif problem := dsrs_problem(line):
            problems.append(f"{line}: {problem}")
    assert not problems, f"{document.relative_to(ROOT)}: {problems}"


def test_the_readme_shows_commands() -> None:
    lines = command_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "make demo" in lines and "make test" in lines
    assert sum(line.startswith("dsrs ") for line in lines) >= 20


def test_the_check_sees_a_wrong_command() -> None:
    assert dsrs_problem("dsrs jobs submit --model 3fa2 --sigma 0.25") is None
    assert dsrs_problem("dsrs jobs submit --no-such-flag 1") is not None
    assert dsrs_problem("dsrs jobs frobnicate") is not None
