"""Every setting of the service has its row in the settings table of ``docs/operations.md``.

A setting added to the settings classes without a line in the operations page is a setting
nobody deploying the service can find; this test names it.
"""

from __future__ import annotations

import re
from pathlib import Path

from dsrs_settings import Settings

OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def table_variables() -> set[str]:
    """The ``DSRS_*`` names in the first cell of each row of the page's tables."""
    names = set()
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `DSRS_"):
            names.update(re.findall(r"`(DSRS_[A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_setting_has_a_row() -> None:
    settings = {f"DSRS_{name.upper()}" for name in Settings.model_fields}
    assert settings, "no settings found"
    missing = sorted(settings - table_variables())
    assert not missing, f"settings without a row in docs/operations.md: {missing}"


def test_every_row_is_a_setting() -> None:
    settings = {f"DSRS_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(table_variables() - settings)
    assert not unknown, f"docs/operations.md documents settings that do not exist: {unknown}"
