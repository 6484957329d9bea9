"""The defaults of a job's parameters, defined once for every client (API, command line,
Python client, sweeps). Plain constants: the command line reads them for its options
without importing pydantic."""

from __future__ import annotations

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_FINAL_SHARE",
    "DEFAULT_FIRST_LOOK",
    "DEFAULT_LOOK_GROWTH",
    "DEFAULT_N",
    "DEFAULT_N_SELECTION",
    "DEFAULT_RADIUS_TOLERANCE",
    "DEFAULT_RADIUS_UNIT",
]

#: Selection draws n0 under P that choose the class in predict mode.
DEFAULT_N_SELECTION = 100
#: Draws under P, and under Q when Q is set.
DEFAULT_N = 1000
#: Failure probability of the whole certificate.
DEFAULT_ALPHA = 0.001
#: Noisy copies per forward pass.
DEFAULT_BATCH_SIZE = 1000
#: Confidence level of a summary's error bars (the [Re] DSRS report: 95 %).
DEFAULT_CONFIDENCE = 0.95
#: Step of the DSRS radius grid, and tolerance of the precise search.
DEFAULT_RADIUS_UNIT = 0.05
DEFAULT_RADIUS_TOLERANCE = 1e-4
#: Sequential sampling: draws at the first look, growth factor of the looks, and the share
#: of each run's alpha kept for the last look (docs/sequential.md).
DEFAULT_FIRST_LOOK = 1000
DEFAULT_LOOK_GROWTH = 1.25
DEFAULT_FINAL_SHARE = 0.9
