"""Seeds derived from seeds: one rule, :func:`derived_seed` (numpy's ``SeedSequence``).

Per-sample seeds are a pure function of the job seed and the sample's index in the job, so
the results do not depend on how a job is cut into chunks or which worker runs which; a
sequential run derives the seeds of its P and Q runs from the sample's seed the same way."""

from __future__ import annotations

import numpy as np

__all__ = ["derived_seed", "equal_budget_seed", "sample_seed"]


def derived_seed(seed: int, *path: int) -> int:
    """A 63-bit seed that is a fixed function of ``seed`` and ``path`` (numpy's
    ``SeedSequence``: distinct paths give independent streams)."""
    state = np.random.SeedSequence([int(seed), *path]).generate_state(1, dtype=np.uint64)[0]
    return int(state) >> 1


def sample_seed(job_seed: int, sample_index: int) -> int:
    """A 63-bit seed for sample ``sample_index`` of a job seeded with ``job_seed``
    (NumPy's SeedSequence hashes the pair; distinct pairs give independent streams)."""
    return derived_seed(job_seed, int(sample_index))


def equal_budget_seed(job_seed: int, sample_index: int) -> int:
    """A 63-bit seed for the same-cost NP baseline's extra P draws of a sample (equal-budget
    or sequential-np): a stream independent of the sample's own (a three-entry key never
    equals a two-entry one)."""
    return derived_seed(job_seed, int(sample_index), 1)
