"""Typed results: the raw counts of one input and the certificate computed from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Certificate", "SampleCounts", "certificate_fields", "counts_of_row"]


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
    ``inconsistent_intervals`` flags P and Q intervals that no classifier could produce
    (so a confidence bound failed); the DSRS radius is then not raised above NP.
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
    inconsistent_intervals: bool = False

    @property
    def abstained(self) -> bool:
        return self.prediction is None


# A result row (the contract's ``SampleOut``, the store's ``samples`` table) is a certificate
# plus where the input came from (``sample_index``, ``dataset_index``, ``label``), the seed
# of its draws and the time it took. These two functions are the one mapping between them.


def certificate_fields(certificate: Certificate) -> dict[str, Any]:
    """The fields of a result row that ``certificate`` determines, by their row names."""
    counts = certificate.counts
    return {
        "counted_label": counts.label,
        "prediction": certificate.prediction,
        "selection_counts": None
        if counts.selection_counts is None
        else list(counts.selection_counts),
        "p_count": counts.p_count,
        "p_n": counts.p_n,
        "q_count": counts.q_count,
        "q_n": counts.q_n,
        "q_percentile": counts.q_percentile,
        "q_fallback": counts.q_fallback,
        "p_look": counts.p_look,
        "q_look": counts.q_look,
        "alpha": certificate.alpha,
        "p_lower": certificate.p_lower,
        "p_upper": certificate.p_upper,
        "q_lower": certificate.q_lower,
        "q_upper": certificate.q_upper,
        "np_radius": certificate.np_radius,
        "dsrs_radius": certificate.dsrs_radius,
        "reason": certificate.reason,
    }


def counts_of_row(row: Any) -> SampleCounts:
    """The raw counts stored in a result row (any object with the row's attributes), from
    which its certificate can be computed again without sampling."""
    return SampleCounts(
        label=row.counted_label,
        p_count=row.p_count,
        p_n=row.p_n,
        q_count=row.q_count,
        q_n=row.q_n,
        q_percentile=row.q_percentile,
        q_fallback=row.q_fallback,
        selection_counts=tuple(row.selection_counts) if row.selection_counts else None,
        seed=row.seed,
        p_look=row.p_look,
        q_look=row.q_look,
    )
