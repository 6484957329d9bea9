"""Issue 24: a model whose logits are NaN (or infinite) under noise is never certified from
those draws. Such a draw counts for no class (``NON_FINITE``): against the label in the P
and Q counts, in no class of the selection counts, and the adapter counts how many."""

from __future__ import annotations

import torch
from torch import nn

from dsrs_core.certify_on_device import certify
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec
from dsrs_core.sampling.classifier import NON_FINITE, classes_of_logits
from dsrs_models.adapters import TorchClassifier


class NanUnderNoise(nn.Module):
    """Class 0 with a wide margin on inputs in [0, 1], NaN logits when a pixel is negative
    (which Gaussian noise makes happen on almost every draw)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        margin = torch.sqrt(flat).sum(1, keepdim=True)  # NaN once any pixel < 0
        return torch.cat([margin + 10.0, torch.zeros_like(flat[:, :2])], dim=1)


def test_rows_with_a_nan_or_an_infinity_are_non_finite():
    logits = torch.tensor(
        [[0.0, 2.0, 1.0], [float("nan"), 0.0, 0.0], [0.0, float("inf"), 0.0], [3.0, 0.0, -1.0]]
    )
    assert classes_of_logits(logits).tolist() == [1, NON_FINITE, NON_FINITE, 0]


def test_nan_draws_abstain_and_are_counted_in_both_modes():
    classifier = TorchClassifier(NanUnderNoise(), num_classes=3)
    x = torch.full((1, 8, 8), 0.5)
    assert classifier(x.unsqueeze(0)).tolist() == [0]  # finite on the clean input
    classifier.take_non_finite()
    config = CertificationConfig(
        NoiseSpec("gaussian", 0.5), QSpec(sigma=0.4), n_selection=100, n=2000
    )
    for label in (0, None):  # evaluate mode (the true label) and predict mode
        certificate = certify(classifier, x, config, label=label, seed=3, batch_size=500)
        # Before issue 24 argmax(NaN) = 0 agreed with class 0 on every draw: certified.
        assert certificate.abstained, certificate
        assert certificate.np_radius == 0.0 and certificate.p_lower < 0.01
        assert certificate.counts.p_count < 20  # only the rare all-positive draws agree
        if label is None:
            assert sum(certificate.counts.selection_counts) < 100  # NaN draws vote for none
        drawn = 2 * config.n + (config.n_selection if label is None else 0)
        assert classifier.take_non_finite() > 0.95 * drawn
    assert classifier.take_non_finite() == 0  # taken: starts again from zero
