"""Readers of the export formats, for the tests (the product only writes them; csv is read
with the contract's :func:`dsrs_client.contract.read_result_csv`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsrs_cli.export.cohen import COHEN_HEADER
from dsrs_client.contract import SampleOut, read_result_csv

__all__ = ["CohenRow", "read_cohen_tsv", "read_csv", "read_jsonl"]


def read_csv(path: Path) -> list[SampleOut]:
    with path.open(newline="", encoding="utf-8") as handle:
        return read_result_csv(handle)


def read_jsonl(path: Path) -> list[SampleOut]:
    with path.open(encoding="utf-8") as handle:
        return [SampleOut.model_validate_json(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class CohenRow:
    idx: int
    label: int
    predict: int
    radius: float
    correct: int
    time_seconds: float


def read_cohen_tsv(path: Path) -> list[CohenRow]:
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if tuple(header) != COHEN_HEADER:
            raise ValueError(f"{path}: header {header} is not {list(COHEN_HEADER)}")
        rows = []
        for line in handle:
            if not line.strip():
                continue
            idx, label, predict, radius, correct, elapsed = line.rstrip("\n").split("\t")
            rows.append(
                CohenRow(
                    int(idx),
                    int(label),
                    int(predict),
                    float(radius),
                    int(correct),
                    _timedelta_seconds(elapsed),
                )
            )
        return rows


def _timedelta_seconds(text: str) -> float:
    days = 0
    if " day" in text:
        day_part, text = text.split(", ")
        days = int(day_part.split()[0])
    hours, minutes, seconds = text.split(":")
    return days * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
