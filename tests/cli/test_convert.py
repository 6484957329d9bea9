"""``dsrs convert``: an original-layout checkpoint round-trips into our safetensors form;
anything that needs arbitrary unpickling is refused without running."""

from __future__ import annotations

import json
import pathlib
import pickle
from pathlib import Path

import pytest
import torch

from dsrs_models.registry import build_model
from dsrs_models.safetensors_loading import load_safetensors_model


class Payload:
    """Unpickling this touches a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (pathlib.Path.touch, (self.marker,))


def original_checkpoint(path: Path, arch: str, registry: str, prefix: str = "1.module.") -> dict:
    """A checkpoint as Cohen et al.'s train.py writes it (Sequential(normalize, DataParallel))."""
    torch.manual_seed(0)
    state = build_model(registry).network.state_dict()
    state = {name: torch.randn_like(v) if v.is_floating_point() else v for name, v in state.items()}
    torch.save(
        {
            "epoch": 90,
            "arch": arch,
            "state_dict": {prefix + k: v for k, v in state.items()},
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]},
        },
        path,
    )
    return state


def test_cifar_resnet20_round_trips(run_cli, tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.pth.tar"
    state = original_checkpoint(checkpoint, "cifar_resnet20", "resnet20-cifar")
    output = tmp_path / "converted.safetensors"
    result = run_cli(None, "convert", str(checkpoint), "-o", str(output), json_output=True)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["architecture"] == "resnet20-cifar"
    assert report["source_architecture"] == "cifar_resnet20"
    assert report["stripped_prefix"] == "1.module."
    assert report["ignored_entries"] == ["epoch", "optimizer"]
    model = load_safetensors_model(output.read_bytes(), "resnet20-cifar")
    loaded = model.network.state_dict()
    assert set(loaded) == set(state)
    for name, value in state.items():
        assert torch.equal(loaded[name], value.to(loaded[name].dtype)), name


def test_plain_module_prefix_and_normalisation_buffers(run_cli, tmp_path: Path) -> None:
    checkpoint = tmp_path / "lenet.pth"
    state = build_model("lenet-mnist").network.state_dict()
    torch.save(
        {
            "arch": "lenet",
            "state_dict": {
                "0.means": torch.tensor([0.5]),
                "0.sds": torch.tensor([0.25]),
                **{f"module.{k}": v for k, v in state.items()},
            },
        },
        checkpoint,
    )
    result = run_cli(None, "convert", str(checkpoint))
    assert result.exit_code == 0, result.stderr
    assert "architecture lenet-mnist, from lenet, stripped 'module.'" in result.stdout
    assert "--arch lenet-mnist --mean 0.5 --std 0.25" in result.stdout
    converted = checkpoint.with_suffix(".safetensors")
    load_safetensors_model(converted.read_bytes(), "lenet-mnist")


def test_checkpoint_with_a_custom_class_is_refused_and_nothing_runs(
    run_cli, tmp_path: Path
) -> None:
    marker = tmp_path / "code-ran"
    checkpoint = tmp_path / "evil.pth"
    torch.save({"arch": "cifar_resnet20", "state_dict": {}, "extra": Payload(marker)}, checkpoint)
    result = run_cli(None, "convert", str(checkpoint), "-o", str(tmp_path / "out.safetensors"))
    assert result.exit_code == 1
    assert "refused" in result.stderr and "arbitrary unpickling" in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "out.safetensors").exists()
    # The payload is live: an ordinary unpickle of the same object does run it.
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize(
    ("arch", "message"),
    [("vgg16", "unknown architecture 'vgg16'"), ("cifar_resnet110", "missing keys")],
)
def test_unknown_or_mismatched_architecture(
    run_cli, tmp_path: Path, arch: str, message: str
) -> None:
    checkpoint = tmp_path / "checkpoint.pth"
    state = build_model("digits-mlp").network.state_dict()
    torch.save({"arch": arch, "state_dict": state}, checkpoint)
    result = run_cli(None, "convert", str(checkpoint))
    assert result.exit_code == 1
    assert message in result.stderr


def test_wrong_shapes_are_named(run_cli, tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.pth"
    state = dict(build_model("digits-mlp").network.state_dict())
    state["layers.1.weight"] = torch.zeros(3, 3)
    torch.save({"arch": "digits-mlp", "state_dict": state}, checkpoint)
    result = run_cli(None, "convert", str(checkpoint))
    assert result.exit_code == 1
    assert "layers.1.weight: [3, 3] != [256, 64]" in result.stderr


def test_not_a_torch_file(run_cli, tmp_path: Path) -> None:
    checkpoint = tmp_path / "random.pth"
    checkpoint.write_bytes(b"\x00" * 64)
    result = run_cli(None, "convert", str(checkpoint), "--arch", "digits-mlp")
    assert result.exit_code == 1
    assert "not a readable torch.save file" in result.stderr
