"""dsrs_core: certified robustness by Double Sampling Randomized Smoothing.

The procedure for one input ``x``, base classifier ``f``, smoothing noise P, second noise Q
and failure probability ``alpha`` (Cohen et al. 2019; Li et al. 2022; docs/math.md):

1. select       predict mode: the class most often returned by ``f`` over ``n_selection``
                draws under P (:func:`sampling.counts.select_labels`);
2. draw P       count agreement with that class over ``n`` draws under P
                (:func:`sampling.counts.estimate_p`; sequential runs stop early:
                :mod:`sampling.early_stopping`);
3. draw Q       choose Q from the P interval (:func:`sampling.draw_plan.plan_q_draws`),
                count agreement over ``n`` draws under it (:func:`sampling.counts.estimate_q`);
4. bound        Clopper–Pearson intervals ``[pL, pU]``, ``[qL, qU]``, alpha split in one
                place (:mod:`sampling.confidence`, :func:`counts_to_certificate.count_intervals`);
5. NP radius    from ``pL`` alone (:func:`radius.neyman_pearson.np_radius`); abstain when
                ``pL <= 1/2``;
6. DSRS radius  the largest ``r`` whose weak-duality bound stays above 1/2
                (:mod:`radius.search` over :func:`radius.dual_bound.check_radius`);
7. verify       report ``r`` only when the certifying check (adaptive quadrature with an
                error estimate) proves it and covers every smaller radius
                (:func:`radius.certifying_check.prove_radius`); opt-in ball-arithmetic proof
                of the NP radius: :func:`radius.np_proof.prove_np_radius`.

Steps 1–3 run on the device (torch): :func:`certify`, :func:`certify_batch`
(:mod:`certify_on_device`). Steps 4–7 are torch-free: :func:`certificate_from_counts`
(:mod:`counts_to_certificate`). The map of the packages is in docs/architecture.md.

The entry points below are imported on first use, so ``import dsrs_core`` (and every
torch-free module under it) stays torch-free; only :func:`certify`, :func:`certify_batch`
and :func:`make_generator` import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsrs_core.certify_on_device import certify, certify_batch, make_generator
    from dsrs_core.config import (
        CertificationConfig,
        NoiseSpec,
        QSpec,
        RadiusSearch,
        SequentialSpec,
    )
    from dsrs_core.counts_to_certificate import certificate_from_counts
    from dsrs_core.errors import DsrsError, InvalidParameterError, NumericalError
    from dsrs_core.results import Certificate, SampleCounts

#: public name -> the module that defines it
_EXPORTS = {
    "certify": "dsrs_core.certify_on_device",
    "certify_batch": "dsrs_core.certify_on_device",
    "make_generator": "dsrs_core.certify_on_device",
    "certificate_from_counts": "dsrs_core.counts_to_certificate",
    "CertificationConfig": "dsrs_core.config",
    "NoiseSpec": "dsrs_core.config",
    "QSpec": "dsrs_core.config",
    "RadiusSearch": "dsrs_core.config",
    "SequentialSpec": "dsrs_core.config",
    "Certificate": "dsrs_core.results",
    "SampleCounts": "dsrs_core.results",
    "DsrsError": "dsrs_core.errors",
    "InvalidParameterError": "dsrs_core.errors",
    "NumericalError": "dsrs_core.errors",
}

__all__ = [
    "Certificate",
    "CertificationConfig",
    "DsrsError",
    "InvalidParameterError",
    "NoiseSpec",
    "NumericalError",
    "QSpec",
    "RadiusSearch",
    "SampleCounts",
    "SequentialSpec",
    "certificate_from_counts",
    "certify",
    "certify_batch",
    "make_generator",
]


def __getattr__(name: str) -> Any:
    """Import an entry point from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dsrs_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
