"""Bounds of every number a client may send, defined once for the API edge and every
client: within them no value can overflow a float, a 32-bit column or the engine (the
finer rules, e.g. ``2k < d``, are the engine config's). Plain constants, no pydantic."""

from __future__ import annotations

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_COUNT",
    "MAX_DIMENSION",
    "MAX_FINAL_SHARE",
    "MAX_INDICES",
    "MAX_K",
    "MAX_LOOK_GROWTH",
    "MAX_RADIUS",
    "MAX_RADIUS_UNIT",
    "MAX_SEED",
    "MAX_SIGMA",
    "MAX_TARGET_RADII",
    "MIN_ALPHA",
    "MIN_FINAL_SHARE",
    "MIN_LOOK_GROWTH",
    "MIN_RADIUS_TOLERANCE",
    "MIN_RADIUS_UNIT",
    "MIN_SEQUENTIAL_TOLERANCE",
    "MIN_SIGMA",
]

#: Smoothing sigma of P or of Q (input space; images live in [0, 1]): a smaller one
#: divides the engine's radii by zero.
MIN_SIGMA = 1e-6
MAX_SIGMA = 1e3
#: Smallest alpha: ``alpha / 2`` must stay a normal float.
MIN_ALPHA = 1e-15
#: Largest ``k`` of the generalised Gaussian (it must also stay below d/2).
MAX_K = 10**7
#: Largest number of draws, batch size, index or count (a 32-bit column).
MAX_COUNT = 2**31 - 1
#: Most noisy copies in one forward pass (one batch is held in memory at once).
MAX_BATCH_SIZE = 1_000_000
#: Most explicit indices of one job.
MAX_INDICES = 100_000
#: Grid unit of the radius search: finer units only make ``start / unit`` overflow.
MIN_RADIUS_UNIT = 1e-6
MAX_RADIUS_UNIT = 10.0
#: Smallest tolerance of the precise radius search.
MIN_RADIUS_TOLERANCE = 1e-12
#: Largest seed (seeds are 63-bit).
MAX_SEED = 2**63 - 1
#: Largest input dimension ``d`` of a plan (a 3 × 1024 × 1024 image has 3.1 million).
MAX_DIMENSION = 10**8
#: Largest radius a summary reports at (far beyond any certificate).
MAX_RADIUS = 1e6

# Sequential sampling (docs/sequential.md): every look and every target radius costs engine
# work per input, so their number is bounded here, at submission.
#: Most target radii of a sequential job (each is a certificate check per look).
MAX_TARGET_RADII = 32
#: Smallest tolerance of the radius form (a radius; the largest is ``MAX_RADIUS``).
MIN_SEQUENTIAL_TOLERANCE = 1e-4
#: Growth of the looks: at least 5 % per look (at most ~440 looks up to ``MAX_COUNT``).
MIN_LOOK_GROWTH = 1.05
MAX_LOOK_GROWTH = 100.0
#: Share of each run's alpha for the last look (both shares stay normal floats).
MIN_FINAL_SHARE = 1e-3
MAX_FINAL_SHARE = 0.999
