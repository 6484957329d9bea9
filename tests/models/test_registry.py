"""The allow-list registry: shapes, normalisation inside the model, unknown names."""

from __future__ import annotations

import pytest
import torch

from dsrs_models.architectures import NormalizedNetwork
from dsrs_models.errors import ModelError, UnknownArchitectureError
from dsrs_models.registry import ARCHITECTURES, architecture_names, build_model, get_architecture

EXPECTED = {
    "digits-mlp": ((1, 8, 8), 10),
    "lenet-mnist": ((1, 28, 28), 10),
    "resnet20-cifar": ((3, 32, 32), 10),
    "resnet110-cifar": ((3, 32, 32), 10),
    "resnet50-imagenet": ((3, 224, 224), 1000),
}


def test_required_architectures_are_registered():
    assert set(EXPECTED) <= set(architecture_names())
    for name, (shape, classes) in EXPECTED.items():
        spec = get_architecture(name)
        assert (spec.input_shape, spec.num_classes) == (shape, classes)
        assert len(spec.mean) == len(spec.std) == shape[0]


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_forward_on_a_zero_batch_gives_logits(name):
    spec = get_architecture(name)
    model = build_model(name)
    assert isinstance(model, NormalizedNetwork) and not model.training
    with torch.inference_mode():
        logits = model(torch.zeros(2, *spec.input_shape))
    assert logits.shape == (2, spec.num_classes)
    assert torch.isfinite(logits).all()


def test_resnet_depths_have_the_expected_number_of_blocks():
    def blocks(model):
        network = model.network
        return sum(len(stage) for stage in (network.layer1, network.layer2, network.layer3))

    assert blocks(build_model("resnet20-cifar")) == 9
    assert blocks(build_model("resnet110-cifar")) == 54


def test_resnet50_keys_are_torchvisions():
    from torchvision.models import resnet50

    ours = build_model("resnet50-imagenet").network.state_dict()
    assert list(ours) == list(resnet50(weights=None).state_dict())


def test_normalisation_is_inside_the_model_and_not_in_the_state_dict():
    model = build_model("resnet20-cifar")
    x = torch.full((1, 3, 32, 32), 0.5)
    with torch.inference_mode():
        direct = model.network((x - model.normalize.mean) / model.normalize.std)
        assert torch.allclose(model(x), direct)
    assert not any(key.startswith("normalize") for key in model.state_dict())


def test_unknown_architecture_is_a_typed_error():
    with pytest.raises(UnknownArchitectureError, match="unknown architecture 'vgg16'") as info:
        build_model("vgg16")
    assert isinstance(info.value, ModelError) and isinstance(info.value, KeyError)
    assert "resnet110-cifar" in str(info.value)
