"""NP and DSRS radii of many instances that share P and Q, from their intervals
(docs/math.md §7.4 items 5–6) — the engine of ``dsrs reproduce`` and of the engine
benchmark.

Instances are independent: they are cut into chunks spread over ``workers`` processes
(fork start method). Each instance gets its radius, the seconds it took and the reason the
search stopped, keyed by its index. The Q of an instance is chosen from its P interval the
way the sampler chose it (:func:`~dsrs_core.sampling.draw_plan.plan_q_draws`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, TypeVar

from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals, np_fallback_radius
from dsrs_core.radius.dual_bound import Intervals
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.np_proof import PROOF_CPU_SECONDS, NPProof, prove_verified_np
from dsrs_core.sampling.draw_plan import build_p_noise, build_q_noise, plan_q_draws

__all__ = ["InstanceResult", "dsrs_radii", "np_proofs", "np_radii"]

T = TypeVar("T")

Interval = tuple[float, float]


@dataclass(frozen=True)
class InstanceResult:
    """The radius of one instance, the seconds its computation took, and why it stopped."""

    radius: float
    seconds: float
    reason: str = ""


def np_radii(
    p: NoiseSpec,
    dimension: int,
    p_lower: dict[int, float],
    workers: int = 2,
    chunk: int = 50,
) -> dict[int, InstanceResult]:
    """NP radius (docs/math.md §3) of every instance from its ``pL``."""
    items = sorted(p_lower.items())
    return _run(_np_chunk, [(p, dimension, c) for c in _chunks(items, chunk)], workers)


def dsrs_radii(
    p: NoiseSpec,
    dimension: int,
    q: QSpec,
    search: RadiusSearch,
    p_intervals: dict[int, Interval],
    q_intervals: dict[int, Interval],
    start: dict[int, float],
    workers: int = 2,
    chunk: int = 20,
) -> dict[int, InstanceResult]:
    """DSRS radius (§4, §5) of every instance, searched above ``start`` (its NP radius).

    Instances without a Q interval keep ``start``. On the ``x+`` fall-back (the P upper bound
    reached ``1 − 1e-8``) the Q interval is the pooled P interval and the radius is plain NP
    on the same grid, as the original (§4.3(e)).
    """
    items = [
        (i, p_intervals[i], q_intervals[i], start[i])
        for i in sorted(p_intervals)
        if i in q_intervals
    ]
    payloads = [(p, dimension, q, search, c) for c in _chunks(items, chunk)]
    results = _run(_dsrs_chunk, payloads, workers)
    for i in p_intervals:
        if i not in q_intervals:
            results[i] = InstanceResult(start[i], 0.0, "no Q interval: radius = NP radius")
    return results


def np_proofs(
    p: NoiseSpec,
    dimension: int,
    instances: dict[int, tuple[float, float]],
    workers: int = 2,
    chunk: int = 5,
    cpu_seconds: float = PROOF_CPU_SECONDS,
) -> dict[int, NPProof]:
    """Proof mode (docs/math.md §7.5) of every instance's verified NP radius, from its
    ``(pL, radius)`` (:func:`dsrs_core.radius.np_proof.prove_verified_np`)."""
    items = sorted(instances.items())
    payloads = [(p, dimension, cpu_seconds, c) for c in _chunks(items, chunk)]
    return _run(_proof_chunk, payloads, workers)


def _proof_chunk(
    args: tuple[NoiseSpec, int, float, list[tuple[int, tuple[float, float]]]],
) -> list[tuple[int, NPProof]]:
    spec, dimension, cpu_seconds, items = args
    p = build_p_noise(spec, dimension)
    return [
        (index, prove_verified_np(p, p_lower, radius, cpu_seconds))
        for index, (p_lower, radius) in items
    ]


def _np_chunk(
    args: tuple[NoiseSpec, int, list[tuple[int, float]]],
) -> list[tuple[int, InstanceResult]]:
    spec, dimension, items = args
    p = build_p_noise(spec, dimension)
    out = []
    for index, p_lower in items:
        began = time.perf_counter()
        result = np_radius(p, p_lower)
        out.append(
            (index, InstanceResult(result.radius, time.perf_counter() - began, result.reason))
        )
    return out


def _dsrs_chunk(
    args: tuple[NoiseSpec, int, QSpec, RadiusSearch, list[tuple[int, Interval, Interval, float]]],
) -> list[tuple[int, InstanceResult]]:
    spec, dimension, q_spec, search, items = args
    p = build_p_noise(spec, dimension)
    out = []
    for index, (p_lower, p_upper), (q_lower, q_upper), start in items:
        began = time.perf_counter()
        plan = plan_q_draws(q_spec, p_lower, p_upper)
        if plan.fallback:
            result = np_fallback_radius(p, q_lower, search, start)
            reason = "x+ fall-back (pooled interval, as the original): " + result.reason
        elif not p_lower > 0.5:
            result = None
            reason = "p_lower <= 1/2: not searched"
        else:
            q = build_q_noise(p, q_spec, plan.percentile)
            result = dsrs_radius_from_intervals(
                p, q, Intervals(p_lower, p_upper, q_lower, q_upper), search, start
            )
            reason = result.reason
        radius = start if result is None else max(result.radius, start)
        out.append((index, InstanceResult(radius, time.perf_counter() - began, reason)))
    return out


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _run(
    function: Callable[[Any], list[tuple[int, T]]], payloads: list[Any], workers: int
) -> dict[int, T]:
    results: dict[int, T] = {}
    if workers <= 1 or len(payloads) <= 1:
        for payload in payloads:
            results.update(function(payload))
        return results
    with get_context("fork").Pool(workers) as pool:
        for part in pool.imap_unordered(function, payloads):
            results.update(part)
    return results
