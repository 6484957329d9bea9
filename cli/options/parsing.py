"""Parsers of command-line option values that typer cannot type by itself (lists typed as
comma-separated text, Q thresholds that are a number or a heuristic name)."""

from __future__ import annotations

import typer

__all__ = ["parse_floats", "parse_ints", "parse_threshold"]


def parse_floats(text: str | None) -> list[float] | None:
    """``"0.25,0.5"`` → ``[0.25, 0.5]``; None stays None."""
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers, got {text!r}") from None


def parse_ints(text: str | None) -> list[int] | None:
    """``"1,2,3"`` → ``[1, 2, 3]``; None stays None."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}") from None


def parse_threshold(text: str | None) -> float | str | None:
    """A Q threshold: a percentile in (0, 1) as a number, or the heuristic ``x`` / ``x+``."""
    if text is None or text in ("x", "x+"):
        return text
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(
            f"--q-threshold must be a percentile in (0, 1), x or x+; got {text!r}"
        ) from None
