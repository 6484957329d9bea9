"""From counts to certificates: the pure (torch-free) half of ``certify()``.

CONTRACT (other packages call exactly these; the engine fills in the science):

* :func:`plan_q_draws` — before the Q draws: which Q to sample, given the P interval.
* :func:`certificate_from_counts` — bounds, prediction / abstain, NP and DSRS radii.

PROVISIONAL: until the radius engine lands this only knows the Gaussian closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import norm

from dsrs_core.bounds import clopper_pearson, split_alpha
from dsrs_core.config import CertificationConfig
from dsrs_core.results import Certificate, SampleCounts

__all__ = ["QPlan", "plan_q_draws", "certificate_from_counts"]


@dataclass(frozen=True)
class QPlan:
    """What the Q draws are: Q itself, or (``fallback``) P again (dsrs-math.md §1.4 ``x+``).

    ``percentile`` is the radial percentile of a thresholded Q (None for Q given by sigma
    or for the fall-back).
    """

    percentile: float | None
    fallback: bool


def plan_q_draws(config: CertificationConfig, p_lower: float, p_upper: float) -> QPlan:
    """Decide the Q to sample from the P interval (dsrs-math.md §1.4)."""
    raise NotImplementedError("provisional: thresholded Q arrives with the radius engine")


def certificate_from_counts(
    counts: SampleCounts, config: CertificationConfig, dimension: int
) -> Certificate:
    """Certificate of one input from its raw counts (``dimension`` = d of the input)."""
    alpha_p, alpha_q = split_alpha(config.alpha, config.q is not None)
    p_lower, p_upper = clopper_pearson(counts.p_count, counts.p_n, alpha_p)
    q_lower = q_upper = None
    if config.q is not None and counts.q_count is not None and counts.q_n:
        q_lower, q_upper = clopper_pearson(counts.q_count, counts.q_n, alpha_q)
    certified = p_lower > 0.5
    np_radius = config.p.sigma * float(norm.ppf(p_lower)) if certified else 0.0
    return Certificate(
        prediction=counts.label if certified else None,
        p_lower=p_lower,
        p_upper=p_upper,
        q_lower=q_lower,
        q_upper=q_upper,
        np_radius=np_radius,
        dsrs_radius=np_radius if config.q is not None else None,
        counts=counts,
        alpha=config.alpha,
        reason="" if certified else "p_lower <= 1/2: abstain",
    )
