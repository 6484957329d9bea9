"""Image folders → arrays with labels: class-per-folder, Tiny ImageNet, resizing and cropping
as stated, and errors that print the accepted layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dsrs_client.image_folders import ImageFolderError, read_image_folder


def _png(path: Path, value: int, size: tuple[int, int] = (6, 4), mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, (value,) * 3 if mode == "RGB" else value).save(path)


def test_class_per_folder_labels_are_sorted_class_names(tmp_path: Path) -> None:
    _png(tmp_path / "zebra" / "b.png", 255)
    _png(tmp_path / "apple" / "a.png", 0)
    _png(tmp_path / "apple" / "c.png", 51)
    images = read_image_folder(tmp_path)
    assert images.layout == "class-per-folder"
    assert images.classes == ["apple", "zebra"]
    assert images.labels.tolist() == [0, 0, 1]
    assert images.inputs.shape == (3, 3, 4, 6) and images.inputs.dtype == np.float32
    assert images.inputs[:, 0, 0, 0].tolist() == pytest.approx([0.0, 0.2, 1.0])


def test_tinyimagenet_validation_layout(tmp_path: Path) -> None:
    (tmp_path / "wnids.txt").write_text("n02\nn01\n")
    _png(tmp_path / "val" / "images" / "val_0.JPEG", 10, (8, 8))
    _png(tmp_path / "val" / "images" / "val_1.JPEG", 20, (8, 8))
    (tmp_path / "val" / "val_annotations.txt").write_text(
        "val_0.JPEG\tn02\t0\t0\t8\t8\nval_1.JPEG\tn01\t0\t0\t8\t8\n"
    )
    _png(tmp_path / "train" / "n01" / "images" / "n01_0.JPEG", 30, (8, 8))
    val = read_image_folder(tmp_path)
    assert (val.layout, val.classes, val.labels.tolist()) == (
        "tinyimagenet",
        ["n01", "n02"],
        [1, 0],
    )
    with pytest.raises(ImageFolderError, match="n02/images is missing"):
        read_image_folder(tmp_path, split="train")
    _png(tmp_path / "train" / "n02" / "images" / "n02_0.JPEG", 40, (8, 8))
    train = read_image_folder(tmp_path, split="train")
    assert train.labels.tolist() == [0, 1]


def test_resize_shorter_side_then_centre_crop(tmp_path: Path) -> None:
    _png(tmp_path / "a" / "wide.png", 100, (40, 20))
    _png(tmp_path / "a" / "tall.png", 100, (10, 30))
    images = read_image_folder(tmp_path, resize=16, crop=12, grayscale=True)
    assert images.inputs.shape == (2, 1, 12, 12)


def test_images_of_several_sizes_need_resize_and_crop(tmp_path: Path) -> None:
    _png(tmp_path / "a" / "x.png", 0, (8, 8))
    _png(tmp_path / "a" / "y.png", 0, (9, 8))
    with pytest.raises(ImageFolderError, match="--resize and --crop") as error:
        read_image_folder(tmp_path)
    assert "class-per-folder" in str(error.value) and "tinyimagenet" in str(error.value)


def test_a_file_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    _png(tmp_path / "a" / "x.png", 0)
    (tmp_path / "a" / "y.png").write_bytes(b"not a png")
    with pytest.raises(ImageFolderError, match=r"y\.png: not a readable image"):
        read_image_folder(tmp_path)
