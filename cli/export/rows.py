"""Results one row per input: ``csv`` (the API's CSV, :mod:`dsrs_client.contract.result_csv`)
and ``jsonl`` (one :class:`~dsrs_client.contract.SampleOut` JSON object per line)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dsrs_client.contract import SampleOut, write_result_csv

__all__ = ["write_csv", "write_jsonl"]


def write_csv(samples: Sequence[SampleOut], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_result_csv(samples, handle)


def write_jsonl(samples: Sequence[SampleOut], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(sample.model_dump_json() + "\n")
