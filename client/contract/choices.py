"""The named choices of a job's parameters (``Literal`` types), defined once for the API,
the command line and the Python client. Plain typing, no pydantic: the command line
types its options with them at import."""

from __future__ import annotations

from typing import Literal

__all__ = ["Baseline", "JobMode", "NoiseFamily", "RadiusMethod", "RadiusMode"]

#: evaluate: count agreement with the given labels; predict: choose the class first.
JobMode = Literal["predict", "evaluate"]
#: The NP baseline a DSRS job is compared with (dsrs_core.evaluation.equal_budget).
Baseline = Literal["same-run", "equal-budget", "sequential-np"]
#: The noise family of P.
NoiseFamily = Literal["gaussian", "general-gaussian"]
#: How the DSRS radius is searched: on a grid of ``unit`` (× sigma) or to a tolerance.
RadiusMethod = Literal["grid", "precise"]
#: The radius search's bound: exact, or the DSRS paper's original one.
RadiusMode = Literal["exact", "original"]
