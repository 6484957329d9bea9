"""A job on MNIST reads torchvision's files from DSRS_DATASETS_DIR (a stand-in written here
in the IDX format, of the catalogue's size); nothing is downloaded, and files that are not
the catalogue's split fail the job with the reason."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import save_file

from dsrs_models.registry import build_model
from dsrs_settings import Settings
from dsrs_store import repository
from dsrs_worker.chunk_service import certify_chunk
from tests.support.factories import add_job_row, add_model_row, open_store

IMAGES = np.random.default_rng(0).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
LABELS = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)


def write_idx(root: Path, test_size: int = 10_000) -> None:
    """MNIST's files: the test split ``test_size`` images (the catalogue's 10,000 unless
    told otherwise), ``IMAGES`` first and blank ones after; the train split just
    ``IMAGES`` (never loaded here, but torchvision wants its files)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    test_images = np.zeros((test_size, 28, 28), np.uint8)
    test_images[: len(IMAGES)] = IMAGES
    test_labels = np.zeros(test_size, np.uint8)
    test_labels[: len(LABELS)] = LABELS
    for prefix, images, labels in (("train", IMAGES, LABELS), ("t10k", test_images, test_labels)):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">iiii", 0x0803, len(images), 28, 28) + images.tobytes()
        )
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">ii", 0x0801, len(labels)) + labels.tobytes()
        )


def test_mnist_job_reads_files_on_disk(tmp_path: Path) -> None:
    settings, factory, job_id = mnist_job(tmp_path, test_size=10_000)
    outcome = certify_chunk(factory, settings, job_id, 0)
    assert (outcome.written, outcome.job_status) == (2, "succeeded")
    with factory() as session:
        rows = repository.all_samples(session, job_id)
        assert [(r.dataset_index, r.label) for r in rows] == [(5, 9), (2, 4)]


def test_mnist_files_that_are_not_the_catalogues_fail_the_job_clearly(tmp_path: Path) -> None:
    # The API checked indices against the catalogue's 10,000 test images; files holding 6
    # must not be read as if they were MNIST's (issue 27).
    settings, factory, job_id = mnist_job(tmp_path, test_size=6)
    with pytest.raises(ValueError, match="not the catalogue's"):
        certify_chunk(factory, settings, job_id, 0)
    with factory() as session:
        job = repository.get_job(session, job_id)
        assert job.status == "failed" and "mnist/test as loaded here (6 inputs" in job.error


def mnist_job(tmp_path: Path, test_size: int):  # type: ignore[no-untyped-def]
    """Settings, session factory and the id of a job over MNIST test inputs 5 and 2."""
    settings = Settings(
        storage_dir=tmp_path / "var", datasets_dir=tmp_path / "datasets", device="cpu"
    )
    write_idx(settings.datasets_dir, test_size)
    factory = open_store(settings)
    weights = settings.storage_dir / "models" / "lenet.safetensors"
    weights.parent.mkdir(parents=True)
    save_file(build_model("lenet-mnist").network.state_dict(), str(weights))
    with factory() as session:
        model_id = add_model_row(
            session,
            name="lenet",
            architecture="lenet-mnist",
            input_shape=(1, 28, 28),
            storage_path="models/lenet.safetensors",
        )
        job = add_job_row(
            session,
            model_id,
            dataset="mnist",
            indices=[5, 2],
            parameters={
                "noise": {"family": "gaussian", "sigma": 0.5, "k": 0},
                "q": None,
                "n_selection": 10,
                "n": 50,
                "alpha": 0.001,
                "batch_size": 50,
                "radius_search": {},
            },
            seed=0,
            chunk_size=2,
        )
        session.commit()
    return settings, factory, job.id
