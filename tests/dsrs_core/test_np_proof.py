"""Proof mode for NP radii (dsrs_core/radius/np_proof.py, docs/math.md §7.5): the arb enclosure
of the NP dual bound proves the verified radius or a slightly smaller one, and a wrong
multiplier cannot be proven."""

from __future__ import annotations

from math import exp, log

import pytest

from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.np_proof import PROOF_DIMENSION_LIMIT, enclose_np_dual, prove_np_radius

pytest.importorskip("flint")


@pytest.mark.parametrize(("d", "k", "p_lower"), [(64, 20, 0.9), (784, 380, 0.99)])
def test_verified_np_radius_is_proven_within_a_backoff(d, k, p_lower):
    noise = make_noise("general-gaussian", d, 1.0, k)
    verified = np_radius(noise, p_lower)
    proof = prove_np_radius(noise, p_lower, verified.radius, verified.kappa)
    assert proof.status in ("proven", "fell back"), proof
    assert 0.5 < proof.lower <= proof.upper < 0.5 + 1e-4
    assert verified.radius * (1 - 1e-3) <= proof.radius <= verified.radius


def test_perturbed_multiplier_fails_the_proof():
    # A multiplier 5 % off the NP optimum: the dual bound at the verified radius is about
    # 2e-4 below 1/2, and the enclosure (width ~1e-6) shows it. With back-offs up to 1e-4
    # (the dual gains ~1e-4 there) nothing is proven; the correct multiplier proves the
    # radius backed off by 1e-5.
    noise = make_noise("general-gaussian", 784, 1.0, 380)
    verified = np_radius(noise, 0.99)
    wrong = verified.kappa - log(1.05)
    lower, upper, _ = enclose_np_dual(noise, verified.radius, exp(-wrong), 0.99)
    assert lower <= upper < 0.5 - 1e-4
    backoffs = (1e-6, 1e-5, 1e-4)
    proof = prove_np_radius(noise, 0.99, verified.radius, wrong, backoffs=backoffs)
    assert proof.status == "not proven" and proof.upper < 0.5, proof
    right = prove_np_radius(noise, 0.99, verified.radius, verified.kappa, backoffs=backoffs)
    assert right.status == "fell back" and right.lower > 0.5, right


def test_above_the_dimension_limit_nothing_is_claimed():
    noise = make_noise(
        "general-gaussian", 2 * PROOF_DIMENSION_LIMIT, 1.0, PROOF_DIMENSION_LIMIT - 6
    )
    proof = prove_np_radius(noise, 0.9, 1.0, 0.0)
    assert proof.status == "not covered" and "d <=" in proof.reason
