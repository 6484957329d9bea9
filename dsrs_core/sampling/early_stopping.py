"""Sequential sampling with sound early stopping (docs/sequential.md).

Each input's P run (and, for DSRS, its Q run) draws in growing batches up to the looks of a
:class:`dsrs_core.sampling.looks.LookSchedule`; after each look the run's Clopper–Pearson interval
at that look's share of alpha is recomputed and a stopping rule decides whether to go on:

* target-radius form (``SequentialSpec.target_radii``): stop once the input is certified at
  every target radius, or once no target it has not reached can be reached even if every
  remaining draw agreed (DSRS's P run with Q fixed in advance: nor by DSRS from the run's
  plausible future with the best Q run, :func:`_best_q_judge`);
* radius form (``SequentialSpec.tolerance``): stop once the remaining draws, agreeing at
  a plausible optimistic rate (:func:`plausible_rate`), would not certify the next level
  above the level certified now (levels: "certified at all", the multiples of
  ``tolerance``, the radii of ``SequentialSpec.levels``).

For DSRS in radius form with a Q fixed in advance (by sigma, or a fixed percentile) the P
and Q runs draw in lockstep and the rule judges both intervals together
(:func:`joint_stop_reason`): judging the P run by the NP radius alone stopped inputs whose
DSRS radius would still have grown. The Q run may stop first when more Q draws could not
lift DSRS above NP (:func:`q_alone_reason`); the P run then goes on alone.

Soundness does not depend on the rules (docs/sequential.md §3): the schedule makes the
interval at any data-chosen look valid, and a rule only decides when to stop — an early
stop can only make a radius smaller. The rules only spend the radius engine
(:mod:`dsrs_core.counts_to_certificate`), so "reachable" means "what the engine would certify";
its checks are answered once per job where a proven inequality decides
(:mod:`dsrs_core.sampling.check_cache`).

The driver :func:`draw_counts_sequential` knows nothing about models or torch: it asks a
callback for "``k`` more draws of input ``i`` from P (or from the planned second run),
how many agreed?", so it plugs into any sampler and is testable with a binomial stub.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from math import floor, sqrt

from dsrs_core.config import CertificationConfig, QSpec, SequentialSpec
from dsrs_core.errors import InvalidParameterError, StoppedRunError
from dsrs_core.noise.families import RadialNoise, ThresholdedNoise
from dsrs_core.radius.dual_bound import Intervals
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.radius.threshold_region import ThresholdPair
from dsrs_core.results import SampleCounts
from dsrs_core.sampling.check_cache import CheckCache, NPThresholds
from dsrs_core.sampling.draw_plan import QPlan, build_p_noise, build_q_noise, plan_q_draws
from dsrs_core.sampling.looks import LookSchedule, run_schedules

__all__ = [
    "BUDGET_USED",
    "DISAGREEMENT_LIMIT",
    "GROWTH_STEP",
    "PLAUSIBLE_Z",
    "Draw",
    "DrawRequest",
    "Judge",
    "SequentialRun",
    "draw_counts_sequential",
    "joint_stop_reason",
    "plausible_rate",
    "q_alone_reason",
    "stop_reason",
]

#: Stop reason of a run that reached its last look.
BUDGET_USED = "budget used"

Box = tuple[float, float]


@dataclass(frozen=True)
class DrawRequest:
    """``draws`` more draws of input ``index``: from P (``plan`` None) or from the second
    run as planned (Q, or P again on the ``x+`` fall-back)."""

    index: int
    plan: QPlan | None
    draws: int


#: Draw callback: one agreeing count per request, in order.
Draw = Callable[[Sequence[DrawRequest]], Sequence[int]]


class SequentialRun:
    """One binomial run drawn look by look; once stopped it never takes draws again.

    Parameters
    ----------
    schedule : LookSchedule
    should_stop : callable
        ``run -> reason or None``, asked after every look but the last.
    """

    def __init__(
        self, schedule: LookSchedule, should_stop: Callable[[SequentialRun], str | None]
    ) -> None:
        self.schedule = schedule
        self._should_stop = should_stop
        self.count = 0
        self.n = 0
        self.look = -1
        self.stop_reason: str | None = None
        #: Radius form: the level certified at the last look (the next walk starts there).
        self.level = 0.0

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    @property
    def needed(self) -> int:
        """Draws that take the run to its next look (0 once stopped)."""
        return 0 if self.stopped else self.schedule.sizes[self.look + 1] - self.n

    @property
    def interval(self) -> Box:
        """Clopper–Pearson interval at the current look's level."""
        if self.look < 0:
            raise InvalidParameterError("the run has not reached its first look")
        return self.schedule.interval(self.look, self.count)

    def reachable(self, rate: float = 1.0) -> Box | None:
        """See :meth:`LookSchedule.reachable`."""
        return self.schedule.reachable(self.look, self.count, rate)

    def halt(self, reason: str) -> None:
        """Stop the run from outside (the joint rule of runs drawn in lockstep)."""
        if self.stopped:
            raise StoppedRunError(f"the run stopped at look {self.look} ({self.stop_reason})")
        self.stop_reason = reason

    def record(self, agreeing: int, drawn: int) -> None:
        """Add the draws of one look, then decide whether the run stops."""
        if self.stopped:
            raise StoppedRunError(f"the run stopped at look {self.look} ({self.stop_reason})")
        if drawn != self.needed:
            raise InvalidParameterError(f"the next look needs {self.needed} draws, got {drawn}")
        if not 0 <= agreeing <= drawn:
            raise InvalidParameterError(f"agreeing must lie in [0, {drawn}], got {agreeing}")
        self.count += agreeing
        self.n += drawn
        self.look += 1
        if self.look == self.schedule.last:
            self.stop_reason = BUDGET_USED
        else:
            self.stop_reason = self._should_stop(self)


class Judge:
    """What the radius engine certifies from one run's interval ``box``, with the other run
    fixed (NP for the P run, DSRS for the Q run, whose P interval is fixed).

    * ``certifies(box, r)``: the engine's check at ``r`` (results cached per box and radius);
    * ``positive(box)``: certified at all (``pL > 1/2``: no abstention);
    * ``known(box)``: a radius certified without a check (the NP radius; 0 if none), where
      the radius form's walk over its levels starts.
    """

    def __init__(
        self,
        certifies_at: Callable[[Box, float], bool],
        positive: Callable[[Box], bool],
        known: Callable[[Box], float],
    ) -> None:
        self.certifies = lru_cache(maxsize=None)(certifies_at)
        self.positive = positive
        self.known = known


#: Radius form: a radius within this (relative to the tolerance) of a multiple of the
#: tolerance counts as on it (grid radii are computed as ``j · unit`` in floating point).
GROWTH_STEP = 1e-9


#: Radius form: the remaining draws are taken to agree at the observed rate plus this many
#: standard errors (docs/sequential.md §4).
PLAUSIBLE_Z = 1.5


def plausible_rate(run: SequentialRun) -> float:
    """``p̂ + z·√(p̂(1 − p̂)/n)`` (``z`` = :data:`PLAUSIBLE_Z`), at most the run's upper
    confidence bound: the agreement rate the radius form assumes for the remaining draws of
    ``run`` (docs/sequential.md §4)."""
    rate = run.count / run.n
    return min(run.interval[1], rate + PLAUSIBLE_Z * sqrt(rate * (1.0 - rate) / run.n))


def next_multiple(radius: float, tolerance: float) -> float:
    """The smallest multiple of ``tolerance`` above ``radius`` (a radius within
    :data:`GROWTH_STEP` of a multiple counts as on it)."""
    return (floor(radius / tolerance + GROWTH_STEP) + 1) * tolerance


def next_level(radius: float, spec: SequentialSpec) -> float:
    """The radius form's smallest level above ``radius``: the next multiple of the
    tolerance, or a radius of ``spec.levels`` between (docs/sequential.md §4)."""
    assert spec.tolerance is not None
    step = GROWTH_STEP * spec.tolerance
    return min(
        [next_multiple(radius, spec.tolerance)] + [r for r in spec.levels if r > radius + step]
    )


def previous_level(radius: float, spec: SequentialSpec) -> float:
    """The radius form's largest level below ``radius`` (0 when there is none)."""
    assert spec.tolerance is not None
    step = GROWTH_STEP * spec.tolerance
    below = (floor(radius / spec.tolerance - GROWTH_STEP) if radius > step else 0) * spec.tolerance
    return max([max(below, 0.0)] + [r for r in spec.levels if r < radius - step])


#: Radius form: the most levels one walk visits (a walk this long ends, and its level stays
#: where it got: the rule then stops sooner, never wrongly).
MAX_LEVEL_STEPS = 1000


def certified_level(judge: Judge, box: Box, spec: SequentialSpec, hint: float = 0.0) -> float:
    """The largest level of the radius form (multiple of the tolerance or a radius of
    ``spec.levels``; 0 when none) that ``judge`` certifies from ``box``.

    The walk starts at ``hint`` (the run's level at its last look; without one, at the
    level below ``judge.known(box)``, the NP radius) and goes down while its level is not
    certified, then up while the next one is (a radius search and its certifying
    quadrature are not needed). Like the radius searches it assumes certification is
    monotone in the radius. It only decides when to stop (docs/sequential.md §3): the
    reported radius is computed from the final counts."""
    known = 0.0 if hint > 0.0 else judge.known(box)
    level = max(hint, previous_level(next_level(known, spec), spec))
    for _ in range(MAX_LEVEL_STEPS):
        if level <= known or judge.certifies(box, level):
            break
        level = previous_level(level, spec)
    for _ in range(MAX_LEVEL_STEPS):
        above = next_level(level, spec)
        if not (above <= known or judge.certifies(box, above)):
            break
        level = above
    return level


def radius_form_reason(
    spec: SequentialSpec, now: Judge, now_box: Box, reach: Judge, reach_box: Box, hint: float
) -> tuple[str | None, float]:
    """The radius form's rule: go on (None) unless the plausible future (``reach`` of
    ``reach_box``) would not certify the next level above the level certified now; the
    first level is "certified at all" (``pL > 1/2``), so an input certified by fixed N at a
    radius below the tolerance is not stopped uncertified (issue 25). Also returns the
    level certified now (the next look's ``hint``)."""
    if not now.positive(now_box):
        if reach.positive(reach_box):
            return None, hint
        return "would not be certified at any radius", hint
    if hint > 0.0:
        # Mostly two checks: with the last look's level L and the next level G above it,
        # (a) the future does not certify G but now certifies L: the level now is at least
        # L, so the next level above it is at least G and out of reach too — stop; (b) the
        # future certifies G and now does not: the level now is at most L, so the next
        # level above it is at most G and within reach — go on. Otherwise walk.
        above = next_level(hint, spec)
        if not reach.certifies(reach_box, above):
            if now.certifies(now_box, hint):
                return f"radius would not reach {above:g} (tolerance {spec.tolerance:g})", hint
        elif not now.certifies(now_box, above):
            return None, hint
    level = certified_level(now, now_box, spec, hint)
    grown = next_level(level, spec)
    if reach.certifies(reach_box, grown):
        return None, level
    return f"radius would not reach {grown:g} (tolerance {spec.tolerance:g})", level


def stop_reason(
    spec: SequentialSpec, judge: Judge, run: SequentialRun, reach_judge: Judge | None = None
) -> str | None:
    """The stopping rules of the module docstring (None: go on).

    ``judge`` says what the run's current interval certifies, and what a later look could.

    * Target form: "cannot reach R" assumes every remaining draw agrees (for NP a proof).
      With ``reach_judge`` (the P run of DSRS, Q fixed in advance: :func:`_best_q_judge`)
      the run also goes on while that judge certifies ``R`` from the run's plausible future
      (:func:`plausible_rate`) — what DSRS could reach, not NP alone (issue 25).
    * Radius form: the remaining draws agree at :func:`plausible_rate` (a plausible
      optimistic future, not every draw); stop unless that would certify the next level
      above the level certified now (:func:`radius_form_reason`) — so the radius stays
      in its cell of the levels (multiples of ``tolerance``, ``spec.levels``, and
      "certified at all" first).
    """
    now = run.interval
    if spec.target_radii:
        reach = run.reachable(1.0)
        for target in sorted(spec.target_radii):
            if judge.certifies(now, target):
                continue
            if reach is None or judge.certifies(reach, target):
                return None
            if reach_judge is not None:
                plausible = run.reachable(plausible_rate(run))
                if plausible is not None and reach_judge.certifies(plausible, target):
                    return None
        return "every target radius decided"
    assert spec.tolerance is not None
    reach = run.reachable(plausible_rate(run))
    if reach is None:
        return None
    reason, run.level = radius_form_reason(spec, judge, now, judge, reach, run.level)
    return reason


# ------------------------------------------------------------------------------- judges


class _NPRadii:
    """NP radii of P lower bounds, solved once each and bracketed: the NP radius increases
    with ``pL``, so a radius ``r`` at most that of a smaller ``pL`` already solved is
    certified, and one above that of a larger ``pL`` is not, without a solve. Most looks of
    most inputs fall between two solved bounds whose radii lie on the same side of the
    level asked about. (Only stopping decisions use this; reported radii are solved from
    the final counts.)"""

    def __init__(self, p: RadialNoise) -> None:
        self.p = p
        self.lowers: list[float] = []
        self.radii: list[float] = []

    def radius(self, p_lower: float) -> float:
        if not p_lower > 0.5:
            return 0.0
        at = bisect_left(self.lowers, p_lower)
        if at < len(self.lowers) and self.lowers[at] == p_lower:
            return self.radii[at]
        radius = np_radius(self.p, p_lower).radius
        self.lowers.insert(at, p_lower)
        self.radii.insert(at, radius)
        return radius

    def certifies(self, p_lower: float, r: float) -> bool:
        at = bisect_left(self.lowers, p_lower)
        if 0 < at < len(self.lowers) and self.lowers[at] != p_lower:
            if self.radii[at - 1] >= r:
                return True
            if self.radii[at] < r:
                return False
        return self.radius(p_lower) >= r


def _np_judge(p: RadialNoise, spec: SequentialSpec | None) -> Judge:
    """NP judge of P boxes: the NP check at a level by :class:`NPThresholds` (one
    comparison), else by the NP radius (:class:`_NPRadii`); ``known`` is the largest level
    of the radius form certified that way (the NP radius outside the radius form)."""
    radii = _NPRadii(p)
    thresholds = NPThresholds(p)

    def certifies(box: Box, r: float) -> bool:
        if not box[0] > 0.5:
            return False
        decided = thresholds.certifies(box[0], r)
        return radii.certifies(box[0], r) if decided is None else decided

    def known(box: Box) -> float:
        if spec is None or spec.tolerance is None:
            return radii.radius(box[0])
        level = 0.0
        for _ in range(MAX_LEVEL_STEPS):
            above = next_level(level, spec)
            if not certifies(box, above):
                break
            level = above
        return level

    return Judge(certifies, lambda box: box[0] > 0.5, known)


class _Checks:
    """The job's DSRS checks: one :class:`CheckCache` per Q the job plans (one for Q by
    sigma or a fixed percentile; one per percentile for ``x`` / ``x+``), shared by every
    input and look. None for the ``x+`` fall-back (a second P run, judged by NP)."""

    def __init__(self, config: CertificationConfig, p: RadialNoise) -> None:
        self.config = config
        self.p = p
        self._caches: dict[float | None, CheckCache] = {}

    def cache(self, plan: QPlan) -> CheckCache | None:
        if plan.fallback:
            return None
        if plan.percentile not in self._caches:
            assert self.config.q is not None
            q = build_q_noise(self.p, self.config.q, plan.percentile)
            pair = (
                ThresholdPair(self.p, q)
                if isinstance(q, ThresholdedNoise)
                else SigmaPair(self.p, q)
            )
            self._caches[plan.percentile] = CheckCache(pair, self.config.search.mode)
        return self._caches[plan.percentile]


def _dsrs_judge(np_judge: Judge, p_box: Box, checks: CheckCache | None) -> Judge:
    """DSRS judge of a Q run: its box with the P interval ``p_box`` of the P run's stop
    (``checks`` None: the ``x+`` fall-back's second P run)."""

    def certifies_at(q_box: Box, r: float) -> bool:
        if np_judge.certifies(p_box, r):
            return True
        if checks is None:  # x+ fall-back: a second P run, certified by NP
            return np_judge.certifies((max(p_box[0], q_box[0]), 1.0), r)
        if not p_box[0] > 0.5:
            return False
        return checks.certifies(r, Intervals(p_box[0], p_box[1], q_box[0], q_box[1]))

    def known(q_box: Box) -> float:
        start = np_judge.known(p_box)
        if checks is None:
            return max(start, np_judge.known((max(p_box[0], q_box[0]), 1.0)))
        return start

    positive = p_box[0] > 0.5
    return Judge(certifies_at, lambda q_box: positive or (checks is None and q_box[0] > 0.5), known)


def _best_q_judge(np_judge: Judge, checks: CheckCache, q_best: Box) -> Judge:
    """Target form, P run, Q fixed in advance: what DSRS could certify from a P box if the
    Q run went as well as it can (``q_best``: every Q draw agreeing, the best lower bound
    over its looks). The P run's futility is judged by this too, not by NP alone: where
    DSRS gains much over NP (LeNet, σ 0.5, ``pA`` ≈ 0.998) the NP futility stopped P runs
    whose DSRS radius would have reached the target (docs/sequential.md §4, issue 25)."""

    def certifies_at(p_box: Box, r: float) -> bool:
        if np_judge.certifies(p_box, r):
            return True
        if not p_box[0] > 0.5:
            return False
        return checks.certifies(r, Intervals(p_box[0], p_box[1], q_best[0], q_best[1]))

    return Judge(certifies_at, lambda box: box[0] > 0.5, np_judge.known)


def _best_box(schedule: LookSchedule) -> Box:
    """The most favourable interval any look of a run could give (every draw agreeing)."""
    return max(schedule.interval(m, size)[0] for m, size in enumerate(schedule.sizes)), 1.0


def _plausible_box(run: SequentialRun) -> Box:
    """What the run could plausibly reach (:func:`plausible_rate`); its current interval
    once it has stopped or is at its last look."""
    reach = None if run.stopped else run.reachable(plausible_rate(run))
    return run.interval if reach is None else reach


#: Q run alone (lockstep radius form): after ``n`` draws that all agreed, the P run's future
#: is also judged at the agreement rate ``1 − DISAGREEMENT_LIMIT/n`` — the 99 % upper limit
#: on a disagreement rate after ``n`` agreeing draws (``−ln 0.01 ≈ 4.6``; the "rule of
#: three" at 95 %, tried first, lost one more input of 500 on the demo: docs/sequential.md §4).
DISAGREEMENT_LIMIT = 4.6


def q_alone_reason(
    spec: SequentialSpec,
    judge_at: Callable[[Box], Judge],
    np_judge: Judge,
    p_run: SequentialRun,
    q_run: SequentialRun,
) -> str | None:
    """Radius form in lockstep: the Q run stops before the P run when every draw of both
    runs has agreed so far and, for P's future at its plausible rate and at the rate
    ``1 − DISAGREEMENT_LIMIT/n``, even every remaining Q draw agreeing would not lift the
    DSRS radius to the next level above the NP radius. Then more Q
    draws cannot change the result (the NP set already satisfies the Q interval, so DSRS
    equals NP: the LeNet benchmark's inputs with pA ≈ 1), and the P run goes on alone."""
    assert spec.tolerance is not None
    if p_run.count != p_run.n or q_run.count != q_run.n:
        return None
    q_best = q_run.reachable(1.0)
    if q_best is None:
        return None
    low = p_run.reachable(1.0 - DISAGREEMENT_LIMIT / p_run.n) or p_run.interval
    for p_box in (low, _plausible_box(p_run)):
        above = next_level(np_judge.known(p_box), spec)
        if judge_at(p_box).certifies(q_best, above):
            return None
    return f"more Q draws would not lift the radius above NP's (tolerance {spec.tolerance:g})"


def joint_stop_reason(
    spec: SequentialSpec,
    judge_at: Callable[[Box], Judge],
    p_run: SequentialRun,
    q_run: SequentialRun,
) -> str | None:
    """The radius-form rule of :func:`stop_reason` for a P run and a Q run drawn in lockstep
    (both at the same look; ``judge_at(p_box)`` is the DSRS judge of Q boxes with that P
    interval): both stop unless the runs going on together — each agreeing at its
    :func:`plausible_rate` — would certify the next level above the level of the two
    current intervals (:func:`radius_form_reason`; a Q run that stopped alone keeps its
    interval).
    Letting either run stop alone whenever only the other's draws could move the radius
    saved passes but lost up to 6 points of certified accuracy on the demo; the Q run now
    stops alone only on :func:`q_alone_reason` (docs/sequential.md §4)."""
    assert spec.tolerance is not None
    p_now, p_reach = p_run.interval, _plausible_box(p_run)
    reason, p_run.level = radius_form_reason(
        spec, judge_at(p_now), q_run.interval, judge_at(p_reach), _plausible_box(q_run), p_run.level
    )
    return reason


# ------------------------------------------------------------------------------- driver

#: One run of one input: its index, its plan (None: the P run) and its state.
Entry = tuple[int, QPlan | None, SequentialRun]


def _drive(entries: Sequence[Entry], draw: Draw) -> None:
    """Draw look by look for every run still going; stopped runs are never asked again.
    Runs record their looks in the order of ``entries`` (a P run before the Q run drawn in
    lockstep with it, whose rule then sees both at the same look)."""
    while True:
        active = [(i, plan, run) for i, plan, run in entries if not run.stopped]
        if not active:
            return
        requests = [DrawRequest(i, plan, run.needed) for i, plan, run in active]
        agreeing = list(draw(requests))
        if len(agreeing) != len(requests):
            raise InvalidParameterError(
                f"the draw callback answered {len(agreeing)} counts for {len(requests)} requests"
            )
        for (_, _, run), request, count in zip(active, requests, agreeing, strict=True):
            if not run.stopped:  # a lockstep partner may have halted it in this round
                run.record(int(count), request.draws)


def _lockstep(q: QSpec | None, spec: SequentialSpec | None) -> bool:
    """Whether the P and Q runs draw in lockstep: DSRS in radius form whose Q does not
    depend on the P interval (Q by sigma, or a fixed percentile; ``x`` / ``x+`` choose Q
    from it). The target form keeps P then Q: it matched fixed N at the target with
    23.5 % of the passes on the demo, against 32.3 % in lockstep (docs/sequential.md §6)."""
    return (
        spec is not None
        and spec.tolerance is not None
        and q is not None
        and not isinstance(q.threshold, str)
    )


def draw_counts_sequential(
    draw: Draw,
    config: CertificationConfig,
    dimension: int,
    labels: Sequence[int],
    *,
    seed: int | None = None,
) -> list[SampleCounts]:
    """Sequential counts of several inputs (evaluate mode, or labels already selected).

    Parameters
    ----------
    draw : callable
        ``requests -> agreeing counts``: for each :class:`DrawRequest`, draw that many new
        noisy copies of input ``index`` from P (``plan`` None) or from the planned second
        run, and count agreement with ``labels[index]``.
    config : CertificationConfig
        ``n`` is each run's budget. Without ``sequential`` every run makes its ``n`` draws
        in one look (fixed N; the looks are then not recorded).
    dimension : int
        Input dimension ``d``.
    labels : sequence of int
        The class counted for each input.
    seed : int, optional
        Recorded in the counts.

    Returns
    -------
    list of SampleCounts
        ``p_n`` / ``q_n`` the draws used, ``p_look`` / ``q_look`` the stopping looks.
        DSRS in radius form, Q by sigma or a fixed percentile: the P and Q runs draw in
        lockstep and stop together (:func:`joint_stop_reason`), or the Q run first
        (:func:`q_alone_reason`). Otherwise (target form, or
        Q ``x`` / ``x+``) the Q run is planned from the P interval at the P run's stopping look
        (:func:`dsrs_core.sampling.draw_plan.plan_q_draws`) and skipped (``q_n = 0``) when the
        P run alone certifies every target radius or the P lower bound is at most 1/2.
    """
    spec = config.sequential
    p = build_p_noise(config.p, dimension)
    p_schedule, q_schedule = run_schedules(config)
    np_judge = _np_judge(p, spec)
    checks = _Checks(config, p)
    q_runs: dict[int, SequentialRun] = {}
    plans: dict[int, QPlan | None] = {}

    if _lockstep(config.q, spec):
        assert spec is not None and q_schedule is not None and config.q is not None
        plan = plan_q_draws(config.q, 0.0, 0.0)  # does not depend on the P interval

        @cache
        def judge_at(p_box: Box) -> Judge:
            return _dsrs_judge(np_judge, p_box, checks.cache(plan))

        p_runs: dict[int, SequentialRun] = {}
        entries: list[Entry] = []
        for i in range(len(labels)):

            def p_should_stop_jointly(run: SequentialRun, i: int = i) -> str | None:
                # Once the Q run stopped alone, the P run goes on with the Q interval fixed.
                assert spec is not None
                q_run = q_runs[i]
                return joint_stop_reason(spec, judge_at, run, q_run) if q_run.stopped else None

            def q_should_stop_jointly(run: SequentialRun, i: int = i) -> str | None:
                assert spec is not None
                p_run = p_runs[i]
                reason = joint_stop_reason(spec, judge_at, p_run, run)
                if reason is not None:
                    p_run.halt(reason)
                    return reason
                return q_alone_reason(spec, judge_at, np_judge, p_run, run)

            p_runs[i] = SequentialRun(p_schedule, p_should_stop_jointly)
            q_runs[i], plans[i] = SequentialRun(q_schedule, q_should_stop_jointly), plan
            entries += [(i, None, p_runs[i]), (i, plan, q_runs[i])]
        _drive(entries, draw)
    else:
        reach_judge = None
        if spec is not None and spec.target_radii and config.q is not None:
            assert q_schedule is not None
            if not isinstance(config.q.threshold, str):  # Q does not depend on the P run
                fixed_q = checks.cache(plan_q_draws(config.q, 0.0, 0.0))
                assert fixed_q is not None
                reach_judge = _best_q_judge(np_judge, fixed_q, _best_box(q_schedule))

        def p_should_stop(run: SequentialRun) -> str | None:
            assert spec is not None  # a fixed-N schedule has one look: never asked
            return stop_reason(spec, np_judge, run, reach_judge)

        p_runs = {i: SequentialRun(p_schedule, p_should_stop) for i in range(len(labels))}
        _drive([(i, None, run) for i, run in p_runs.items()], draw)
        if config.q is not None:
            assert q_schedule is not None
            for i, p_run in p_runs.items():
                p_box = p_run.interval
                plans[i] = planned = plan_q_draws(config.q, *p_box)
                # Sequential only: skip the Q run when it cannot change the outcome.
                skip = spec is not None and (
                    not p_box[0] > 0.5
                    or (
                        bool(spec.target_radii)
                        and all(np_judge.certifies(p_box, r) for r in spec.target_radii)
                    )
                )
                if skip:
                    continue
                judge = _dsrs_judge(np_judge, p_box, checks.cache(planned))

                def q_should_stop(run: SequentialRun, judge: Judge = judge) -> str | None:
                    assert spec is not None
                    return stop_reason(spec, judge, run)

                q_runs[i] = SequentialRun(q_schedule, q_should_stop)
            _drive([(i, plans[i], run) for i, run in q_runs.items()], draw)

    results = []
    for i, label in enumerate(labels):
        p_run, q_run = p_runs[i], q_runs.get(i)
        q_plan = plans.get(i)
        results.append(
            SampleCounts(
                label=int(label),
                p_count=p_run.count,
                p_n=p_run.n,
                q_count=None if config.q is None else (q_run.count if q_run else 0),
                q_n=None if config.q is None else (q_run.n if q_run else 0),
                q_percentile=None if q_plan is None or q_run is None else q_plan.percentile,
                q_fallback=bool(q_plan and q_run and q_plan.fallback),
                seed=seed,
                p_look=p_run.look if spec is not None else None,
                q_look=q_run.look if q_run and spec is not None else None,
            )
        )
    return results
