"""Access to the published DSRS files in ../shared/reference beside the checkout (read-only;
/work/shared/reference when the checkout lies elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsrs_cli.published.files import read_radius_file, read_sampling

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "dsrs-published" / "data"
if not REFERENCE.exists():
    REFERENCE = Path("/work/shared/reference/dsrs-published/data")

needs_reference = pytest.mark.skipif(not REFERENCE.exists(), reason="published DSRS data absent")


def sampling(model: str, name: str) -> dict[int, tuple[float, float]]:
    return read_sampling(REFERENCE / "sampling" / model / name)


def orig_radii(model: str, name: str) -> dict[int, float]:
    return read_radius_file(REFERENCE / "orig-radius" / model / name)


def new_radii(model: str, name: str) -> dict[int, float]:
    return read_radius_file(REFERENCE / "new-radius" / model / name)
