"""``certify``: Monte-Carlo counts on the device, then the certificate (torch side).

The device half of the procedure (it imports torch, as do :mod:`dsrs_core.sampling.counts`
and the other device modules it calls). The pure half, from counts to radii, is
:func:`dsrs_core.counts_to_certificate.certificate_from_counts`. Both are exported by
:mod:`dsrs_core` (``from dsrs_core import certify``).

Modes (docs/math.md §2.1; Cohen et al. 2019):

* predict mode (``label=None``): the class is chosen by ``n_selection`` draws under P,
  then its probability is estimated; the certificate abstains when ``p_lower ≤ 1/2``.
* evaluate mode (``label`` given, the DSRS paper's protocol): agreement with the true
  label is counted; a positive radius then means a correct, certified prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch

from dsrs_core.config import CertificationConfig
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.errors import InvalidParameterError
from dsrs_core.evaluation.equal_budget import (
    EqualBudgetRadius,
    SequentialBaselineRadius,
    equal_budget_np_radius,
    sequential_baseline_config,
)
from dsrs_core.results import Certificate, SampleCounts
from dsrs_core.sampling.classifier import Classifier
from dsrs_core.sampling.counts import DEFAULT_BATCH_SIZE, draw_counts_batch
from dsrs_core.sampling.draw_plan import build_p_noise

__all__ = [
    "certify",
    "certify_batch",
    "equal_budget_baseline",
    "make_generator",
    "sequential_np_baseline",
]


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (a non-negative int < 2⁶⁴)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise InvalidParameterError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return torch.Generator(device=torch.device(device)).manual_seed(seed)


def certify(
    classifier: Classifier,
    x: torch.Tensor | np.ndarray,
    config: CertificationConfig,
    *,
    label: int | None = None,
    seed: int,
    device: str | torch.device | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Certificate:
    """Certify one input: draw the counts, then compute NP and DSRS radii.

    Parameters
    ----------
    classifier : Classifier
        Base classifier ``(B, *input_shape) → (B,)`` class indices.
    x : tensor or ndarray, shape input_shape
        The input in input space.
    config : CertificationConfig
    label : int, optional
        True label (evaluate mode); default predict mode.
    seed : int
        Seeds the generator of all draws; stored in ``certificate.counts.seed``.
    device : str or torch.device, optional
        Where to sample; default the classifier's ``device`` attribute, else CPU.
    batch_size : int
        Noisy copies per forward pass.

    Returns
    -------
    Certificate
        ``prediction`` None when abstaining.
    """
    (certificate,) = certify_batch(
        classifier,
        _as_tensor(x).unsqueeze(0),
        config,
        labels=None if label is None else [label],
        seed=seed,
        device=device,
        batch_size=batch_size,
    )
    return certificate


def certify_batch(
    classifier: Classifier,
    inputs: torch.Tensor | np.ndarray,
    config: CertificationConfig,
    *,
    labels: Sequence[int] | None = None,
    seed: int,
    device: str | torch.device | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[Certificate]:
    """Certify several inputs whose noisy copies share one stream of batches.

    Same as :func:`certify` per input, but the draws of all inputs are packed into large
    batches (good for small models). All inputs share one generator seeded with ``seed``;
    results depend on the grouping of inputs as well as on the seed.

    Parameters
    ----------
    inputs : tensor or ndarray, shape (N, *input_shape)
    labels : sequence of int, optional
        One true label per input (evaluate mode); default predict mode.

    Returns
    -------
    list of Certificate
        One per input, in order.
    """
    device = torch.device(device if device is not None else getattr(classifier, "device", "cpu"))
    tensor = _as_tensor(inputs).to(device)
    generator = make_generator(seed, device)
    all_counts = draw_counts_batch(
        classifier, tensor, config, labels=labels, generator=generator, batch_size=batch_size
    )
    dimension = int(tensor[0].numel())
    return [certificate_from_counts(counts, config, dimension) for counts in all_counts]


def _as_tensor(x: torch.Tensor | np.ndarray) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise InvalidParameterError(f"inputs must be a tensor or an ndarray, got {type(x)!r}")
    if not x.is_floating_point():
        x = x.to(torch.float32)
    return x


def equal_budget_baseline(
    classifier: Classifier,
    x: torch.Tensor | np.ndarray,
    config: CertificationConfig,
    certificate: Certificate,
    *,
    seed: int,
    device: str | torch.device | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> EqualBudgetRadius:
    """The DSRS paper's NP baseline for a DSRS certificate
    (:mod:`dsrs_core.evaluation.equal_budget`).

    Draws ``config.n`` further samples under P (the Q budget spent on P), counts agreement
    with the class the certificate counted, pools them with its P run and certifies the
    pooled count with NP at the full ``alpha``.

    Parameters
    ----------
    certificate : Certificate
        The DSRS certificate of ``x`` (its P counts are pooled).
    seed : int
        Seeds the extra draws; must differ from the certificate's own seed (a fresh,
        independent stream), e.g. derived from it.
    """
    if config.q is None:
        raise InvalidParameterError("the equal-budget baseline is for DSRS jobs (Q is set)")
    extra, dimension = _baseline_counts(
        classifier, x, replace(config, q=None), certificate, seed, device, batch_size
    )
    counts = certificate.counts
    return equal_budget_np_radius(
        build_p_noise(config.p, dimension),
        counts.p_count,
        counts.p_n,
        extra.p_count,
        extra.p_n,
        config.alpha,
    )


def sequential_np_baseline(
    classifier: Classifier,
    x: torch.Tensor | np.ndarray,
    config: CertificationConfig,
    certificate: Certificate,
    *,
    seed: int,
    device: str | torch.device | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> SequentialBaselineRadius:
    """The same-cost NP baseline of a sequential DSRS certificate (docs/sequential.md §7):
    an independent sequential NP run for the class the certificate counted, with fresh
    draws under P seeded by ``seed``, budget ``2·config.n``, all of ``alpha``, its own looks
    (:func:`dsrs_core.evaluation.equal_budget.sequential_baseline_config`).

    Parameters
    ----------
    certificate : Certificate
        The sequential DSRS certificate of ``x`` (only its counted class is used).
    seed : int
        Seeds the baseline's draws; must differ from the certificate's own seed.
    """
    baseline_config = sequential_baseline_config(config)
    counts, dimension = _baseline_counts(
        classifier, x, baseline_config, certificate, seed, device, batch_size
    )
    result = certificate_from_counts(counts, baseline_config, dimension)
    return SequentialBaselineRadius(
        counts.p_count, counts.p_n, counts.p_look, result.p_lower, result.np_radius, result.reason
    )


def _baseline_counts(
    classifier: Classifier,
    x: torch.Tensor | np.ndarray,
    config: CertificationConfig,
    certificate: Certificate,
    seed: int,
    device: str | torch.device | None,
    batch_size: int,
) -> tuple[SampleCounts, int]:
    """A baseline's P counts under ``config`` (no Q) for the class ``certificate`` counted,
    from a stream seeded by ``seed`` (not the certificate's own), and the input's dimension."""
    if seed == certificate.counts.seed:
        raise InvalidParameterError("the baseline's draws need a seed of their own")
    device = torch.device(device if device is not None else getattr(classifier, "device", "cpu"))
    tensor = _as_tensor(x).to(device).unsqueeze(0)
    (counts,) = draw_counts_batch(
        classifier,
        tensor,
        config,
        labels=[certificate.counts.label],
        generator=make_generator(seed, device),
        batch_size=batch_size,
    )
    return counts, int(tensor[0].numel())
