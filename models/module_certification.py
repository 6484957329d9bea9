"""Certify a plain ``torch.nn.Module`` on arrays in this process: no service, no upload.

The public in-process API (README, "Certify your own model"). It runs exactly what a
service job runs for each input — :func:`dsrs_core.certify_on_device.certify` with the
per-input seed :func:`dsrs_core.sampling.seeds.sample_seed` ``(seed, position)`` — so a job on
the same model (its ONNX export), the same inputs in the same order, the same parameters and
the same seed draws the same counts and reports the same radii.

Example
-------
>>> from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec   # doctest: +SKIP
>>> from dsrs_models.module_certification import certify_module
>>> config = CertificationConfig(p=NoiseSpec("gaussian", 0.25), q=QSpec(sigma=0.2), n=10_000)
>>> certificates = certify_module(net, images, config, labels=labels, seed=0)
>>> [c.dsrs_radius for c in certificates]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from dsrs_core.certify_on_device import certify
from dsrs_core.config import CertificationConfig
from dsrs_core.results import Certificate
from dsrs_core.sampling.counts import DEFAULT_BATCH_SIZE
from dsrs_core.sampling.seeds import sample_seed
from dsrs_models.adapters import TorchClassifier

__all__ = ["certify_module"]


def certify_module(
    module: torch.nn.Module | Any,
    inputs: np.ndarray | torch.Tensor,
    config: CertificationConfig,
    *,
    labels: Sequence[int] | np.ndarray | None = None,
    seed: int,
    device: str | torch.device = "cpu",
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_certificate: Callable[[int, Certificate], None] | None = None,
) -> list[Certificate]:
    """Certify each input with the base classifier ``module`` (argmax of its logits).

    Parameters
    ----------
    module : torch.nn.Module or classifier
        A module mapping ``(B, C, H, W)`` inputs in [0, 1] to ``(B, num_classes)`` logits
        (normalisation inside), or any object of the sampler's ``Classifier`` protocol
        (e.g. ``dsrs_models.loading.load_model(...).classifier``).
    inputs : ndarray or tensor, shape (N, C, H, W)
    config : CertificationConfig
        P, Q, draws and alpha (``dsrs_core.config``).
    labels : sequence of int, optional
        True labels: evaluate mode (the paper's protocol, the service's default); without
        them, predict mode.
    seed : int
        The job seed; input ``i`` is certified with ``sample_seed(seed, i)``.
    device : str or torch.device
        Where the module runs and the noise is drawn.
    batch_size : int
        Noisy copies per forward pass (does not change the counts).
    on_certificate : callable, optional
        Called with ``(i, certificate)`` after each input (progress).

    Returns
    -------
    list of Certificate
        One per input, in order (``prediction`` None when abstaining).
    """
    tensor = (
        torch.as_tensor(np.asarray(inputs, dtype=np.float32))
        if isinstance(inputs, np.ndarray)
        else inputs.to(torch.float32)
    )
    if labels is not None and len(labels) != len(tensor):
        raise ValueError(f"{len(labels)} labels for {len(tensor)} inputs")
    classifier = module
    if isinstance(module, torch.nn.Module):
        with torch.no_grad():
            num_classes = int(module.eval()(tensor[:1].to(device)).shape[1])
        classifier = TorchClassifier(module, num_classes, device)
    certificates = []
    for position in range(len(tensor)):
        certificate = certify(
            classifier,
            tensor[position],
            config,
            label=None if labels is None else int(labels[position]),
            seed=sample_seed(seed, position),
            device=device,
            batch_size=batch_size,
        )
        certificates.append(certificate)
        if on_certificate is not None:
            on_certificate(position, certificate)
    return certificates
