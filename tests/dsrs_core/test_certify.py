"""certify / certify_batch: modes, abstention, seeds, and the demo model end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dsrs_core.certify_on_device import certify, certify_batch, make_generator
from dsrs_core.config import CertificationConfig, NoiseSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_models.demo import DEMO_SIGMA, demo_dataset, load_demo_classifier

CONFIG = CertificationConfig(NoiseSpec("gaussian", DEMO_SIGMA), n_selection=100, n=1000)


class CoinClassifier:
    """Class 0 or 1 by the sign of the first coordinate: p = 1/2, must abstain."""

    num_classes = 2

    def __call__(self, batch):
        return (batch.reshape(batch.shape[0], -1)[:, 0] > 0).to(torch.long)


@pytest.fixture(scope="module")
def demo():
    x, y = demo_dataset("test")
    return load_demo_classifier(), x, y


def test_evaluate_mode_certifies_a_correct_prediction(demo):
    classifier, x, y = demo
    certificate = certify(classifier, x[0], CONFIG, label=int(y[0]), seed=3)
    assert certificate.prediction == y[0]
    assert certificate.np_radius > 0 and certificate.dsrs_radius is None
    assert certificate.counts.selection_counts is None and certificate.counts.seed == 3


def test_predict_mode_selects_then_certifies(demo):
    classifier, x, y = demo
    certificate = certify(classifier, torch.from_numpy(x[1]), CONFIG, seed=4)
    assert certificate.prediction == y[1]
    assert sum(certificate.counts.selection_counts) == CONFIG.n_selection
    assert certificate.p_lower > 0.5


def test_a_coin_flip_abstains():
    certificate = certify(CoinClassifier(), torch.zeros(16), CONFIG, seed=0)
    assert certificate.abstained and certificate.prediction is None
    assert certificate.np_radius == 0.0


def test_same_seed_same_certificate(demo):
    classifier, x, _ = demo
    assert certify(classifier, x[2], CONFIG, seed=9) == certify(classifier, x[2], CONFIG, seed=9)


def test_batch_certifies_many_digits(demo):
    classifier, x, y = demo
    certificates = certify_batch(
        classifier, x[:40], CONFIG, labels=y[:40].tolist(), seed=1, batch_size=8192
    )
    assert len(certificates) == 40
    correct = np.mean(
        [c.prediction == label for c, label in zip(certificates, y[:40], strict=True)]
    )
    assert correct > 0.85
    assert all(c.counts.p_n == CONFIG.n for c in certificates)


def test_seed_is_validated():
    with pytest.raises(InvalidParameterError, match="seed"):
        make_generator(-1)
    with pytest.raises(InvalidParameterError, match="seed"):
        certify(CoinClassifier(), torch.zeros(4), CONFIG, seed=1.5)
    assert make_generator(5).initial_seed() == 5
