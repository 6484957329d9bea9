"""The two independent references check each other (docs/math.md §10).

``tests.references.cartesian_mpmath`` (Cartesian coordinates, closed-form inner
expectation, mpmath) and ``tests.references.polar_quadpack`` (polar coordinates, QUADPACK)
share no code with each other or with the engine. Where both apply (Gaussian P) they must
give the same dual value for every sign pattern of the multipliers and both kinds of Q, and
the Cartesian one must reproduce the Gaussian NP closed form.
"""

from __future__ import annotations

from math import exp

import pytest
from scipy.stats import norm

from tests.references.cartesian_mpmath import GaussianSetting, np_closed_form_value
from tests.references.cartesian_mpmath import dual_value as cartesian_dual
from tests.references.polar_quadpack import Setting
from tests.references.polar_quadpack import dual_value as polar_dual


@pytest.mark.parametrize("d", [2, 5, 784, 150528])
@pytest.mark.parametrize(("p_lower", "r"), [(0.6, 0.1), (0.9, 0.7), (0.999, 2.5)])
def test_cartesian_reference_reproduces_the_gaussian_np_closed_form(d, p_lower, r):
    # λ1 of the NP half-space {z₁ ≤ Φ⁻¹(pL)}: there the dual equals Φ(Φ⁻¹(pL) − r).
    u0 = float(norm.ppf(p_lower))
    lam1 = exp(r * u0 - r * r / 2)
    value, error = cartesian_dual(GaussianSetting(d, 1.0), r, lam1, 0.0, p_lower, 0.0)
    assert error < 1e-15
    assert value == pytest.approx(
        np_closed_form_value(GaussianSetting(d, 1.0), r, p_lower), abs=1e-13
    )


# (d, σ_Q or None, percentile or None, λ1, λ2, r): every sign pattern of (λ1, λ2), both Q
# kinds, σ_Q below and above σ, small and large d.
CASES = [
    (2, None, 0.5, 1.3, 0.4, 1.0),
    (4, 0.8, None, 1.1, 0.3, 0.9),
    (16, 0.8, None, 0.7, 0.6, 1.2),
    (784, None, 0.6, 0.9, 0.5, 0.6),
    (3072, 0.8, None, 1.4, -0.1, 0.5),
    (8, None, 0.3, 1.2, -0.5, 0.8),
    # Case v, σ_Q > σ: q/p grows away from P's bulk (the polar reference once cut the
    # radial range at P's quantiles and missed 7e-6 of λ2 Q(R) here).
    (64, 1.25, None, -0.2, 1.6, 0.8),
    (784, 1.25, None, -0.3, 2.0, 0.9),
    # σ_Q < σ in high dimension: Q's bulk lies outside P's (the polar reference once
    # returned 1.149 instead of 0.649 here).
    (150528, 0.8, None, 1.2, 0.5, 0.5),
    (784, 0.8, None, 1.0, 0.5, 0.7),
]


@pytest.mark.parametrize(("d", "sigma_q", "percentile", "lam1", "lam2", "r"), CASES)
def test_cartesian_and_polar_references_agree(d, sigma_q, percentile, lam1, lam2, r):
    p_hat, q_hat = 0.9, 0.8
    cartesian, error = cartesian_dual(
        GaussianSetting(d, 1.0, sigma_q, percentile), r, lam1, lam2, p_hat, q_hat
    )
    polar = polar_dual(Setting(d, 0, 1.0, sigma_q, percentile), r, lam1, lam2, p_hat, q_hat)
    assert error < 1e-15
    assert cartesian == pytest.approx(polar, abs=5e-10)
