"""The named choices of a job's parameters (``Literal`` types), defined once for the API,
the command line and the Python client. Plain typing, no pydantic: the command line
types its options with them at import."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "Baseline",
    "Check",
    "CheckOutcome",
    "JobMode",
    "NoiseFamily",
    "RadiusMethod",
    "RadiusMode",
]

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
#: How a job's NP radii are checked: verified by the certifying check (a-posteriori error
#: estimate, every job), or also proven by interval arithmetic (proof mode, opt-in;
#: docs/math.md §7.5; needs python-flint on the worker: ``pip install 'dsrs[proof]'``).
Check = Literal["verified", "proven"]
#: What proof mode says of one input's NP radius (dsrs_core.radius.np_proof.PROOF_OUTCOMES):
#: proven (the verified radius), fell back (a smaller radius is proven), not proven (no
#: enclosure above 1/2, or the per-input deadline passed), not covered (outside proof mode's
#: scope or python-flint missing).
CheckOutcome = Literal["proven", "fell back", "not proven", "not covered"]
