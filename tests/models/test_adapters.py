"""Adapters: torch module → class indices on the device, precision options."""

from __future__ import annotations

import torch

from dsrs_models.adapters import TorchClassifier
from dsrs_models.registry import build_model


def test_torch_classifier_returns_argmax_int64():
    torch.manual_seed(0)
    module = build_model("lenet-mnist")
    classifier = TorchClassifier(module, num_classes=10)
    x = torch.rand(6, 1, 28, 28)
    predictions = classifier(x)
    assert predictions.dtype == torch.int64 and predictions.shape == (6,)
    with torch.inference_mode():
        assert torch.equal(predictions, module(x).argmax(1))
    assert classifier.dtype == torch.float32 and classifier.num_classes == 10


def test_channels_last_gives_the_same_logits():
    torch.manual_seed(0)
    module = build_model("resnet20-cifar")
    x = torch.rand(4, 3, 32, 32)
    plain = TorchClassifier(module, num_classes=10).logits(x).clone()
    fast = TorchClassifier(module, num_classes=10, channels_last=True)
    assert torch.allclose(fast.logits(x), plain, atol=1e-5)


def test_mixed_precision_is_opt_in():
    torch.manual_seed(0)
    module = build_model("digits-mlp")
    classifier = TorchClassifier(module, num_classes=10, autocast_dtype=torch.bfloat16)
    logits = classifier.logits(torch.rand(8, 1, 8, 8))
    assert logits.dtype == torch.bfloat16
    assert TorchClassifier(module, num_classes=10).logits(torch.rand(2, 1, 8, 8)).dtype == (
        torch.float32
    )
