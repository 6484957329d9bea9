"""Proof mode for NP radii (dsrs_core/radius/np_proof.py, docs/math.md §7.5): the arb enclosure
of the NP dual bound proves the verified radius or a slightly smaller one, and a wrong
multiplier cannot be proven."""

from __future__ import annotations

import math
import time
import typing
from math import exp, log

import pytest
from scipy.stats import norm

from dsrs_client.contract import CheckOutcome
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.evaluation.proof_check import PROOF_ROW_FIELDS, proof_row_fields, prove_certificate
from dsrs_core.noise.families import make_noise
from dsrs_core.radius import np_proof
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.np_proof import (
    PROOF_DIMENSION_LIMIT,
    PROOF_OUTCOMES,
    enclose_np_dual,
    prove_np_radius,
    prove_verified_np,
)
from dsrs_core.results import SampleCounts

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


def test_gaussian_radius_is_proven_by_the_closed_form_at_any_dimension():
    # V_NP(r) = Φ(Φ⁻¹(pL) − r/σ) enclosed in arb: the verified radius (1e-12 below the
    # closed form) is proven itself, even at ImageNet size.
    noise = make_noise("gaussian", 150528, 0.5, 0)
    verified = np_radius(noise, 0.99)
    proof = prove_np_radius(noise, 0.99, verified.radius, verified.kappa)
    assert proof.status == "proven" and proof.radius == verified.radius, proof
    assert 0.5 < proof.lower <= proof.upper < 0.5 + 1e-9


def test_gaussian_radius_above_the_truth_falls_back_below_it():
    # 1e-7 above σΦ⁻¹(pL): V_NP < 1/2 there, so only a backed-off radius can be proven.
    noise = make_noise("gaussian", 784, 0.5, 0)
    truth = 0.5 * float(norm.ppf(0.99))
    proof = prove_np_radius(noise, 0.99, truth * (1 + 1e-7), float("nan"))
    assert proof.status == "fell back" and proof.radius < truth and proof.lower > 0.5, proof


def test_a_passed_deadline_is_not_proven():
    noise = make_noise("general-gaussian", 784, 1.0, 380)
    verified = np_radius(noise, 0.99)
    proof = prove_np_radius(
        noise, 0.99, verified.radius, verified.kappa, deadline=time.thread_time() - 1.0
    )
    assert proof.status == "not proven" and "deadline" in proof.reason
    assert math.isnan(proof.radius)  # nothing proven


def test_without_python_flint_nothing_is_claimed(monkeypatch):
    monkeypatch.setattr(np_proof, "proof_available", lambda: False)
    noise = make_noise("general-gaussian", 64, 0.25, 20)
    verified = np_radius(noise, 0.9)
    proof = prove_np_radius(noise, 0.9, verified.radius, verified.kappa)
    assert proof.status == "not covered" and "dsrs[proof]" in proof.reason


def test_a_radius_the_solve_does_not_give_is_not_proven():
    noise = make_noise("general-gaussian", 64, 0.25, 20)
    verified = np_radius(noise, 0.9)
    proof = prove_verified_np(noise, 0.9, verified.radius * 1.01, 10.0)
    assert proof.status == "not proven" and "solved again" in proof.reason


def test_the_contract_names_the_engine_outcomes():
    assert typing.get_args(CheckOutcome) == PROOF_OUTCOMES


def test_a_certificate_with_dsrs_says_the_dsrs_radius_stays_verified():
    config = CertificationConfig(
        p=NoiseSpec("general-gaussian", 0.25, 20), q=QSpec(sigma=0.2), n=1000, alpha=0.001
    )
    certificate = certificate_from_counts(SampleCounts(3, 990, 1000, 995, 1000), config, 64)
    proof = prove_certificate(certificate, config, 64)
    fields = proof_row_fields(proof)
    assert fields["check_outcome"] in ("proven", "fell back"), fields
    assert fields["proof_margin_lower"] > 0 and "DSRS radius not covered" in fields["proof_reason"]
    assert certificate.np_radius * (1 - 1e-3) <= fields["proven_np_radius"] <= certificate.np_radius
    assert proof_row_fields(None) == dict.fromkeys(PROOF_ROW_FIELDS)
