"""The demo network, its data split and the script that regenerates its weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dsrs_models import train_digits
from dsrs_models.demo import (
    DEMO_SIGMA,
    DEMO_WEIGHTS_PATH,
    demo_dataset,
    load_demo_classifier,
    load_demo_model,
)


def test_split_is_fixed_and_scaled():
    x_train, y_train = demo_dataset("train")
    assert len(y_train) == len(x_train)
    x_test, y_test = demo_dataset("test")
    assert x_train.shape == (1258, 1, 8, 8) and x_test.shape == (539, 1, 8, 8)
    assert x_test.dtype == np.float32 and y_test.dtype == np.int64
    assert x_test.min() >= 0.0 and x_test.max() <= 1.0
    assert set(np.unique(y_test)) == set(range(10))
    again, _ = demo_dataset("test")
    assert np.array_equal(again, x_test)
    with pytest.raises(ValueError, match="split"):
        demo_dataset("validation")


def test_shipped_weights_load_and_are_accurate_under_noise():
    assert DEMO_WEIGHTS_PATH.stat().st_size < 1_000_000
    classifier = load_demo_classifier()
    x, y = demo_dataset("test")
    clean = (classifier(torch.from_numpy(x)).numpy() == y).mean()
    assert clean > 0.95
    # Monte Carlo accuracy under the demo noise; 20 copies of 539 images, sd < 0.003.
    assert train_digits.noisy_accuracy(load_demo_model(), copies=20, seed=1) > 0.9
    assert DEMO_SIGMA == 0.25


def test_training_is_deterministic_for_a_seed():
    first = train_digits.train_demo_model(seed=5, epochs=2)
    second = train_digits.train_demo_model(seed=5, epochs=2)
    for (key, a), (_, b) in zip(
        first.state_dict().items(), second.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key
