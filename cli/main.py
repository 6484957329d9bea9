"""The ``dsrs`` command line. Commands live in their own modules and are registered here;
nothing heavy is imported until a command runs."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="dsrs",
    help="Certify L2 robustness with Double Sampling Randomized Smoothing (DSRS) and the "
    "Neyman-Pearson certificate.",
    no_args_is_help=True,
    add_completion=False,
)



@app.callback()
def main() -> None:
    """dsrs: certification service, command line and client."""


# Command modules register themselves on `app` when imported.
from cli import reproduce_command  # noqa: E402,F401
from cli import service_commands  # noqa: E402,F401
