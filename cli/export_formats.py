"""Writers and readers of the export formats of ``dsrs export``.

* ``csv``: every field of :class:`dsrs_client.contract.SampleOut`, one row per input (the columns of
  ``GET /v1/jobs/{id}/results?format=csv``; ``selection_counts`` space separated).
* ``jsonl``: one :class:`SampleOut` JSON object per line.
* ``cohen``: Cohen et al.'s ``certify.py`` output, tab separated with the header
  ``idx label predict radius correct time``; ``predict`` is -1 for an abstention,
  ``correct`` 1 when the prediction equals the label, ``time`` a ``datetime.timedelta``
  string. Radii are written at full precision (``repr``) rather than ``{:.3}``.
* ``dsrs``: the original DSRS ``data/`` tree (dsrs-math.md §2.4): ``sampling/<model>/``
  (P and Q intervals), ``orig-radius/<model>/`` (NP radii and times) and, with Q,
  ``new-radius/<model>/`` (DSRS radii, gains and times). ``alpha`` in file names is the
  level of each interval (alpha/2 with Q, as the published 0.0005 files).

A radius counts only for an input whose prediction is not an abstention and, when the
label is known, equals it (the engine's rule, :mod:`dsrs_core.evaluation`): others are
written as 0, as in the original implementations' files.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsrs_cli.published_files import (
    SamplingFile,
    new_radius_name,
    orig_radius_name,
    write_new_radius,
    write_orig_radius,
    write_sampling,
)
from dsrs_client.contract import JobParameters, SampleOut

__all__ = [
    "COHEN_HEADER",
    "CSV_COLUMNS",
    "CohenRow",
    "DsrsFileSet",
    "counted_radius",
    "read_cohen_tsv",
    "read_csv",
    "read_jsonl",
    "write_cohen_tsv",
    "write_csv",
    "write_dsrs_tree",
    "write_jsonl",
]

CSV_COLUMNS = tuple(SampleOut.model_fields)
COHEN_HEADER = ("idx", "label", "predict", "radius", "correct", "time")

def counted_radius(sample: SampleOut, certificate: str) -> float:
    """The radius of ``sample`` that counts (``np``; ``dsrs``: at least NP;
    ``np-equal-budget``: the pooled 2N draws' NP), as the files of the original
    implementations hold it: 0 where none counts
    (:func:`dsrs_core.evaluation.counted_radii`, :func:`~dsrs_core.evaluation.radius_in_files`)."""
    from dsrs_core.evaluation import counted_radii, radius_in_files

    if certificate == "np-equal-budget":
        # the pooled certificate predicts the counted class when its own bound is above 1/2
        pooled = (sample.baseline_p_lower or 0.0) > 0.5
        counted = counted_radii(sample.counted_label if pooled else None, sample.label,
                                sample.baseline_np_radius)  # fmt: skip
        return float(radius_in_files(counted))
    dsrs = sample.dsrs_radius if certificate == "dsrs" else None
    counted = counted_radii(sample.prediction, sample.label, sample.np_radius, dsrs)
    return float(radius_in_files(counted))


# ------------------------------------------------------------------------------ CSV


def write_csv(samples: Sequence[SampleOut], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for sample in samples:
            values = sample.model_dump()
            writer.writerow(_csv_cell(column, values[column]) for column in CSV_COLUMNS)


def _csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "selection_counts":
        return " ".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def read_csv(path: Path) -> list[SampleOut]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [SampleOut.model_validate(_from_csv(row)) for row in reader]


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, text in row.items():
        if column == "selection_counts":
            values[column] = [int(v) for v in text.split()] if text else None
        elif column == "q_fallback":
            values[column] = text == "True"
        else:
            values[column] = None if text == "" and column != "reason" else text
    return values


# ---------------------------------------------------------------------------- JSONL


def write_jsonl(samples: Sequence[SampleOut], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(sample.model_dump_json() + "\n")


def read_jsonl(path: Path) -> list[SampleOut]:
    with path.open(encoding="utf-8") as handle:
        return [SampleOut.model_validate_json(line) for line in handle if line.strip()]


# ------------------------------------------------------------------- Cohen et al. TSV


@dataclass(frozen=True)
class CohenRow:
    idx: int
    label: int
    predict: int
    radius: float
    correct: int
    time_seconds: float


def write_cohen_tsv(samples: Sequence[SampleOut], path: Path, certificate: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("\t".join(COHEN_HEADER) + "\n")
        for s in samples:
            label = -1 if s.label is None else s.label
            predict = -1 if s.prediction is None else s.prediction
            correct = int(s.label is not None and s.prediction == s.label)
            elapsed = str(datetime.timedelta(seconds=s.elapsed_s))
            radius = counted_radius(s, certificate)
            handle.write(
                f"{s.dataset_index}\t{label}\t{predict}\t{radius!r}\t{correct}\t{elapsed}\n"
            )


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


# ---------------------------------------------------------------- original DSRS tree


@dataclass(frozen=True)
class DsrsFileSet:
    """Paths written by :func:`write_dsrs_tree` (None when the job has no Q, or no
    equal-budget baseline: then NP's files at 2N draws and the full alpha are not written)."""

    p_sampling: Path
    orig_radius: Path
    orig_time: Path
    q_sampling: Path | None
    new_radius: Path | None
    new_time: Path | None
    equal_budget_sampling: Path | None = None
    equal_budget_orig_radius: Path | None = None


def _name(value: Any) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _safe_folder(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name) or "model"


def write_dsrs_tree(
    samples: Sequence[SampleOut], parameters: JobParameters, model_name: str, root: Path
) -> DsrsFileSet:
    """Write the original's ``sampling``, ``orig-radius`` and ``new-radius`` files for one
    job under ``root`` (one sub-folder per kind, then ``model_name``), with the writers of
    :mod:`dsrs_cli.published_files`."""
    from dsrs_core.bounds import split_alpha

    noise, q = parameters.noise, parameters.q
    family = noise.family
    k = "None" if family == "gaussian" else str(noise.k)
    sigma, n = _name(float(noise.sigma)), str(parameters.n)
    alpha_p, alpha_q = split_alpha(float(parameters.alpha), q is not None)
    folder = _safe_folder(model_name)
    sampling, orig, new = (
        root / kind / folder for kind in ("sampling", "orig-radius", "new-radius")
    )
    ordered = sorted(samples, key=lambda s: s.dataset_index)
    seconds = {s.dataset_index: s.elapsed_s for s in ordered}

    p_file = SamplingFile(family, k, sigma, n, _name(alpha_p), None)
    p_path = write_sampling(
        sampling, p_file, sigma, [(s.dataset_index, s.p_lower, s.p_upper) for s in ordered]
    )
    orig_name = orig_radius_name(p_file)
    orig_radii = {s.dataset_index: counted_radius(s, "np") for s in ordered}
    write_orig_radius(orig, orig_name, orig_radii, seconds)
    if q is None:
        return DsrsFileSet(p_path, orig / orig_name, orig / f"time-{orig_name}", None, None, None)

    assert alpha_q is not None
    if q.sigma is not None:
        b = _name(float(q.sigma))
        q_file, q_std = SamplingFile(family, k, b, n, _name(alpha_q), None), b
    else:
        b = _name(q.threshold)
        q_file, q_std = SamplingFile(family, k, sigma, n, _name(alpha_q), b), sigma
    q_path = write_sampling(
        sampling, q_file, q_std, [(s.dataset_index, s.q_lower, s.q_upper) for s in ordered]
    )
    new_name = new_radius_name(p_file, b, thresholded=q.sigma is None)
    new_radii = {s.dataset_index: counted_radius(s, "dsrs") for s in ordered}
    write_new_radius(new, new_name, new_radii, orig_radii, seconds)
    equal_sampling = equal_orig = None
    if ordered and all(s.baseline_np_radius is not None for s in ordered):
        # The paper's NP baseline files: 2N draws under P at the full alpha.
        from dsrs_core.bounds import clopper_pearson

        alpha = float(parameters.alpha)
        pooled = SamplingFile(family, k, sigma, str(2 * parameters.n), _name(alpha), None)
        intervals = [
            (s.dataset_index, *clopper_pearson(s.p_count + (s.baseline_extra_count or 0),
                                               s.p_n + (s.baseline_extra_n or 0), alpha))
            for s in ordered
        ]  # fmt: skip
        equal_sampling = write_sampling(sampling, pooled, sigma, intervals)
        equal_name = orig_radius_name(pooled)
        equal_radii = {s.dataset_index: counted_radius(s, "np-equal-budget") for s in ordered}
        write_orig_radius(orig, equal_name, equal_radii, seconds)
        equal_orig = orig / equal_name
    return DsrsFileSet(
        p_path, orig / orig_name, orig / f"time-{orig_name}", q_path, new / new_name,
        new / f"time-{new_name}", equal_sampling, equal_orig,
    )  # fmt: skip
