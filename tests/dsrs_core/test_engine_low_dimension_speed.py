"""Issue 23 item 2 in low dimension (d = 2): the kinks of a sigma pair's integrands, the
quadrature near the sign change of Λ and the galloping grid search (docs/math.md §4.4,
§5, §7.3, §7.4). Each test fails on the engine before these changes."""

from __future__ import annotations

import numpy as np
import pytest

from dsrs_core.noise.families import make_noise, with_sigma
from dsrs_core.numerics.adaptive_quadrature import radial_expectation, radial_support
from dsrs_core.radius.dual_bound import (
    CheckOutcome,
    Intervals,
    _SigmaEngine,
    certified_dual_bound,
    dual_value,
    verify_nodes,
)
from dsrs_core.radius.region_masses import (
    ROOT_RELATIVE_TOLERANCE,
    SigmaPair,
    _Phi,
    bracketed_monotone_roots,
)
from dsrs_core.radius.search import galloping_grid_search, grid_search

# Multipliers the engine found on the benchmark's d = 2 certificates: case v with
# σ_Q = 0.8σ (λ1 < 0 < λ2) and case iv with σ_Q = 1.25σ (λ1 > 0 > λ2, Λ changes sign).
CASES = [
    (0.8, 1.1, (-4.932952315176555, 10.487419236595057)),
    (1.25, 2.85, (83.01434924567182, -6.26581444870104)),
]
IV = Intervals(0.9, 0.95, 0.9, 0.95)


def _pair(sigma_q: float, d: int = 2) -> SigmaPair:
    p = make_noise("gaussian", d, 1.0)
    return SigmaPair(p, with_sigma(p, sigma_q))


@pytest.mark.parametrize(("sigma_q", "r", "lam"), CASES)
def test_certifying_quadrature_starts_at_the_kinks(sigma_q, r, lam):
    # Before: no breaks for a sigma pair; 260–1400 pieces after 36–40 bisection levels (one
    # integrand call each, 0.2–0.6 s). Now a few hundred pieces at most, and the same value
    # as the quadrature without breaks within both error estimates.
    pair = _pair(sigma_q)
    certified_dual_bound.cache_clear()
    est = certified_dual_bound(pair, r, lam, IV)
    assert est.pieces < 200, est
    psi = pair.dual_integrand(r, *lam)
    plain = radial_expectation(pair.p.shape, psi, 1.0 + abs(lam[0]) + abs(lam[1]), 1e-10)
    offset = lam[0] * (IV.p_lower if lam[0] >= 0 else IV.p_upper)
    offset += lam[1] * (IV.q_lower if lam[1] >= 0 else IV.q_upper)
    assert abs(est.value - (plain.value + offset)) <= est.error + plain.error + 1e-13


@pytest.mark.parametrize(("sigma_q", "r", "lam"), CASES)
def test_kinks_lie_on_the_boundary_of_the_region(sigma_q, r, lam):
    # The axis points τ with ln g((τ − r)²) = φ(τ²): the P side holds τ² and (τ − r)²,
    # the Q side τ², in t units.
    pair = _pair(sigma_q)
    t_max = radial_support(pair.p.shape)[1] ** 2
    p_t, q_t = pair.kinks(r, lam[0], lam[1], t_max, fold=False)
    assert q_t.size >= 1
    assert p_t.size >= q_t.size  # τ² and (τ − r)² on the P side
    phi = _Phi(pair, *lam)

    def gap(tau: np.ndarray) -> np.ndarray:
        return pair.p.log_profile((tau - r) ** 2) - phi.phi(tau * tau)

    for t in q_t:
        # ln g((τ − r)²) − φ(τ²) changes sign across ±τ (which of the two: the side).
        tau = float(np.sqrt(pair.q.radius_sq(t)))
        near = np.array([1.0 - 1e-11, 1.0 + 1e-11])
        assert any(np.prod(np.sign(gap(side * tau * near))) < 0 for side in (1.0, -1.0)), t


@pytest.mark.parametrize(("sigma_q", "r", "lam"), CASES)
def test_search_rules_are_accurate_at_small_d(sigma_q, r, lam):
    # Before: the dense search rules did not split at the kinks and were 1e-4 to 2e-3 off,
    # so every search check that passed ran the certifying quadrature, and the corner's
    # Newton stalled on masses that were not smooth in λ.
    pair = _pair(sigma_q)
    engine = _SigmaEngine(pair)
    n = verify_nodes(2)
    truth = certified_dual_bound(pair, r, lam, IV).value
    for nodes in (n, 2 * n):
        value = dual_value(engine.masses(r, lam[0], lam[1], nodes), lam[0], lam[1], IV)
        assert abs(value - truth) < 1e-7, (nodes, value - truth)


def test_log_lambda_is_smooth_at_the_sign_change():
    # ln Λ(s) − ln(s0 − s) tends to a constant as s → s0. Before, the log ratio of the two
    # terms was a difference of two logs of size ~cp·s, and ln Λ was noisy by
    # ~1e-15/|s − s0|·s0 (1e-6 at a relative distance 1e-9), which kept the certifying
    # quadrature bisecting next to s0.
    pair = _pair(1.25)
    phi = _Phi(pair, *CASES[1][2])
    s0 = phi.domain()[1]
    steps = 10.0 ** -np.arange(6, 13)
    s = s0 * (1.0 - steps)
    rest = phi.log_lambda(s) - np.log(s0 - s)
    assert np.all(np.isfinite(rest))
    assert float(np.max(np.abs(np.diff(rest[2:])))) < 1e-4, rest


def _synthetic(bound_of_r, log: list[float]):
    def check(r: float, hint: CheckOutcome | None) -> CheckOutcome:
        log.append(r)
        bound = bound_of_r(r)
        return CheckOutcome(bound > 0.5, bound, "v", (1.0, 1.0), "" if bound > 0.5 else "no")

    return check


@pytest.mark.parametrize(
    "bound_of_r",
    [
        lambda r: 0.8 - 0.3 * r,  # linear
        lambda r: 0.75 - 0.1 * r * r,  # concave: the first jump overshoots
        lambda r: 0.5 + 0.3 * np.exp(-3.0 * r) - 0.01,  # convex, flat near the end
        lambda r: 0.49 - r,  # nothing passes
    ],
)
@pytest.mark.parametrize("start", [0.0, 0.3137])
def test_galloping_grid_search_finds_the_walks_radius_in_fewer_checks(bound_of_r, start):
    unit = 0.05
    walked: list[float] = []
    galloped: list[float] = []
    walk = grid_search(_synthetic(bound_of_r, walked), start, unit)
    gallop = galloping_grid_search(_synthetic(bound_of_r, galloped), start, unit)
    assert gallop.radius == pytest.approx(walk.radius, abs=1e-12)
    assert gallop.improved == walk.improved
    assert len(galloped) <= len(walked)
    assert all(bound_of_r(r) > 0.5 for r in gallop.certified)
    if walk.improved and len(walked) > 8:
        assert len(galloped) <= 0.6 * len(walked), (galloped, walked)


def test_galloping_grid_search_result_is_followed_by_a_failure():
    # A check that passes again above a failure: the result passes and the grid radius
    # above it fails (the coverage of smaller radii is the proof step's, §5.1).
    log: list[float] = []

    def bound(r: float) -> float:
        return 0.2 if abs(r - 0.5) < 1e-9 else 0.9 - 0.2 * r

    found = galloping_grid_search(_synthetic(bound, log), 0.0, 0.05)
    assert bound(found.radius) > 0.5
    assert bound(found.radius + 0.05) <= 0.5


@pytest.mark.parametrize(("sigma_q", "r", "lam"), CASES)
def test_boundary_roots_next_to_the_sign_change_take_few_steps(sigma_q, r, lam):
    # The roots of φ = ln g(v) over the search rule's nodes: next to the sign change s0 of
    # Λ, φ falls like ln|s − s0| and Newton in ln s took 23–27 rounds per solve (issue 23,
    # docs/math.md §7.3). In the variable ln|s − s0| it takes 14, to the same roots.
    pair = _pair(sigma_q)
    phi = _Phi(pair, *lam)
    d_lo, d_hi = phi.domain()
    edge = d_hi if np.isfinite(d_hi) else d_lo
    assert 0.0 < edge < np.inf
    v = pair.p.radius_sq(_SigmaEngine(pair).rule(verify_nodes(2)).nodes)
    calls = {"plain": 0, "edge": 0}

    def counted(key):
        def fun(s):
            calls[key] += 1
            return phi.phi(s)

        return fun

    levels = pair.p.log_profile(v)
    s_max = phi.maximiser(d_lo, d_hi)
    if edge == d_hi:  # decreasing piece (s_max, s0)
        lo, hi, decreasing = np.full(v.size, max(s_max, 1e-300)), np.full(v.size, edge), True
    else:  # increasing piece (s0, s_max)
        lo, hi, decreasing = np.full(v.size, edge), np.full(v.size, s_max), False
    inside = levels < phi.phi(np.array([max(s_max, 1e-300)]))[0]
    levels, lo, hi = levels[inside], lo[inside], hi[inside]
    plain = bracketed_monotone_roots(counted("plain"), phi.dphi, levels, lo, hi, decreasing)
    fast = bracketed_monotone_roots(counted("edge"), phi.dphi, levels, lo, hi, decreasing, edge)
    # The same roots, at least as accurate (relative error from the residual and slope).
    np.testing.assert_allclose(fast, plain, rtol=1e-12)
    error = np.abs((phi.phi(fast) - levels) / (phi.dphi(fast) * fast))
    assert np.all(error <= ROOT_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(np.log(fast))))
    assert np.min(np.abs(plain - edge)) < 1e-6 * edge  # some roots lie next to the edge
    assert calls["edge"] <= 16 and calls["edge"] + 5 < calls["plain"], calls
