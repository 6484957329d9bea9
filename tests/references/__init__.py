"""Independent reference implementations of the radius mathematics (docs/math.md §10):
no import from ``dsrs_core`` and none from each other.

* :mod:`.polar_quadpack` — the dual bound and NP value in polar coordinates, QUADPACK.
* :mod:`.cartesian_mpmath` — Gaussian P in Cartesian coordinates, mpmath throughout.
* :mod:`.truth` — the true DSRS value near a radius from the two references alone.

Tests and benchmarks import them as ``tests.references.<name>`` (benchmarks run from the
repository root with ``python -m benchmarks.<name>``).
"""
