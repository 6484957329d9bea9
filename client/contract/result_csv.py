"""Per-input results as CSV: the columns and cells of ``GET /v1/jobs/{id}/results?format=
csv`` and ``dsrs export --format csv``, and their reader.

Every field of :class:`~dsrs_client.contract.schemas.SampleOut`, in its order; empty for
None, ``selection_counts`` space separated, floats at full precision (``repr``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from dsrs_client.contract.schemas import SampleOut

__all__ = ["RESULT_CSV_COLUMNS", "read_result_csv", "write_result_csv"]

RESULT_CSV_COLUMNS = (*SampleOut.model_fields, *SampleOut.model_computed_fields)


def write_result_csv(samples: Iterable[SampleOut], handle: IO[str]) -> None:
    """The header and one row per sample, written to ``handle``."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(RESULT_CSV_COLUMNS)
    for sample in samples:
        values = sample.model_dump()
        writer.writerow(_cell(column, values[column]) for column in RESULT_CSV_COLUMNS)


def read_result_csv(handle: IO[str]) -> list[SampleOut]:
    """The samples of a CSV written by :func:`write_result_csv`."""
    computed = set(SampleOut.model_computed_fields)
    return [
        SampleOut.model_validate({k: v for k, v in _values(row).items() if k not in computed})
        for row in csv.DictReader(handle)
    ]


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "selection_counts":
        return " ".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _values(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, text in row.items():
        if column == "selection_counts":
            values[column] = [int(v) for v in text.split()] if text else None
        elif column == "q_fallback":
            values[column] = text == "True"
        else:
            values[column] = None if text == "" and column != "reason" else text
    return values
