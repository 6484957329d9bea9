"""Bracketed scalar root finding that never returns an unchecked root.

:func:`monotone_root` is a safeguarded Newton iteration (bisection whenever the Newton step
leaves the bracket or does not shrink it fast enough). It returns the final bracket, so the
caller picks the end that errs on the safe side; a bracket whose ends do not straddle the
target raises :class:`~dsrs_core.errors.BracketError`.

A *deadline* is a value of :func:`time.thread_time` (CPU time of the calling thread) after
which a solver gives up: :func:`check_deadline` raises :class:`DeadlineExceeded`, which is
not a :class:`~dsrs_core.errors.NumericalError` (no radius search takes it for "not
certified"); the caller that set the deadline catches it and reports nothing for that part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from math import isfinite

from dsrs_core.errors import BracketError, NumericalError

__all__ = ["WALK_OVERSHOOT", "DeadlineExceeded", "RootBracket", "check_deadline", "monotone_root"]

#: Factor on the first Newton step while looking for a bracket (> 1 so that the step
#: usually crosses the root).
WALK_OVERSHOOT = 1.2


class DeadlineExceeded(Exception):
    """The calling thread's CPU time passed the deadline given to a solver: its work was
    abandoned, so nothing was certified or refused."""


def check_deadline(deadline: float | None) -> None:
    """Raise :class:`DeadlineExceeded` once :func:`time.thread_time` is past ``deadline``
    (None: no deadline)."""
    if deadline is not None and time.thread_time() > deadline:
        raise DeadlineExceeded(
            f"thread CPU deadline passed by {time.thread_time() - deadline:.3f} s"
        )


@dataclass(frozen=True)
class RootBracket:
    """``lo ≤ root ≤ hi`` for an increasing ``f - target`` (``f(lo) ≤ target ≤ f(hi)``)."""

    lo: float
    hi: float
    f_lo: float
    f_hi: float

    @property
    def mid(self) -> float:
        """Midpoint of the bracket."""
        return 0.5 * (self.lo + self.hi)


def monotone_root(
    fun: Callable[[float], tuple[float, float]],
    target: float,
    x0: float,
    lo: float,
    hi: float,
    *,
    increasing: bool,
    xtol: float = 1e-12,
    ftol: float = 1e-14,
    max_iter: int = 100,
    deadline: float | None = None,
) -> RootBracket:
    """Solve ``fun(x)[0] = target`` for a monotone function on ``[lo, hi]``.

    Parameters
    ----------
    fun : callable
        ``x -> (value, derivative)``; the derivative only guides Newton steps.
    target : float
    x0 : float
        Starting point (clipped into the bracket).
    lo, hi : float
        Search limits; the root must lie between them.
    increasing : bool
        Direction of monotonicity of ``fun``.
    xtol, ftol : float
        Stop when the bracket is narrower than ``xtol`` (relative to ``max(1, |x|)``) or
        the residual at the last iterate is below ``ftol``.
    deadline : float, optional
        :func:`time.thread_time` value after which the search stops (checked before every
        evaluation of ``fun``).

    Returns
    -------
    RootBracket
        Expressed for the increasing function ``±(fun − target)``: ``lo`` is on the side
        where ``fun`` is on the ``increasing`` side's low end. When the residual test
        stops the iteration the bracket is degenerate (``lo == hi`` = the iterate).

    Raises
    ------
    BracketError
        When ``[lo, hi]`` does not bracket the target.
    NumericalError
        When a value is not finite or the iteration does not converge.
    DeadlineExceeded
        When ``deadline`` passed.
    """
    sign = 1.0 if increasing else -1.0

    def g(x: float) -> tuple[float, float]:
        check_deadline(deadline)
        value, slope = fun(x)
        if not isfinite(value):
            raise NumericalError(f"non-finite value {value!r} at x={x!r}")
        return sign * (value - target), sign * slope

    # Bracket by walking from x0: lengthened Newton steps while they make progress, growing
    # steps otherwise; usually 2–3 evaluations instead of evaluating the far ends.
    limit_lo, limit_hi = lo, hi
    x = min(max(x0, limit_lo), limit_hi)
    gx, slope = g(x)
    if gx == 0.0:
        return RootBracket(x, x, gx, gx)
    step = 1.0
    if slope > 0.0 and isfinite(slope):
        # A slightly long Newton step: usually lands just past the root (a bracket whose
        # better end is already Newton-accurate).
        step = min(max(abs(gx / slope) * WALK_OVERSHOOT, 1e-9), 4.0)
    direction = -1.0 if gx > 0.0 else 1.0
    g_lo = g_hi = gx
    lo = hi = x
    slope_lo = slope_hi = slope
    while True:
        x_next = min(max(x + direction * step, limit_lo), limit_hi)
        g_next, slope_next = g(x_next)
        if abs(g_next) <= ftol:
            return RootBracket(x_next, x_next, g_next, g_next)
        if direction > 0.0:
            lo, g_lo, slope_lo, hi, g_hi, slope_hi = x, gx, slope, x_next, g_next, slope_next
        else:
            lo, g_lo, slope_lo, hi, g_hi, slope_hi = x_next, g_next, slope_next, x, gx, slope
        if g_lo <= 0.0 <= g_hi:
            break
        if x_next in (limit_lo, limit_hi):
            raise BracketError(f"target {target!r} not bracketed on [{limit_lo!r}, {limit_hi!r}]")
        improved = abs(g_next) < 0.5 * abs(gx)
        x, gx, slope = x_next, g_next, slope_next
        if improved and slope > 0.0 and isfinite(slope):
            step = min(max(abs(gx / slope) * WALK_OVERSHOOT, 1e-9), 4.0)  # Newton again
        else:
            step *= 3.0
    if g_lo == 0.0:
        return RootBracket(lo, lo, g_lo, g_lo)
    if g_hi == 0.0:
        return RootBracket(hi, hi, g_hi, g_hi)
    # Newton from the end with the smaller residual (secant if its slope is unusable).
    x, gx, slope = (lo, g_lo, slope_lo) if -g_lo < g_hi else (hi, g_hi, slope_hi)
    x = x - gx / slope if slope > 0.0 and isfinite(slope) else lo - g_lo * (hi - lo) / (g_hi - g_lo)
    x = min(max(x, lo), hi)
    dx_old = hi - lo
    for _ in range(max_iter):
        gx, slope = g(x)
        if abs(gx) <= ftol:
            return RootBracket(x, x, gx, gx)
        if gx < 0.0:
            lo, g_lo = x, gx
        else:
            hi, g_hi = x, gx
        if hi - lo <= xtol * max(1.0, abs(x)):
            return RootBracket(lo, hi, g_lo, g_hi)
        # Newton unless it leaves the bracket or the residual is not shrinking fast enough
        # (|2 g| > |dx_old · slope|); then bisect. Every iterate stays inside [lo, hi].
        newton_ok = slope > 0.0 and isfinite(slope) and abs(2.0 * gx) <= abs(dx_old * slope)
        x_new = x - gx / slope if newton_ok else 0.5 * (lo + hi)
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi)
        dx_old, x = abs(x_new - x), x_new
        if dx_old <= 0.1 * xtol * max(1.0, abs(x)):
            gx, _ = g(x)
            return RootBracket(x, x, gx, gx)
    raise NumericalError(f"root search did not converge within {max_iter} steps")
