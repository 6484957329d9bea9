"""The options that describe P, Q and the budget, shared by the commands that compute
locally (``dsrs plan``, ``dsrs certify-local``): one name, type and help text each."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

__all__ = [
    "AlphaOption",
    "FamilyOption",
    "KOption",
    "QSigmaOption",
    "QThresholdOption",
    "RadiusUnitOption",
    "SearchModeOption",
]

FamilyOption = Annotated[
    Literal["gaussian", "general-gaussian"], typer.Option(help="Noise family of P.")
]
KOption = Annotated[int, typer.Option(help="k of a general-gaussian P.")]
QSigmaOption = Annotated[float | None, typer.Option(help="Sigma of Q (DSRS).")]
QThresholdOption = Annotated[
    str | None, typer.Option(help="Thresholded Q: percentile in (0, 1), x or x+.")
]
AlphaOption = Annotated[float, typer.Option(help="Failure probability.")]
RadiusUnitOption = Annotated[
    float, typer.Option(help="Grid step of DSRS radii, in units of sigma.")
]
SearchModeOption = Annotated[Literal["exact", "original"], typer.Option(help="exact or original.")]
