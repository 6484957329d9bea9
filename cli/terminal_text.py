"""Text a user or the service supplied, made safe to print on a terminal.

Names, tags, ids, file names, error messages and warnings may hold whatever a tenant
typed: control characters (an escape sequence can clear, retitle or recolour an admin's
terminal, a BEL rings it) and Rich markup (``[bold red]`` restyles a table, a stray ``[/]``
crashes it with a ``MarkupError``). Every such string passes through here before it is
printed:

* :func:`plain` for ``typer.echo`` / ``typer.secho``: control, format and surrogate
  characters (Unicode categories Cc, Cf, Cs: C0, DEL, C1, bidirectional overrides,
  zero-width marks) are written as their escapes (``\\x1b``, ``\\u202e``), visible and inert;
* :func:`markup` for Rich (table cells and titles, ``Console.print``): the same, with Rich
  markup escaped so that it prints as written.
"""

from __future__ import annotations

import unicodedata

__all__ = ["markup", "plain"]

_HIDDEN = frozenset({"Cc", "Cf", "Cs"})


def plain(value: object) -> str:
    """``str(value)`` with every control, format or surrogate character escaped."""
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(char) in _HIDDEN
        else char
        for char in str(value)
    )


def markup(value: object) -> str:
    """:func:`plain`, with Rich markup escaped: prints as written in a Rich table or line."""
    from rich.markup import escape

    return escape(plain(value))
