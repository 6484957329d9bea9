"""Cohen et al.'s ``certify.py`` output: tab separated with the header ``idx label
predict radius correct time``; ``predict`` is -1 for an abstention, ``correct`` 1 when the
prediction equals the label, ``time`` a ``datetime.timedelta`` string. Radii are written at
full precision (``repr``) rather than ``{:.3}``, 0 where none counts
(:func:`dsrs_cli.published.files.file_radius`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from dsrs_cli.published.files import file_radius
from dsrs_client.contract import SampleOut

__all__ = ["COHEN_HEADER", "write_cohen_tsv"]

COHEN_HEADER = ("idx", "label", "predict", "radius", "correct", "time")


def write_cohen_tsv(samples: Sequence[SampleOut], path: Path, certificate: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("\t".join(COHEN_HEADER) + "\n")
        for s in samples:
            label = -1 if s.label is None else s.label
            predict = -1 if s.prediction is None else s.prediction
            correct = int(s.label is not None and s.prediction == s.label)
            elapsed = str(datetime.timedelta(seconds=s.elapsed_s))
            radius = file_radius(s, certificate)
            handle.write(
                f"{s.dataset_index}\t{label}\t{predict}\t{radius!r}\t{correct}\t{elapsed}\n"
            )
