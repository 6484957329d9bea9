"""A new user's own network and own images, through the installed command line.

A CNN that is not in the registry is exported to ONNX on the user's side
(``dsrs models upload --module``), a folder of PNGs becomes a labelled input set
(``dsrs inputs upload``), a job is submitted by id *prefixes* and certified by the service;
its counts and radii equal those of the in-process API (``certify_module``) on the same
module, images and seed. Deletes are refused while a job uses the object.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

#: Brightness of each class's images (class folders sort as dark, light, mid → 0, 1, 2).
CENTRES = {"dark": 0.2, "light": 0.8, "mid": 0.5}
PER_CLASS = 3
SEED = 7
N = 400

CNN_SOURCE = textwrap.dedent(
    """
    import torch
    from torch import nn

    # Class k is the brightness centre nearest the image's mean: logit_k = 2 c_k m - c_k^2.
    CENTRES = [0.2, 0.8, 0.5]


    class BrightnessCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = 0.5  # normalisation lives inside the model (the ONNX contract)
            self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(4, 3)
            with torch.no_grad():
                self.conv.weight.fill_(0.0)
                self.conv.weight[:, 0, 1, 1] = 1.0  # identity on every channel
                self.conv.bias.fill_(0.0)
                c = torch.tensor(CENTRES) - self.mean
                self.head.weight.copy_(torch.stack([2 * c, 0 * c, 0 * c, 0 * c], dim=1))
                self.head.bias.copy_(-(c**2))

        def forward(self, x):
            z = self.conv(x - self.mean)
            return self.head(self.pool(z).flatten(1))


    def build():
        return BrightnessCNN().eval()
    """
)


@pytest.fixture(scope="module")
def user_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("user")
    (root / "my_cnn.py").write_text(CNN_SOURCE)
    rng = np.random.default_rng(0)
    for name, centre in CENTRES.items():
        folder = root / "images" / name
        folder.mkdir(parents=True)
        for i in range(PER_CLASS):
            pixels = np.clip(centre + rng.normal(0, 0.03, (8, 8)), 0, 1)
            Image.fromarray((pixels * 255).round().astype(np.uint8), mode="L").save(
                folder / f"{i}.png"
            )
    return root


def _user_module(root: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("my_cnn", root / "my_cnn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


def test_own_cnn_and_png_folder_certified_like_the_in_process_api(
    embedded_service, run_cli, user_files: Path
) -> None:
    from dsrs_client.image_folders import read_image_folder
    from dsrs_client.sync_client import DsrsClient
    from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec
    from dsrs_models.module_certification import certify_module

    uploaded = run_cli(
        embedded_service,
        "models",
        "upload",
        "--module",
        f"{user_files / 'my_cnn.py'}:build",
        "--input-shape",
        "1,8,8",
    )
    assert uploaded.exit_code == 0, uploaded.stderr
    model_id = uploaded.stdout.strip()
    assert "3 classes" in uploaded.stderr

    inputs = run_cli(
        embedded_service, "inputs", "upload", str(user_files / "images"), "--grayscale"
    )
    assert inputs.exit_code == 0, inputs.stderr
    input_set_id = inputs.stdout.strip()
    assert "class-per-folder, 9 images of shape (1, 8, 8), 3 classes" in inputs.stderr

    submitted = run_cli(
        embedded_service,
        "jobs",
        "submit",
        "--model",
        model_id[:8],
        "--input-set",
        input_set_id[:6],
        "--sigma",
        "0.25",
        "--q-sigma",
        "0.2",
        "--n",
        str(N),
        "--n-selection",
        "20",
        "--batch-size",
        "200",
        "--seed",
        str(SEED),
    )
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    watched = run_cli(embedded_service, "jobs", "watch", job_id[:8], "--timeout", "120")
    assert watched.exit_code == 0, watched.stdout + watched.stderr

    with DsrsClient(embedded_service.url) as dsrs:
        rows = dsrs.all_results(job_id)
    images = read_image_folder(user_files / "images", grayscale=True)
    config = CertificationConfig(
        p=NoiseSpec("gaussian", 0.25), q=QSpec(sigma=0.2), n_selection=20, n=N
    )
    local = certify_module(
        _user_module(user_files), images.inputs, config, labels=images.labels, seed=SEED
    )
    assert [r.label for r in rows] == images.labels.tolist() == [0] * 3 + [1] * 3 + [2] * 3
    assert [(r.p_count, r.q_count) for r in rows] == [
        (c.counts.p_count, c.counts.q_count) for c in local
    ]
    assert [(r.np_radius, r.dsrs_radius) for r in rows] == [
        (c.np_radius, c.dsrs_radius) for c in local
    ]
    # A meaningful comparison: every image is certified at a positive radius.
    assert all(r.np_radius > 0 for r in rows)

    # Deletes while in use: the model has the job's results.
    refused = run_cli(embedded_service, "models", "rm", model_id[:8])
    assert refused.exit_code == 1 and "delete that job first" in refused.stderr
    shown = run_cli(embedded_service, "inputs", "show", input_set_id[:8], json_output=True)
    assert json.loads(shown.stdout)["count"] == 9
    assert run_cli(embedded_service, "jobs", "rm", job_id[:8]).exit_code == 0
    assert run_cli(embedded_service, "models", "rm", model_id[:8]).exit_code == 0
    assert run_cli(embedded_service, "inputs", "rm", input_set_id[:8]).exit_code == 0
    listed = run_cli(embedded_service, "inputs", "list", json_output=True)
    assert input_set_id not in [s["id"] for s in json.loads(listed.stdout)]


def test_an_unknown_prefix_is_one_clear_line(embedded_service, run_cli) -> None:
    result = run_cli(embedded_service, "jobs", "show", "zzzz")
    assert result.exit_code == 1
    assert "no job id starts with 'zzzz'" in result.stderr


def test_a_folder_that_fits_no_layout_prints_the_layouts(
    embedded_service, run_cli, tmp_path: Path
) -> None:
    (tmp_path / "flat").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "flat" / "a.png")
    result = run_cli(embedded_service, "inputs", "upload", str(tmp_path / "flat"))
    assert result.exit_code == 1
    assert "no sub-folder with images" in result.stderr
    assert "class-per-folder" in result.stderr and "tinyimagenet" in result.stderr
