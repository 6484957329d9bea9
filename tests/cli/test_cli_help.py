"""``--help`` texts are not broken mid-sentence: every command's help is its docstring with
each paragraph on one line (issue 21), and ``--help`` at 80 columns wraps them."""

from __future__ import annotations

import typer

from dsrs_cli.main import app


def commands() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append((" ".join(path) or "dsrs", command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_no_help_text_keeps_a_line_break_inside_a_paragraph() -> None:
    broken = []
    for name, command in commands():
        for paragraph in (getattr(command, "help", None) or "").split("\n\n"):
            lines = paragraph.splitlines()
            if len(lines) > 1 and not any(line.startswith((" ", "\b")) for line in lines):
                broken.append((name, paragraph))
    assert not broken, broken
    assert len(commands()) > 20


def test_help_at_80_columns_wraps_the_sentences(run_cli) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["jobs", "watch", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "then print each succeeded job's summary table (exit 1 if one did not succeed)" in text
