"""Ids on the command line: a unique prefix is enough (tables show 8 characters).

A full 32-character id is passed on unchanged; a shorter one is looked up among the ids
the caller can see (the service's lists are tenant-scoped) and must match exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

import typer

from dsrs_cli.terminal_text import plain

if TYPE_CHECKING:
    from dsrs_client.sync_client import DsrsClient

__all__ = ["FULL_ID_LENGTH", "SHOWN_ID_LENGTH", "resolve_id", "resolve_ids"]

FULL_ID_LENGTH = 32
#: How many characters of an id the tables print.
SHOWN_ID_LENGTH = 8
_PAGE = 1000

Kind = Literal["model", "input set", "job"]


def resolve_ids(dsrs: DsrsClient, kind: Kind, given: Iterable[str]) -> list[str]:
    return [resolve_id(dsrs, kind, one) for one in given]


def resolve_id(dsrs: DsrsClient, kind: Kind, given: str) -> str:
    """The full id of the one ``kind`` whose id starts with ``given``; exits with a
    one-line error (status 1) when none or several do."""
    given = given.strip().lower()
    if len(given) >= FULL_ID_LENGTH:
        return given
    if not given:
        _fail(f"an empty {kind} id")
    matches: list[str] = []
    for identifier in _all_ids(dsrs, kind):
        if identifier.startswith(given):
            matches.append(identifier)
            if len(matches) > 5:
                break
    if not matches:
        _fail(f"no {kind} id starts with {given!r}")
    if len(matches) > 1:
        shown = ", ".join(m[: len(given) + 4] + "…" for m in matches[:5])
        _fail(f"{given!r} matches several {kind}s ({shown}); give more characters")
    return matches[0]


def _all_ids(dsrs: DsrsClient, kind: Kind) -> Iterable[str]:
    lister: Callable[..., list] = {
        "model": dsrs.list_models,
        "input set": dsrs.list_input_sets,
        "job": dsrs.list_jobs,
    }[kind]
    offset = 0
    while True:
        page = lister(limit=_PAGE, offset=offset)
        yield from (item.id for item in page)
        if len(page) < _PAGE:
            return
        offset += _PAGE


def _fail(message: str) -> None:
    typer.secho(f"error: {plain(message)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
