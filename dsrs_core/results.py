"""Typed results: the raw counts of one input and the certificate computed from them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Certificate", "SampleCounts"]


@dataclass(frozen=True)
class SampleCounts:
    """Raw Monte-Carlo counts of one input: enough to recompute every radius offline.

    ``label`` is the class whose agreement was counted: the true label in ``evaluate``
    mode, the class chosen from the ``n_selection`` draws in ``predict`` mode
    (``selection_counts`` then holds the per-class counts of those draws).
    ``q_count`` / ``q_n`` are the Q draws (or, for a thresholded ``x+`` Q whose P draws
    all agreed, the fall-back second P draws, with ``q_fallback`` set).
    ``q_percentile`` is the percentile of P's radial law that bounded the thresholded Q
    actually sampled (None for a Q given by sigma).
    ``p_look`` / ``q_look`` are, for sequential sampling, the index of the look at which the
    run stopped (its interval is taken at that look's level, docs/sequential.md); ``p_n`` and
    ``q_n`` are then the draws actually used. None for fixed-N sampling. A DSRS input whose P
    run already certifies the target radii has no Q draws (``q_n = 0``).
    """

    label: int
    p_count: int
    p_n: int
    q_count: int | None = None
    q_n: int | None = None
    q_percentile: float | None = None
    q_fallback: bool = False
    selection_counts: tuple[int, ...] | None = None
    seed: int | None = None
    p_look: int | None = None
    q_look: int | None = None


@dataclass(frozen=True)
class Certificate:
    """The certificate of one input.

    ``prediction`` is None when the smoothed classifier abstains (the P lower bound is not
    above 1/2); radii are then 0. ``reason`` records why a radius stopped where it did
    (for example a solver failure that made a larger radius unprovable).
    """

    prediction: int | None
    p_lower: float
    p_upper: float
    q_lower: float | None
    q_upper: float | None
    np_radius: float
    dsrs_radius: float | None
    counts: SampleCounts
    alpha: float
    reason: str = ""

    @property
    def abstained(self) -> bool:
        return self.prediction is None
