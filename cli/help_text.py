"""Help texts from docstrings, without the docstrings' line breaks.

Docstrings are wrapped at the source's line length; typer keeps single line breaks after
the first paragraph, so ``--help`` broke sentences wherever the source did. Each
command's help is set here from its docstring with every paragraph joined into one line
(an indented block, such as an example, is kept as written); the terminal wraps it.
"""

from __future__ import annotations

import inspect

import typer

__all__ = ["unwrap", "unwrap_help"]


def unwrap(text: str) -> str:
    """``text`` with the single line breaks inside each paragraph replaced by spaces."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p
        if any(line.startswith((" ", "\b")) for line in p.splitlines())
        else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def unwrap_help(app: typer.Typer) -> None:
    """Give every command of ``app`` (and of its sub-apps) its unwrapped docstring as help."""
    for command in app.registered_commands:
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = unwrap(command.callback.__doc__)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            unwrap_help(group.typer_instance)
