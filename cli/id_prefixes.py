"""Ids on the command line: a unique prefix is enough (tables show 8 characters).

The service resolves prefixes (:func:`dsrs_store.repository.resolve_id`, within the caller's
tenant) in every route, job request, plan and comparison, so most commands simply send what
was typed. Commands that need the full id themselves (to print it, to name a file after it)
ask the service for the record and take its id: one rule, applied in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from dsrs_client.sync_client import DsrsClient

__all__ = ["FULL_ID_LENGTH", "SHOWN_ID_LENGTH", "resolve_id", "resolve_ids"]

FULL_ID_LENGTH = 32
#: How many characters of an id the tables print.
SHOWN_ID_LENGTH = 8

Kind = Literal["model", "input set", "job"]


def resolve_ids(dsrs: DsrsClient, kind: Kind, given: Iterable[str]) -> list[str]:
    return [resolve_id(dsrs, kind, one) for one in given]


def resolve_id(dsrs: DsrsClient, kind: Kind, given: str) -> str:
    """The full id of the one ``kind`` whose id is or starts with ``given``, as the service
    resolves it; its refusal (404 none, 409 several, naming them) is raised as the client's
    error, which commands print as one line."""
    given = given.strip().lower()
    if len(given) >= FULL_ID_LENGTH:
        return given
    getter = {"model": dsrs.get_model, "input set": dsrs.get_input_set, "job": dsrs.get_job}[kind]
    return getter(given).id
