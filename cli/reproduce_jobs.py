"""Work units of ``dsrs reproduce``: NP and DSRS radii of many instances, in parallel.

The radius engine is pure; this module only fans instances out over processes and
collects ``(radius, seconds, reason)`` per instance.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing import get_context

from dsrs_core.certification import (
    FALLBACK_P_UPPER,
    build_q_noise,
    dsrs_radius_from_intervals,
    heuristic_percentile,
    np_fallback_radius,
)
from dsrs_core.config import QSpec, RadiusSearch
from dsrs_core.dsrs_bound import Intervals
from dsrs_core.neyman_pearson import np_radius
from dsrs_core.noise import make_noise

__all__ = ["InstanceResult", "NoiseSetup", "dsrs_radii", "np_radii"]


@dataclass(frozen=True)
class NoiseSetup:
    """P as in the files: family, dimension, exponent and user-facing sigma."""

    family: str
    dimension: int
    k: int
    sigma: float


@dataclass(frozen=True)
class InstanceResult:
    radius: float
    seconds: float
    reason: str = ""


def _np_chunk(args: tuple[NoiseSetup, list[tuple[int, float]]]) -> list[tuple[int, InstanceResult]]:
    setup, items = args
    p = make_noise(setup.family, setup.dimension, setup.sigma, setup.k)
    out = []
    for index, p_lower in items:
        start = time.perf_counter()
        result = np_radius(p, p_lower)
        out.append(
            (index, InstanceResult(result.radius, time.perf_counter() - start, result.reason))
        )
    return out


def _dsrs_chunk(
    args: tuple[NoiseSetup, QSpec, RadiusSearch, list[tuple[int, tuple, tuple, float]]],
) -> list[tuple[int, InstanceResult]]:
    setup, qspec, search, items = args
    p = make_noise(setup.family, setup.dimension, setup.sigma, setup.k)
    out = []
    for index, (p_lower, p_upper), (q_lower, q_upper), orig in items:
        start = time.perf_counter()
        if qspec.threshold == "x+" and p_upper >= FALLBACK_P_UPPER:
            # §4.3(e): the Q file holds the pooled P interval; plain NP on the grid.
            result = np_fallback_radius(p, q_lower, search, orig)
            reason = "x+ fall-back (pooled interval, as the original): " + result.reason
        elif not p_lower > 0.5:
            result = None
            reason = "p_lower <= 1/2: not searched"
        else:
            percentile = None
            if qspec.threshold is not None:
                percentile = (
                    heuristic_percentile(p_lower)
                    if isinstance(qspec.threshold, str)
                    else float(qspec.threshold)
                )
            q = build_q_noise(p, qspec, percentile)
            result = dsrs_radius_from_intervals(
                p, q, Intervals(p_lower, p_upper, q_lower, q_upper), search, orig
            )
            reason = result.reason
        radius = orig if result is None else max(result.radius, orig)
        out.append((index, InstanceResult(radius, time.perf_counter() - start, reason)))
    return out


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _run(function, payloads: list, workers: int) -> dict[int, InstanceResult]:
    results: dict[int, InstanceResult] = {}
    if workers <= 1 or len(payloads) <= 1:
        for payload in payloads:
            results.update(function(payload))
        return results
    with get_context("fork").Pool(workers) as pool:
        for part in pool.imap_unordered(function, payloads):
            results.update(part)
    return results


def np_radii(
    setup: NoiseSetup, p_lower: dict[int, float], workers: int = 2, chunk: int = 50
) -> dict[int, InstanceResult]:
    """NP radius (dsrs-math.md §3) of every instance."""
    items = sorted(p_lower.items())
    return _run(_np_chunk, [(setup, c) for c in _chunks(items, chunk)], workers)


def dsrs_radii(
    setup: NoiseSetup,
    qspec: QSpec,
    search: RadiusSearch,
    p_intervals: dict[int, tuple[float, float]],
    q_intervals: dict[int, tuple[float, float]],
    orig: dict[int, float],
    workers: int = 2,
    chunk: int = 20,
) -> dict[int, InstanceResult]:
    """DSRS radius of every instance with both intervals (others keep ``orig``, §5)."""
    items = [
        (i, p_intervals[i], q_intervals[i], orig[i])
        for i in sorted(p_intervals)
        if i in q_intervals
    ]
    results = _run(_dsrs_chunk, [(setup, qspec, search, c) for c in _chunks(items, chunk)], workers)
    for i in p_intervals:
        if i not in q_intervals:
            results[i] = InstanceResult(orig[i], 0.0, "no Q interval: radius = NP radius")
    return results
