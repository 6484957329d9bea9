"""The DSRS paper's baseline: Neyman–Pearson with the same total budget (docs/math.md §2.2).

A DSRS certificate spends ``N`` draws under P and ``N`` under Q, with ``alpha`` split
between the two intervals. The fair NP baseline spends the same ``2N`` forward passes under
P and puts all of ``alpha`` on its one interval (the paper: NP at ``N = 100,000``,
``alpha = 0.001`` against DSRS at ``50,000 + 50,000``, ``0.0005`` each). Comparing DSRS with
the NP radius of its own P run (``N`` draws at the P share of ``alpha``) overstates the gain.

:func:`equal_budget_np_radius` pools the job's P run with ``N`` further P draws (the Q
budget spent on P instead) and certifies the pooled count at the full ``alpha``: both runs
are i.i.d. draws under P, so the pooled count is one binomial sample of ``2N`` draws.

Taking, per input, the larger of this radius and the DSRS radius uses two certificates,
each failing with probability ``alpha``: the larger holds with probability at least
``1 − 2·alpha`` (union bound, :data:`LARGER_OF_TWO_FAILURE_FACTOR`).

A sequential job's P run stops at a look chosen from its data, so its count is not a
binomial sample of a fixed size and cannot be pooled with further draws. Its same-cost
baseline (:data:`SEQUENTIAL_NP`, docs/sequential.md §7) is an independent sequential NP run
instead: fresh draws under P, budget ``2N`` (the DSRS job's), all of ``alpha``, its own looks
(:func:`sequential_baseline_config`); :class:`SequentialBaselineRadius` is its result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dsrs_core.config import CertificationConfig
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import RadialNoise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.sampling.confidence import clopper_pearson, split_alpha

__all__ = [
    "BASELINES",
    "EQUAL_BUDGET",
    "LARGER_OF_TWO_FAILURE_FACTOR",
    "SAME_RUN",
    "SEQUENTIAL_NP",
    "EqualBudgetRadius",
    "SequentialBaselineRadius",
    "equal_budget_np_radius",
    "same_cost_baseline",
    "sequential_baseline_config",
]

#: NP from the job's own P run, at the P share of alpha (what DSRS starts from).
SAME_RUN = "same-run"
#: NP from 2N draws under P at the full alpha (the DSRS paper's baseline).
EQUAL_BUDGET = "equal-budget"
#: Sequential jobs: an independent sequential NP run, budget 2N, at the full alpha.
SEQUENTIAL_NP = "sequential-np"
BASELINES = (SAME_RUN, EQUAL_BUDGET, SEQUENTIAL_NP)
#: Failure probability of "the larger of two certificates at alpha each" is at most this
#: times alpha (union bound).
LARGER_OF_TWO_FAILURE_FACTOR = 2


def same_cost_baseline(job_baseline: str) -> str:
    """Which same-cost NP baseline the ``baseline_*`` fields of a job's rows hold, by the
    job's ``baseline`` option: :data:`SEQUENTIAL_NP` for that option, else
    :data:`EQUAL_BUDGET` (the only other baseline that writes them)."""
    return SEQUENTIAL_NP if job_baseline == SEQUENTIAL_NP else EQUAL_BUDGET


@dataclass(frozen=True)
class EqualBudgetRadius:
    """The pooled count, its lower bound at the full alpha and the certified NP radius;
    ``extra_count`` of ``extra_n`` are the further P draws pooled with the P run."""

    count: int
    n: int
    p_lower: float
    radius: float
    extra_count: int
    extra_n: int
    reason: str = ""

    def row_fields(self) -> dict[str, float | int]:
        """The fields of a result row that this baseline determines, by their row names."""
        return {
            "baseline_extra_count": self.extra_count,
            "baseline_extra_n": self.extra_n,
            "baseline_p_lower": self.p_lower,
            "baseline_np_radius": self.radius,
        }


def equal_budget_np_radius(
    noise: RadialNoise,
    p_count: int,
    p_n: int,
    extra_count: int,
    extra_n: int,
    alpha: float,
) -> EqualBudgetRadius:
    """NP radius of the pooled P draws at the full ``alpha`` (the equal-budget baseline).

    Parameters
    ----------
    noise : RadialNoise
        The smoothing noise P.
    p_count, p_n : int
        The job's P run: draws agreeing with the counted class, and all draws.
    extra_count, extra_n : int
        The further P draws (the Q budget, ``extra_n = N`` for the paper's baseline).
    alpha : float
        Failure probability of the whole certificate, all of it on the pooled interval.

    Returns
    -------
    EqualBudgetRadius
        ``count = p_count + extra_count``, ``n = p_n + extra_n``, the two-sided
        Clopper–Pearson lower bound at ``alpha`` and :func:`np_radius` of it (0 when the
        bound is not above 1/2).
    """
    if min(p_count, p_n, extra_count, extra_n) < 0:
        raise InvalidParameterError("counts and draws must be non-negative")
    if p_count > p_n or extra_count > extra_n:
        raise InvalidParameterError("a count cannot exceed its number of draws")
    count, n = p_count + extra_count, p_n + extra_n
    alpha_all, _ = split_alpha(alpha, uses_q=False)
    p_lower, _ = clopper_pearson(count, n, alpha_all)
    result = np_radius(noise, p_lower)
    return EqualBudgetRadius(count, n, p_lower, result.radius, extra_count, extra_n, result.reason)


@dataclass(frozen=True)
class SequentialBaselineRadius:
    """The sequential NP baseline of one input: ``count`` of the ``n`` draws its run used
    agree, stopping at look ``look``; ``p_lower`` is that look's lower bound (its level a
    share of the full alpha) and ``radius`` its NP radius (0 when ``p_lower ≤ 1/2``)."""

    count: int
    n: int
    look: int | None
    p_lower: float
    radius: float
    reason: str = ""

    def row_fields(self) -> dict[str, float | int | None]:
        """The fields of a result row that this baseline determines, by their row names
        (its draws are extra draws under P, not pooled with the job's P run)."""
        return {
            "baseline_extra_count": self.count,
            "baseline_extra_n": self.n,
            "baseline_p_lower": self.p_lower,
            "baseline_np_radius": self.radius,
            "baseline_look": self.look,
        }


def sequential_baseline_config(config: CertificationConfig) -> CertificationConfig:
    """The configuration of the sequential NP baseline of a sequential DSRS ``config``: no
    Q, budget ``2·n`` (the DSRS job's maximum forward passes under P and Q), all of
    ``alpha`` on its one run, the same sequential spec (its looks follow from ``2·n``)."""
    if config.q is None or config.sequential is None:
        raise InvalidParameterError(
            "the sequential NP baseline is for sequential DSRS configurations (q and "
            "sequential set)"
        )
    return replace(config, q=None, n=2 * config.n)
