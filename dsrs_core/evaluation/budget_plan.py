"""What a sampling budget can certify at best, and what it costs (``dsrs plan``).

For ``N`` draws and failure probability ``alpha`` the largest certifiable radius is the
one of an input on which *every* draw agrees with the label: ``count = N`` gives the
Clopper–Pearson bounds ``pL = (alpha_p / 2)^(1/N)``, ``pU = 1`` (docs/math.md §2.2), and
likewise ``qL``, ``qU = 1`` for DSRS's Q. The radii are those of the engine itself
(:func:`dsrs_core.radius.neyman_pearson.np_radius`,
:func:`dsrs_core.counts_to_certificate.dsrs_radius_from_intervals`), so a plan never promises what
a job could not certify. Pure numpy / scipy: no torch.

Costs count forward passes of the base classifier per input: ``n_selection`` (predict mode
only) plus ``N`` under P plus, for DSRS, ``N`` under Q. :func:`sequential_saving` predicts
what sequential sampling (target-radius form) spends instead, per agreement rate.

Baselines: ``np_max_radius`` is an NP job with ``N`` draws at the full ``alpha``
(:data:`NP_PLAN_BASELINE`). A DSRS plan also gives the paper's *equal-budget* NP baseline
(:mod:`dsrs_core.evaluation.equal_budget`): ``2N`` draws under P, the same forward passes as
DSRS, at the full ``alpha``; whether DSRS can beat NP is judged against that one.

CPU budget: every radius is the engine's verified one, and each verification integrates
over the dimension (issue 24: 0.8 s for one NP radius at d = 150528 and N = 1e5, 2.8 s at
N = 2^31 − 1; since issue 23 ~10 ms, a whole plan there 0.05 s). With ``cpu_budget_s`` the NP
radius is solved under a deadline of the calling thread's CPU time (``np_radius``'s
``deadline``: the solve stops within one integrand evaluation, ~50 ms at d = 150528, of
it); the DSRS radius and then the equal-budget radius are computed only while the CPU time
used plus the NP radius's own cost (the estimate of each further part) stays within the
budget. A part left out is None and named in :attr:`BudgetPlan.left_out`: a plan may say
less, never a figure the engine would not verify.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from math import ceil, log

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals
from dsrs_core.evaluation.equal_budget import equal_budget_np_radius
from dsrs_core.evaluation.job_summary import fixed_n_draws
from dsrs_core.numerics.root_finding import DeadlineExceeded, check_deadline
from dsrs_core.radius.dual_bound import Intervals
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.sampling.confidence import clopper_pearson, split_alpha
from dsrs_core.sampling.draw_plan import build_p_noise, build_q_noise, plan_q_draws

__all__ = [
    "DSRS_PART",
    "EQUAL_BUDGET_PART",
    "EQUAL_BUDGET_PLAN_BASELINE",
    "GAUSSIAN_DSRS_DIMENSION",
    "NEAR_ONE_P_LOWER",
    "NP_PART",
    "NP_PLAN_BASELINE",
    "RADIUS_GAIN_TOLERANCE",
    "SAVING_AGREEMENTS",
    "BudgetPlan",
    "SequentialSaving",
    "best_case_p_lower",
    "minimum_draws",
    "plan_budget",
    "sequential_saving",
]

#: From this input dimension on, DSRS with a Gaussian P (k = 0) gains (almost) nothing over
#: NP: the Gaussian's radial mass does not concentrate enough for the Q information to
#: tighten the bound (DSRS paper, Li et al. 2022, §4: generalized Gaussian with large k).
GAUSSIAN_DSRS_DIMENSION = 40
#: DSRS improves on NP only for inputs whose pA is close to 1 (the concentration
#: assumption of the DSRS paper); a best-case pL below this is flagged.
NEAR_ONE_P_LOWER = 0.99
#: A DSRS radius at most this much above the NP radius counts as "no gain" (grid radii are
#: printed to ~1e-5 in the original's files; docs/math.md §6).
RADIUS_GAIN_TOLERANCE = 1e-5
NP_PLAN_BASELINE = "NP with N draws under P at the full alpha"
#: The parts of a plan a CPU budget may leave out (:attr:`BudgetPlan.left_out`).
NP_PART = "the NP radius"
DSRS_PART = "the DSRS radius"
EQUAL_BUDGET_PART = "the equal-budget NP radius"
#: Complete plans kept (a plan is a pure function of its parameters).
PLAN_CACHE_SIZE = 256
EQUAL_BUDGET_PLAN_BASELINE = (
    "equal-budget NP: 2N draws under P (the forward passes of DSRS) at the full alpha"
)


@dataclass(frozen=True)
class BudgetPlan:
    """Best-case radii and cost of one configuration.

    Attributes
    ----------
    np_max_radius : float or None
        Largest NP radius with ``N`` draws under P and all of ``alpha`` on them
        (:data:`NP_PLAN_BASELINE`); None when the CPU budget ran out before it was verified.
    np_equal_budget_max_radius : float or None
        DSRS plans: largest NP radius with ``2N`` draws under P at the full ``alpha``
        (:data:`EQUAL_BUDGET_PLAN_BASELINE`, the paper's baseline); None without Q.
    dsrs_max_radius : float or None
        Largest DSRS radius when every P and Q draw agrees (``alpha`` split between P and
        Q); None without Q.
    forward_passes_per_input : int
        ``n_selection + N`` (NP) or ``n_selection + 2N`` (DSRS).
    best_p_lower : float
        ``pL`` of the NP plan (count = N, level ``alpha``).
    best_q_lower : float or None
        ``qL`` of the DSRS plan (count = N, level ``alpha / 2``).
    warnings : tuple of str
        Why DSRS cannot beat NP here, or why nothing can be certified.
    dimension : int
        The input dimension ``d`` planned for.
    np_baseline : str
        What ``np_max_radius`` is (:data:`NP_PLAN_BASELINE`).
    np_equal_budget_baseline : str or None
        What ``np_equal_budget_max_radius`` is; None without Q.
    target_radius : float or None
        The target radius of ``sequential_saving`` (None: not asked for).
    sequential_saving : tuple of SequentialSaving or None
        What sequential sampling in target-radius form spends per input, by agreement rate
        (:func:`sequential_saving`); None unless a target radius was given.
    left_out : tuple of str
        Parts the CPU budget left out (:data:`NP_PART`, :data:`DSRS_PART`,
        :data:`EQUAL_BUDGET_PART`; their radii are None).
    """

    np_max_radius: float | None
    np_equal_budget_max_radius: float | None
    dsrs_max_radius: float | None
    forward_passes_per_input: int
    best_p_lower: float
    best_q_lower: float | None
    warnings: tuple[str, ...]
    dimension: int
    np_baseline: str = NP_PLAN_BASELINE
    np_equal_budget_baseline: str | None = None
    target_radius: float | None = None
    sequential_saving: tuple[SequentialSaving, ...] | None = None
    left_out: tuple[str, ...] = ()


def best_case_p_lower(n: int, alpha: float) -> float:
    """Clopper–Pearson lower bound when all ``n`` draws agree: ``(alpha / 2)^(1/n)``."""
    return clopper_pearson(n, n, alpha)[0]


def minimum_draws(alpha: float) -> int:
    """Smallest ``n`` whose best-case lower bound at level ``alpha`` exceeds 1/2."""
    n = max(1, ceil(log(alpha / 2.0) / log(0.5)))
    while not best_case_p_lower(n, alpha) > 0.5:  # at most one step: guards the rounding
        n += 1
    return n


def plan_budget(
    p: NoiseSpec,
    dimension: int,
    n: int,
    alpha: float,
    q: QSpec | None = None,
    *,
    n_selection: int = 0,
    search: RadiusSearch | None = None,
    cpu_budget_s: float | None = None,
) -> BudgetPlan:
    """Largest certifiable radii and cost for ``N`` draws per distribution.

    Parameters
    ----------
    p : NoiseSpec
        Smoothing noise P.
    dimension : int
        Input dimension ``d`` (e.g. 784 for MNIST).
    n : int
        Draws under P (and under Q for DSRS).
    alpha : float
        Failure probability of the whole certificate.
    q : QSpec, optional
        DSRS's Q; without it only NP is planned.
    n_selection : int
        Selection draws (predict mode); 0 for evaluate mode.
    search : RadiusSearch, optional
        How the DSRS radius is searched (grid unit, mode), as in the job (default grid).
    cpu_budget_s : float, optional
        CPU time of the calling thread the plan may spend (module docstring); None: no
        limit.

    Returns
    -------
    BudgetPlan

    Raises
    ------
    InvalidParameterError
        Parameters out of range (``k ≥ d/2``, ``alpha ∉ (0, 1)``, ``n < 1``, …).
    """
    config = CertificationConfig(
        p=p,
        q=q,
        n_selection=max(n_selection, 1),
        n=n,
        alpha=alpha,
        search=search or RadiusSearch(),
    )
    key = (config, dimension, n_selection)
    with _PLANS_LOCK:
        if key in _PLANS:
            _PLANS.move_to_end(key)
            return _PLANS[key]
    plan = _plan(config, dimension, n_selection, cpu_budget_s)
    if not plan.left_out:
        with _PLANS_LOCK:
            _PLANS[key] = plan
            while len(_PLANS) > PLAN_CACHE_SIZE:
                _PLANS.popitem(last=False)
    return plan


_PLANS: OrderedDict[tuple[CertificationConfig, int, int], BudgetPlan] = OrderedDict()
_PLANS_LOCK = threading.Lock()


def _plan(
    config: CertificationConfig, dimension: int, n_selection: int, cpu_budget_s: float | None
) -> BudgetPlan:
    started = time.thread_time()
    deadline = None if cpu_budget_s is None else started + cpu_budget_s
    p_noise = build_p_noise(config.p, dimension)
    n, alpha = config.n, config.alpha
    warnings: list[str] = []
    left_out: list[str] = []
    p_lower = best_case_p_lower(n, alpha)
    np_max: float | None = None
    try:
        np_max = np_radius(p_noise, p_lower, deadline=deadline).radius
    except DeadlineExceeded:
        left_out.append(NP_PART)
    part_cost = time.thread_time() - started  # each further part verifies one NP radius

    def affordable() -> bool:
        used = time.thread_time() - started
        return np_max is not None and (cpu_budget_s is None or used + part_cost <= cpu_budget_s)

    if not p_lower > 0.5:
        warnings.append(
            f"N = {n} cannot certify anything at alpha = {alpha:g}: even when every draw "
            f"agrees the lower bound pL = {p_lower:.4f} is not above 1/2 "
            f"(need N >= {minimum_draws(alpha)})"
        )
    passes = fixed_n_draws(n, config.q is not None, n_selection)
    dsrs_max: float | None = None
    equal_budget_max: float | None = None
    q_lower: float | None = None
    if config.q is not None:
        alpha_p, alpha_q = split_alpha(alpha, True)
        assert alpha_q is not None
        dsrs_p_lower = best_case_p_lower(n, alpha_p)
        q_lower = best_case_p_lower(n, alpha_q)
        try:
            if not affordable():
                raise DeadlineExceeded
            dsrs_max = _best_dsrs_radius(config, p_noise, dsrs_p_lower, q_lower, deadline)
        except DeadlineExceeded:
            left_out.append(DSRS_PART)
        if affordable():
            equal_budget_max = equal_budget_np_radius(p_noise, n, n, n, n, alpha).radius
        else:
            left_out.append(EQUAL_BUDGET_PART)
        warnings.extend(_dsrs_warnings(config, dimension, equal_budget_max, dsrs_max, dsrs_p_lower))
    return BudgetPlan(
        np_max_radius=np_max,
        np_equal_budget_max_radius=equal_budget_max,
        dsrs_max_radius=dsrs_max,
        forward_passes_per_input=passes,
        best_p_lower=p_lower,
        best_q_lower=q_lower,
        warnings=tuple(warnings),
        dimension=dimension,
        np_equal_budget_baseline=None if equal_budget_max is None else EQUAL_BUDGET_PLAN_BASELINE,
        left_out=tuple(left_out),
    )


def _best_dsrs_radius(config, p_noise, p_lower: float, q_lower: float, deadline) -> float:  # type: ignore[no-untyped-def]
    assert config.q is not None
    start = np_radius(p_noise, p_lower, deadline=deadline).radius
    if not p_lower > 0.5:
        return 0.0
    plan = plan_q_draws(config.q, p_lower, 1.0)
    if plan.fallback:
        # x+ with every P draw agreeing: the Q budget is spent on P again (§1.4); the best
        # lower bound of the two runs is certified by NP.
        return start
    q_noise = build_q_noise(p_noise, config.q, plan.percentile)
    result = dsrs_radius_from_intervals(
        p_noise, q_noise, Intervals(p_lower, 1.0, q_lower, 1.0), config.search, start
    )
    return max(result.radius, start)


def _dsrs_warnings(
    config: CertificationConfig,
    dimension: int,
    equal_budget_max: float | None,
    dsrs_max: float | None,
    dsrs_p_lower: float,
) -> list[str]:
    warnings = []
    sigma, q_sigma = config.p.sigma, None if config.q is None else config.q.sigma
    if q_sigma is not None and q_sigma >= sigma:
        warnings.append(
            f"σ_Q = {q_sigma:g} ≥ σ = {sigma:g}: a Q at least as wide as P cannot "
            "certify beyond the Neyman-Pearson radius, and its draws double the cost "
            f"(the paper uses σ_Q = 0.8 σ = {0.8 * sigma:g})"
        )
    if config.p.k == 0 and dimension >= GAUSSIAN_DSRS_DIMENSION:
        warnings.append(
            f"DSRS brings little or nothing over NP with a Gaussian P in dimension "
            f"d = {dimension} >= {GAUSSIAN_DSRS_DIMENSION}: use family general-gaussian "
            "with k close to d/2 (the DSRS paper uses k = 380 for d = 784)"
        )
    if dsrs_p_lower > 0.5 and dsrs_p_lower < NEAR_ONE_P_LOWER:
        warnings.append(
            f"with N = {config.n} the best P lower bound is only {dsrs_p_lower:.4f}: DSRS "
            f"gains need pA close to 1 (pL >= {NEAR_ONE_P_LOWER}); increase N"
        )
    if (
        dsrs_max is not None
        and equal_budget_max is not None
        and dsrs_max <= equal_budget_max + RADIUS_GAIN_TOLERANCE
    ):
        warnings.append(
            f"DSRS cannot beat NP at this budget: its best-case radius {dsrs_max:.4f} "
            f"(every draw under P and under Q agrees, alpha split) is not above the "
            f"equal-budget NP radius {equal_budget_max:.4f} (2N draws under P, all of "
            "alpha); DSRS can still raise the radius of inputs whose Q agreement is higher "
            "than NP's worst case implies"
        )
    if config.q is not None and config.q.threshold == "x+":
        warnings.append(
            "with Q threshold x+, inputs on which every P draw agrees fall back to a second "
            "P run certified by NP (docs/math.md §1.4)"
        )
    return warnings


#: Agreement probabilities at which :func:`sequential_saving` predicts the cost.
SAVING_AGREEMENTS = (0.5, 0.9, 0.97, 0.99, 0.999, 1.0)


@dataclass(frozen=True)
class SequentialSaving:
    """Predicted cost of one input under sequential sampling in target-radius form.

    ``p_agreement`` is the input's probability that a draw agrees with the label (assumed
    the same under Q); ``forward_passes`` the P and Q draws it uses on the typical path;
    ``budget`` what fixed N spends (``n`` or ``2n``); ``certified`` whether it ends
    certified at the target radius.
    """

    p_agreement: float
    forward_passes: int
    budget: int
    certified: bool

    @property
    def fraction(self) -> float:
        return self.forward_passes / self.budget


def sequential_saving(
    config: CertificationConfig,
    dimension: int,
    target_radius: float,
    agreements: tuple[float, ...] = SAVING_AGREEMENTS,
    cpu_budget_s: float | None = None,
) -> list[SequentialSaving]:
    """What target-radius sequential sampling spends on inputs of each agreement rate.

    Each input follows its *typical path* — at every look the count is the agreement rate
    times the draws, rounded — through the same stopping rules a job uses
    (:func:`dsrs_core.sampling.early_stopping.draw_counts_sequential`, docs/sequential.md). A job's
    saving is the mean over its inputs' rates: inputs far above or below the target stop
    at the first looks, inputs near it use most of the budget. The looks are those of
    ``config.sequential`` when it is set, else the defaults.

    With ``cpu_budget_s`` it raises :class:`~dsrs_core.numerics.root_finding.DeadlineExceeded`
    at the first look that begins after that much CPU time of the calling thread (a look's
    certificate checks run to their end: the overrun is at most one look).
    """
    import time
    from dataclasses import replace

    from dsrs_core.config import SequentialSpec
    from dsrs_core.counts_to_certificate import certificate_from_counts
    from dsrs_core.sampling.early_stopping import draw_counts_sequential

    base = config.sequential or SequentialSpec(target_radii=(target_radius,))
    spec = replace(base, target_radii=(target_radius,), tolerance=None)
    planned = replace(config, sequential=spec)
    budget = config.n * (2 if config.q is not None else 1)
    out = []
    deadline = None if cpu_budget_s is None else time.thread_time() + cpu_budget_s
    for rate in agreements:

        def typical(requests, rate=rate):  # type: ignore[no-untyped-def]
            check_deadline(deadline)
            return [round(rate * r.draws) for r in requests]

        (counts,) = draw_counts_sequential(typical, planned, dimension, [0])
        certificate = certificate_from_counts(counts, planned, dimension)
        radius = certificate.dsrs_radius if config.q is not None else certificate.np_radius
        out.append(
            SequentialSaving(
                rate,
                counts.p_n + (counts.q_n or 0),
                budget,
                bool(certificate.prediction is not None and (radius or 0.0) >= target_radius),
            )
        )
    return out
