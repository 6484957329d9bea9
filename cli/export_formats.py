"""Writers and readers of the export formats of ``dsrs export``.

* ``csv``: every field of :class:`dsrs_api.schemas.SampleOut`, one row per input (the columns of
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
label is known, equals it (dsrs-math.md §6): others are written as 0.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsrs_api.schemas import SampleOut

__all__ = [
    "COHEN_HEADER",
    "CSV_COLUMNS",
    "CohenRow",
    "DsrsFileSet",
    "counted_radius",
    "read_cohen_tsv",
    "read_csv",
    "read_index_values",
    "read_jsonl",
    "read_new_radius_file",
    "read_sampling_file",
    "write_cohen_tsv",
    "write_csv",
    "write_dsrs_tree",
    "write_jsonl",
]

CSV_COLUMNS = tuple(SampleOut.model_fields)
COHEN_HEADER = ("idx", "label", "predict", "radius", "correct", "time")
#: Relative-gain denominator floor of the original's new-radius files (§2.4).
GAIN_FLOOR = 1e-5


def counted_radius(sample: SampleOut, certificate: str) -> float:
    """The radius that counts for certified accuracy: NP, or DSRS (at least NP); 0 for an
    abstention or a wrong prediction."""
    if sample.prediction is None or (
        sample.label is not None and sample.prediction != sample.label
    ):
        return 0.0
    if certificate == "np" or sample.dsrs_radius is None:
        return sample.np_radius
    return max(sample.np_radius, sample.dsrs_radius)


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
            radius = counted_radius(s, certificate) if s.prediction is not None else 0.0
            if s.label is None and s.prediction is not None:
                radius = (
                    s.np_radius if certificate == "np" else max(s.np_radius, s.dsrs_radius or 0.0)
                )
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
    """Paths written by :func:`write_dsrs_tree` (None when the job has no Q)."""

    p_sampling: Path
    orig_radius: Path
    orig_time: Path
    q_sampling: Path | None
    new_radius: Path | None
    new_time: Path | None


def _number(value: float) -> str:
    """Python's default float printing; extreme bounds as bare 0 / 1 (§2.4)."""
    if value == 0.0:
        return "0"
    if value == 1.0:
        return "1"
    return repr(float(value))


def _name(value: Any) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _safe_folder(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name) or "model"


def write_dsrs_tree(
    samples: Sequence[SampleOut], parameters: dict[str, Any], model_name: str, root: Path
) -> DsrsFileSet:
    """Write the original's ``sampling``, ``orig-radius`` and ``new-radius`` files for one
    job under ``root`` (one sub-folder per kind, then ``model_name``)."""
    from dsrs_core.bounds import split_alpha

    noise, q = parameters["noise"], parameters.get("q")
    family = noise["family"]
    k = "None" if family == "gaussian" else str(noise.get("k", 0))
    sigma, n = _name(float(noise["sigma"])), str(parameters["n"])
    alpha_p, alpha_q = split_alpha(float(parameters["alpha"]), q is not None)
    stem = f"{family}-{k}-{sigma}-{n}-{_name(alpha_p)}"
    folder = _safe_folder(model_name)
    sampling, orig, new = (
        root / kind / folder for kind in ("sampling", "orig-radius", "new-radius")
    )
    for directory in (sampling, orig) + ((new,) if q else ()):
        directory.mkdir(parents=True, exist_ok=True)
    ordered = sorted(samples, key=lambda s: s.dataset_index)

    p_file = sampling / f"{stem}.txt"
    _write_sampling(
        p_file,
        family,
        k,
        sigma,
        n,
        alpha_p,
        [(s.dataset_index, s.p_lower, s.p_upper) for s in ordered],
    )
    orig_file, orig_time = orig / f"orig-rad-{stem}.txt", orig / f"time-orig-rad-{stem}.txt"
    orig_file.write_text(
        "".join(f"{s.dataset_index} {counted_radius(s, 'np')!r}\n" for s in ordered)
    )
    orig_time.write_text("".join(f"{s.dataset_index} {s.elapsed_s!r}\n" for s in ordered))
    if q is None:
        return DsrsFileSet(p_file, orig_file, orig_time, None, None, None)

    assert alpha_q is not None
    if q.get("sigma") is not None:
        b = _name(float(q["sigma"]))
        q_file = sampling / f"{family}-{k}-{b}-{n}-{_name(alpha_q)}.txt"
        q_std, new_family = b, family
    else:
        b = _name(q["threshold"])
        q_file = sampling / f"{stem}-{b}.txt"
        q_std, new_family = sigma, f"{family}-th"
    _write_sampling(
        q_file,
        family,
        k,
        q_std,
        n,
        alpha_q,
        [(s.dataset_index, s.q_lower, s.q_upper) for s in ordered if s.q_lower is not None],
    )
    new_stem = f"{new_family}-{k}-{sigma}-{b}-{n}-{_name(alpha_p)}"
    new_file, new_time = new / f"new-rad-{new_stem}.txt", new / f"time-new-rad-{new_stem}.txt"
    lines = []
    for s in ordered:
        before, after = counted_radius(s, "np"), counted_radius(s, "dsrs")
        gain = after - before
        lines.append(f"{s.dataset_index} {after!r} {gain!r} {gain / max(before, GAIN_FLOOR)!r}\n")
    new_file.write_text("".join(lines))
    new_time.write_text("".join(f"{s.elapsed_s!r}\n" for s in ordered))
    return DsrsFileSet(p_file, orig_file, orig_time, q_file, new_file, new_time)


def _write_sampling(
    path: Path,
    family: str,
    k: str,
    std: str,
    n: str,
    alpha: float,
    rows: Sequence[tuple[int, float | None, float | None]],
) -> None:
    header = f"\nx disttype {family}\nx k {k}\nx std {std}\nx N {n}\nx alpha {_name(alpha)}\n\n"
    body = "".join(
        f"o {i} {_number(lo)} {_number(hi)}\n"
        for i, lo, hi in rows
        if lo is not None and hi is not None
    )
    path.write_text(header + body)


def read_sampling_file(path: Path) -> tuple[dict[str, str], dict[int, tuple[float, float]]]:
    """Header (``disttype``, ``k``, ``std``, ``N``, ``alpha``) and ``{index: (lower,
    upper)}``, keeping the first line of each index as the original's reader does."""
    header: dict[str, str] = {}
    bounds: dict[int, tuple[float, float]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "x" and len(parts) == 3:
            header[parts[1]] = parts[2]
        elif parts[0] == "o" and len(parts) == 4:
            bounds.setdefault(int(parts[1]), (float(parts[2]), float(parts[3])))
    return header, bounds


def read_index_values(path: Path) -> dict[int, float]:
    """``<index> <value>`` lines (orig-radius and its times): last line per index wins,
    sorted by index, as the original's reader."""
    values: dict[int, float] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            values[int(parts[0])] = float(parts[1])
    return dict(sorted(values.items()))


def read_new_radius_file(path: Path) -> dict[int, tuple[float, float, float]]:
    """``<index> <new radius> <new − orig> <relative gain>`` per index (last line wins)."""
    values: dict[int, tuple[float, float, float]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4:
            values[int(parts[0])] = (float(parts[1]), float(parts[2]), float(parts[3]))
    return dict(sorted(values.items()))
