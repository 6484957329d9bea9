"""``dsrs reproduce``: recompute radii from a folder laid out like the original's data/."""

from __future__ import annotations

import typer

from cli.main import app


@app.command()
def reproduce() -> None:
    """PROVISIONAL placeholder until the radius engine lands."""
    typer.echo("not yet available", err=True)
    raise typer.Exit(2)
