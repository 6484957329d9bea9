"""Proof mode of a job (``check: "proven"``, docs/math.md §7.5): the proof of one
certificate's NP radius and the result-row fields that record it.

The one place the worker (``dsrs_worker.chunk_service``), ``dsrs recertify``,
``dsrs certify-local`` and ``dsrs reproduce`` turn a certificate into a proof outcome.
What is covered: the NP radius, for a Gaussian P at every dimension (closed form) and a
generalized Gaussian P at ``d ≤ PROOF_DIMENSION_LIMIT``. Not covered: the DSRS radius (it
stays verified; the reason says so), the same-cost baselines' radii, and the
Clopper–Pearson bound itself. A proof that passes its CPU deadline is ``not proven``: the
verified radius stands, nothing larger is claimed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from dsrs_core.config import CertificationConfig
from dsrs_core.radius.np_proof import (
    FELL_BACK,
    PROOF_CPU_SECONDS,
    PROOF_DIMENSION_LIMIT,
    PROOF_OUTCOMES,
    PROVEN,
    NPProof,
    prove_verified_np,
)
from dsrs_core.results import Certificate
from dsrs_core.sampling.draw_plan import build_p_noise

__all__ = [
    "PROOF_CPU_SECONDS",
    "PROOF_ROW_FIELDS",
    "is_proven",
    "proof_counts",
    "proof_row_fields",
    "proof_scope_warnings",
    "prove_certificate",
]

#: Result-row fields of proof mode (NULL for rows of a job with ``check: "verified"``).
PROOF_ROW_FIELDS = (
    "check_outcome",
    "proven_np_radius",
    "proof_margin_lower",
    "proof_margin_upper",
    "proof_seconds",
    "proof_reason",
)
#: What the reason adds when the job also has a DSRS radius.
DSRS_NOT_COVERED = "DSRS radius not covered by proof mode (verified only)"


def proof_scope_warnings(config: CertificationConfig, dimension: int) -> list[str]:
    """What proof mode will not prove for a job of ``config`` on inputs of ``dimension``
    (said at submission, before the job runs)."""
    warnings = []
    if config.p.family == "general-gaussian" and config.p.k and dimension > PROOF_DIMENSION_LIMIT:
        warnings.append(
            f"check 'proven': a general-gaussian P at d = {dimension} is not covered (proof "
            f"mode covers d <= {PROOF_DIMENSION_LIMIT}, or a Gaussian P at any d); every NP "
            "radius will stay verified only ('not covered')"
        )
    if config.q is not None:
        warnings.append(f"check 'proven': {DSRS_NOT_COVERED}; only NP radii are proven")
    return warnings


def prove_certificate(
    certificate: Certificate,
    config: CertificationConfig,
    dimension: int,
    cpu_seconds: float = PROOF_CPU_SECONDS,
) -> NPProof:
    """Prove ``certificate``'s NP radius (or a smaller one) within ``cpu_seconds`` of thread
    CPU time (:func:`dsrs_core.radius.np_proof.prove_verified_np`); the reason says that a
    DSRS radius stays verified."""
    p = build_p_noise(config.p, dimension)
    proof = prove_verified_np(p, certificate.p_lower, certificate.np_radius, cpu_seconds)
    if certificate.dsrs_radius is None:
        return proof
    reason = f"{proof.reason}; {DSRS_NOT_COVERED}" if proof.reason else DSRS_NOT_COVERED
    return replace(proof, reason=reason)


def is_proven(status: str | None) -> bool:
    """Whether a row's check outcome proves a radius (the verified one or a smaller one)."""
    return status in (PROVEN, FELL_BACK)


def proof_row_fields(proof: NPProof | None) -> dict[str, Any]:
    """The result-row fields of ``proof`` (:data:`PROOF_ROW_FIELDS`; all None without one).
    The margins are the enclosure of the dual bound minus 1/2 (exact: ``L`` lies in
    [1/4, 1] wherever it matters, so the float subtraction does not round)."""
    if proof is None:
        return dict.fromkeys(PROOF_ROW_FIELDS)

    def finite(x: float) -> float | None:
        return x if x == x else None

    proven = is_proven(proof.status)
    return {
        "check_outcome": proof.status,
        "proven_np_radius": proof.radius if proven else None,
        "proof_margin_lower": finite(proof.lower - 0.5),
        "proof_margin_upper": finite(proof.upper - 0.5),
        "proof_seconds": proof.seconds,
        "proof_reason": proof.reason,
    }


def proof_counts(outcomes: Iterable[str | None]) -> dict[str, int]:
    """Inputs per proof outcome (every one of :data:`PROOF_OUTCOMES`, in order) of a proof
    mode job's rows; rows without an outcome (none yet) are not counted."""
    counted = list(outcomes)
    return {outcome: counted.count(outcome) for outcome in PROOF_OUTCOMES}
