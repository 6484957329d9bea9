"""Batch API: radii of many instances that share P and Q (dsrs-math.md §7.4 items 5–6).

NP radii are cached per exact ``pL`` value (sound: equal inputs give equal radii; the
attainable ``pL`` values are finite, one per count). DSRS radii are independent per
instance and may be spread over processes (``workers``); results keep the input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from dsrs_core.certification import dsrs_radius_from_intervals
from dsrs_core.config import RadiusSearch
from dsrs_core.dsrs_bound import Intervals
from dsrs_core.neyman_pearson import NPRadius, np_radius
from dsrs_core.noise import RadialNoise, ThresholdedNoise

__all__ = ["BatchRadius", "dsrs_radii_batch", "np_radii_batch"]


@dataclass(frozen=True)
class BatchRadius:
    """NP and DSRS radius of one instance of a batch, with the reason of the DSRS stop."""

    np_radius: float
    dsrs_radius: float
    reason: str


def np_radii_batch(noise: RadialNoise, p_lowers: Sequence[float]) -> list[NPRadius]:
    """NP radius (§3) of every ``pL``, computed once per distinct value."""
    cache: dict[float, NPRadius] = {}
    out = []
    for p_lower in p_lowers:
        if p_lower not in cache:
            cache[p_lower] = np_radius(noise, p_lower)
        out.append(cache[p_lower])
    return out


def _one(
    args: tuple[RadialNoise, RadialNoise | ThresholdedNoise, Intervals, RadiusSearch, float],
) -> BatchRadius:
    p, q, intervals, search, start = args
    result = dsrs_radius_from_intervals(p, q, intervals, search, start)
    return BatchRadius(start, max(result.radius, start), result.reason)


def dsrs_radii_batch(
    p: RadialNoise,
    qs: Sequence[RadialNoise | ThresholdedNoise],
    intervals: Sequence[Intervals],
    search: RadiusSearch,
    workers: int = 1,
) -> list[BatchRadius]:
    """NP and DSRS radii (§3–§5) of a batch; ``qs[i]`` is the Q of instance ``i`` (a
    thresholded Q may differ per instance through its percentile).

    ``workers > 1`` spreads the instances over that many processes (fork start method).
    """
    if len(qs) != len(intervals):
        raise ValueError("qs and intervals must have the same length")
    starts = [r.radius for r in np_radii_batch(p, [iv.p_lower for iv in intervals])]
    jobs = [(p, q, iv, search, s) for q, iv, s in zip(qs, intervals, starts, strict=True)]
    if workers <= 1:
        return [_one(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        return list(pool.map(_one, jobs, chunksize=max(1, len(jobs) // (8 * workers))))
