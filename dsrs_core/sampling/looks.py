"""Looks of a sequential run and their shares of alpha (docs/sequential.md §2).

A sequential run (the P run, or DSRS's Q run) draws until fixed cumulative sizes
``n_1 < n_2 < … < n_L = N`` and may stop after any of them. At look ``j`` the interval is the
two-sided Clopper–Pearson interval of the cumulative count at level ``alpha_j`` with
``Σ_j alpha_j ≤ alpha_run``: by the union bound every look's interval covers at once with
probability at least ``1 − alpha_run``, so the interval at whatever look the data made the
run stop at covers too — the stopping rule may use the data freely. The schedule depends on
the job's parameters only (never on the data), which is what the argument needs.

Pure numpy / scipy; no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, nextafter

from dsrs_core.config import CertificationConfig, SequentialSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_core.sampling.confidence import clopper_pearson, split_alpha

__all__ = ["LookSchedule", "run_schedules"]


@dataclass(frozen=True)
class LookSchedule:
    """Cumulative draws at each look and the Clopper–Pearson level used there.

    Attributes
    ----------
    sizes : tuple of int
        Strictly increasing cumulative draw counts; the last is the run's budget ``N``.
    levels : tuple of float
        Two-sided level of the interval at each look; their exact sum (in rationals, no
        rounding) is at most ``alpha``.
    alpha : float
        The run's share of the certificate's failure probability.
    """

    sizes: tuple[int, ...]
    levels: tuple[float, ...]
    alpha: float

    def __post_init__(self) -> None:
        if not self.sizes or len(self.sizes) != len(self.levels):
            raise InvalidParameterError("a schedule needs one level per look and >= 1 look")
        if any(b <= a for a, b in zip(self.sizes, self.sizes[1:], strict=False)):
            raise InvalidParameterError(f"look sizes must increase strictly, got {self.sizes}")
        if self.sizes[0] < 1:
            raise InvalidParameterError("the first look needs at least one draw")
        if any(not level > 0.0 for level in self.levels) or _exact_sum(self.levels) > Fraction(
            self.alpha
        ):
            raise InvalidParameterError(
                f"look levels must be positive and sum to at most alpha={self.alpha!r}"
            )

    @classmethod
    def geometric(
        cls, budget: int, alpha: float, first: int, growth: float, final_share: float
    ) -> LookSchedule:
        """Looks at ``first``, then each ``growth`` times the one before rounded up to a
        multiple of ``first`` (below ``budget``, and leaving a last step at least as long as
        the step before it), and at ``budget``.

        Multiples of ``first`` keep the looks whole batches of a sampler whose batch divides
        ``first`` (then a sequential run's draws are the first draws of the fixed-N run with
        the same seed). The last look gets ``final_share`` of ``alpha`` and the earlier
        looks share the rest equally (a Bonferroni / Pocock-like split: docs/sequential.md
        §2 says why). With a single look the schedule is the fixed-N run at level ``alpha``.
        """
        if not 0.0 < alpha < 1.0:
            raise InvalidParameterError(f"alpha must lie in (0, 1), got {alpha!r}")
        if budget < 1 or first < 1:
            raise InvalidParameterError("budget and first look must be positive")
        if not growth > 1.0:
            raise InvalidParameterError(f"growth must be > 1, got {growth!r}")
        if not 0.0 < final_share < 1.0:
            raise InvalidParameterError(f"final share must lie in (0, 1), got {final_share!r}")
        sizes: list[int] = []
        size = first
        while size < budget:
            sizes.append(size)
            size = first * max(size // first + 1, ceil(size * growth / first))
        # The last step is never shorter than the one before it: a look just short of the
        # budget would judge a run at an early level for a few draws' saving (the target
        # form's P run then stopped at 48 000 of 50 000 on the demo and lost inputs).
        while len(sizes) >= 2 and budget - sizes[-1] < sizes[-1] - sizes[-2]:
            sizes.pop()
        sizes.append(budget)
        if len(sizes) == 1:
            return cls((budget,), (alpha,), alpha)
        early = alpha * (1.0 - final_share) / (len(sizes) - 1)
        # The last look gets the exact remainder alpha − Σ early (= final_share · alpha up to
        # rounding), rounded down, so the exact sum never exceeds alpha.
        final = float(Fraction(alpha) - _exact_sum([early] * (len(sizes) - 1)))
        levels = [early] * (len(sizes) - 1) + [final]
        while _exact_sum(levels) > Fraction(alpha):
            levels[-1] = nextafter(levels[-1], 0.0)
        return cls(tuple(sizes), tuple(levels), alpha)

    @property
    def budget(self) -> int:
        """``N``, the draws of a run that never stops early."""
        return self.sizes[-1]

    @property
    def last(self) -> int:
        """Index of the last look."""
        return len(self.sizes) - 1

    def interval(self, look: int, count: int) -> tuple[float, float]:
        """Clopper–Pearson ``(lower, upper)`` of ``count`` agreeing among ``sizes[look]``."""
        return clopper_pearson(count, self.sizes[self._index(look)], self.levels[look])

    def reachable(self, look: int, count: int, rate: float = 1.0) -> tuple[float, float] | None:
        """The most favourable interval a later look can give: ``(max lower, 1)``.

        After look ``j`` with ``count`` agreeing, a later look ``m`` has at most ``count +
        ⌈rate·(sizes[m] − sizes[j])⌉`` agreeing draws when at most a fraction ``rate`` of
        the new draws agrees; ``rate = 1`` (every remaining draw agrees) bounds every
        outcome. The upper end is left at 1: an upper bound that every outcome respects
        would need every remaining draw to disagree, and a box of both extremes is usually
        empty. None at the last look (nothing is left).
        """
        self._index(look)
        if not 0.0 <= rate <= 1.0:
            raise InvalidParameterError(f"rate must lie in [0, 1], got {rate!r}")
        if look == self.last:
            return None
        lower = max(
            self.interval(m, count + ceil(rate * (self.sizes[m] - self.sizes[look])))[0]
            for m in range(look + 1, len(self.sizes))
        )
        return lower, 1.0

    def _index(self, look: int) -> int:
        if not 0 <= look <= self.last:
            raise InvalidParameterError(f"look must lie in [0, {self.last}], got {look!r}")
        return look


def _exact_sum(levels: tuple[float, ...] | list[float]) -> Fraction:
    return sum((Fraction(level) for level in levels), Fraction(0))


def _run_schedule(budget: int, alpha: float, spec: SequentialSpec | None) -> LookSchedule:
    if spec is None:
        return LookSchedule((budget,), (alpha,), alpha)
    return LookSchedule.geometric(budget, alpha, spec.first_look, spec.growth, spec.final_share)


def run_schedules(config: CertificationConfig) -> tuple[LookSchedule, LookSchedule | None]:
    """The looks of the P run and (DSRS) of the Q run of a configuration.

    The runs' alphas are :func:`dsrs_core.sampling.confidence.split_alpha`'s; a configuration
    without ``sequential`` is the fixed-N schedule (one look at ``n`` with the whole share).
    """
    alpha_p, alpha_q = split_alpha(config.alpha, config.q is not None)
    p_schedule = _run_schedule(config.n, alpha_p, config.sequential)
    q_schedule = None if alpha_q is None else _run_schedule(config.n, alpha_q, config.sequential)
    return p_schedule, q_schedule
