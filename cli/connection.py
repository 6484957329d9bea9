"""The global options of ``dsrs`` (``--url``, ``--api-key``, ``--json``), the client they
open, and how client errors become messages and exit codes.

Imports nothing heavy: the client is imported when a command opens it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from dsrs_cli.terminal_text import plain

if TYPE_CHECKING:
    from dsrs_client.sync_client import DsrsClient

__all__ = [
    "ClientOptions",
    "client_options",
    "open_client",
    "print_json",
    "print_record",
    "reporting_errors",
]

DEFAULT_URL = "http://127.0.0.1:8000"

#: Exit code of a command whose request the service refused or that could not reach it.
EXIT_CLIENT_ERROR = 1


@dataclass(frozen=True)
class ClientOptions:
    """What the root ``dsrs`` callback was given."""

    url: str = DEFAULT_URL
    api_key: str | None = None
    json_output: bool = False


def client_options(ctx: typer.Context) -> ClientOptions:
    """The global options of the running command (defaults when run without the root)."""
    root = ctx.find_root()
    options = root.obj if isinstance(root.obj, ClientOptions) else None
    return options or ClientOptions()


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn client errors into one red line on stderr and exit code 1."""
    from dsrs_client.errors import DsrsClientError

    try:
        yield
    except DsrsClientError as error:
        typer.secho(f"error: {plain(error)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_CLIENT_ERROR) from None


@contextmanager
def open_client(ctx: typer.Context) -> Iterator[DsrsClient]:
    """A connected :class:`client.DsrsClient`, inside :func:`reporting_errors`."""
    from dsrs_client.sync_client import DsrsClient

    options = client_options(ctx)
    with reporting_errors(), DsrsClient(options.url, api_key=options.api_key) as dsrs:
        yield dsrs


def print_json(value: Any) -> None:
    """Print pydantic models, lists of them or plain data as indented JSON on stdout."""
    sys.stdout.write(json.dumps(_plain(value), indent=2) + "\n")


def print_record(ctx: typer.Context, record: Any) -> None:
    """One pydantic record: JSON with ``--json``, else one ``field value`` line per field."""
    if client_options(ctx).json_output:
        print_json(record)
        return
    for key, value in record.model_dump(mode="json").items():
        typer.echo(f"{key:12} {plain(value)}")


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
