"""Per-sample seeds: a pure function of the job seed and the sample's index in the job, so
the results do not depend on how a job is cut into chunks or which worker runs which."""

from __future__ import annotations

import numpy as np

__all__ = ["equal_budget_seed", "sample_seed"]


def sample_seed(job_seed: int, sample_index: int) -> int:
    """A 63-bit seed for sample ``sample_index`` of a job seeded with ``job_seed``
    (NumPy's SeedSequence hashes the pair; distinct pairs give independent streams)."""
    state = np.random.SeedSequence([int(job_seed), int(sample_index)]).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0]) >> 1


def equal_budget_seed(job_seed: int, sample_index: int) -> int:
    """A 63-bit seed for the same-cost NP baseline's extra P draws of a sample (equal-budget
    or sequential-np): a stream independent of the sample's own (a three-entry key never
    equals a two-entry one)."""
    state = np.random.SeedSequence([int(job_seed), int(sample_index), 1]).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0]) >> 1
