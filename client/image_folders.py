"""Turn a folder of images into an input set (``inputs`` float32 NCHW in [0, 1], ``labels``).

Decoding happens here, on the user's side: the service only ever receives arrays. Layouts
(the ones the original DSRS / Cohen et al. scripts read):

``class-per-folder`` (torchvision's ``ImageFolder``; also the ImageNet validation set after
the usual ``valprep.sh``, i.e. ``val/n01440764/ILSVRC2012_val_00000293.JPEG``)::

    root/<class name>/<image>       label = index of <class name> in sorted order

``tinyimagenet`` (the Tiny ImageNet 200 archive as distributed)::

    root/wnids.txt                          the 200 class ids
    root/val/images/val_0.JPEG …           split "val" (default)
    root/val/val_annotations.txt           <file> <wnid> … per line
    root/train/<wnid>/images/<wnid>_0.JPEG split "train"
    label = index of <wnid> in sorted order (as ImageFolder on train/)

Preprocessing, stated: each image is converted to RGB (or to one grey channel with
``grayscale``); with ``resize`` its shorter side is scaled to ``resize`` pixels (bilinear);
with ``crop`` the central ``crop`` x ``crop`` square is kept (ImageNet: resize 256, crop 224,
as in the original scripts); pixel values are divided by 255. Without resize/crop every
image must already have the same size. Files are taken in sorted order.

Pillow is imported when a folder is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["IMAGE_SUFFIXES", "LAYOUT_HELP", "ImageFolderError", "ImageSet", "read_image_folder"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

Layout = Literal["auto", "class-per-folder", "tinyimagenet"]

LAYOUT_HELP = """\
Accepted image folder layouts:
  class-per-folder (ImageFolder; ImageNet val after valprep.sh):
    root/<class name>/<image>.png|jpg|…   labels = sorted class names, 0, 1, …
  tinyimagenet:
    root/wnids.txt, root/val/images/*.JPEG + root/val/val_annotations.txt (split val),
    root/train/<wnid>/images/*.JPEG (split train); labels = sorted wnids
Images: converted to RGB (or grey), optional --resize (shorter side) and --crop (centre
square), values scaled to [0, 1]."""


class ImageFolderError(ValueError):
    """The folder does not match a layout, or its images cannot form one array."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message}\n{LAYOUT_HELP}")


@dataclass(frozen=True)
class ImageSet:
    """Arrays ready to upload, and what the labels mean."""

    inputs: Any  # float32 (n, C, H, W) in [0, 1]
    labels: Any  # int64 (n,)
    classes: list[str]
    layout: str


def read_image_folder(
    root: Path | str,
    *,
    layout: Layout = "auto",
    split: Literal["val", "train"] = "val",
    resize: int | None = None,
    crop: int | None = None,
    grayscale: bool = False,
    limit: int | None = None,
) -> ImageSet:
    """Read the images under ``root`` as an input set with labels (see the module doc).

    ``limit`` keeps the first ``limit`` images in sorted order. Raises
    :class:`ImageFolderError` with the accepted layouts when the folder fits none.
    """
    from dsrs_client.extras import require_extra

    require_extra("images", "reading an image folder")
    import numpy as np

    root = Path(root)
    if not root.is_dir():
        raise ImageFolderError(f"{root} is not a directory")
    if layout == "auto":
        layout = "tinyimagenet" if (root / "wnids.txt").is_file() else "class-per-folder"
    if layout == "tinyimagenet":
        files, classes = _tinyimagenet(root, split)
    else:
        files, classes = _class_per_folder(root)
    if limit is not None:
        files = files[:limit]
    arrays = [_image(path, resize, crop, grayscale) for path, _ in files]
    shapes = sorted({a.shape for a in arrays})
    if len(shapes) > 1:
        raise ImageFolderError(
            f"images of different sizes {shapes[:3]}…; pass --resize and --crop to make them one"
        )
    inputs = np.stack(arrays).astype(np.float32) / np.float32(255.0)
    labels = np.asarray([label for _, label in files], dtype=np.int64)
    return ImageSet(inputs.transpose(0, 3, 1, 2).copy(), labels, classes, layout)


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _class_per_folder(root: Path) -> tuple[list[tuple[Path, int]], list[str]]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and _images_in(p))
    if len(classes) == 0:
        raise ImageFolderError(f"{root} has no sub-folder with images")
    loose = _images_in(root)
    if loose:
        raise ImageFolderError(
            f"{root} has images directly inside ({loose[0].name}, …) as well as class folders"
        )
    files = [
        (path, label) for label, name in enumerate(classes) for path in _images_in(root / name)
    ]
    return files, classes


def _tinyimagenet(root: Path, split: str) -> tuple[list[tuple[Path, int]], list[str]]:
    classes = sorted(line.strip() for line in (root / "wnids.txt").read_text().split() if line)
    index = {wnid: label for label, wnid in enumerate(classes)}
    if split == "train":
        folders = [root / "train" / wnid / "images" for wnid in classes]
        missing = [folder for folder in folders if not folder.is_dir()]
        if missing:
            raise ImageFolderError(f"{missing[0]} is missing ({len(missing)} class folders)")
        files = [
            (path, label) for label, folder in enumerate(folders) for path in _images_in(folder)
        ]
        return files, classes
    annotations = root / "val" / "val_annotations.txt"
    if not annotations.is_file():
        raise ImageFolderError(f"{annotations} is missing")
    files = []
    for number, line in enumerate(annotations.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or fields[1] not in index:
            raise ImageFolderError(f"{annotations}:{number}: expected '<file> <wnid> …'")
        files.append((root / "val" / "images" / fields[0], index[fields[1]]))
    return sorted(files), classes


def _image(path: Path, resize: int | None, crop: int | None, grayscale: bool) -> Any:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = opened.convert("L" if grayscale else "RGB")
    except (OSError, UnidentifiedImageError) as error:
        raise ImageFolderError(f"{path}: not a readable image ({error})") from None
    if resize is not None:
        width, height = image.size
        scale = resize / min(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    if crop is not None:
        width, height = image.size
        if crop > min(width, height):
            raise ImageFolderError(f"{path}: {width}x{height} is smaller than --crop {crop}")
        left, top = (width - crop) // 2, (height - crop) // 2
        image = image.crop((left, top, left + crop, top + crop))
    array = np.asarray(image, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array
