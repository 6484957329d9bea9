"""Reading and writing the original DSRS ``data/`` tree (docs/math.md §2.4): the one
reader and writer of its files, for ``dsrs reproduce`` and ``dsrs export --format dsrs``.

* sampling files ``sampling/<model>/<dist>-<k>-<s>-<N>-<alpha>[-<th>].txt`` with lines
  ``o <index> <lower> <upper>`` (the reader keeps the first line per index);
* NP radii ``orig-radius/<model>/orig-rad-<dist>-<k>-<s>-<N>-<alpha>.txt`` (``<index>
  <radius>``; an index listed twice keeps its smallest radius, see
  :func:`read_radius_file`) and ``time-orig-rad-…`` (``<index> <seconds>``);
* DSRS radii ``new-radius/<model>/new-rad-<dist>-<k>-<s>-<b>-<N>-<alpha>.txt`` (``<index>
  <new> <new − orig> <(new − orig)/max(orig, 1e-5)>``) and ``time-new-rad-…`` (one
  ``<seconds>`` per line, same order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ModelName",
    "NewRadiusFile",
    "SamplingFile",
    "file_radius",
    "new_radius_name",
    "orig_radius_name",
    "parse_model_name",
    "parse_new_radius_name",
    "parse_orig_radius_name",
    "parse_sampling_name",
    "read_new_radius",
    "read_radius_file",
    "read_radius_lines",
    "read_sampling",
    "read_sampling_header",
    "write_new_radius",
    "write_orig_radius",
    "write_sampling",
]

#: Relative-gain denominator floor of the new-radius files (§2.4).
GAIN_FLOOR = 1e-5

_SAMPLING = re.compile(
    r"^(?P<dist>gaussian|general-gaussian)-(?P<k>None|\d+)-(?P<s>[0-9.e+-]+?)-(?P<N>\d+)"
    r"-(?P<alpha>[0-9.e-]+?)(?:-(?P<th>x\+|x|x2\+|x2|[0-9.]+))?\.txt$"
)
_NEW_RADIUS = re.compile(
    r"^new-rad-(?P<dist>gaussian|general-gaussian)(?P<th>-th)?-(?P<k>None|\d+)-(?P<s>[0-9.e+-]+?)"
    r"-(?P<b>x\+|x|x2\+|x2|[0-9.e+-]+?)-(?P<N>\d+)-(?P<alpha>[0-9.e-]+?)\.txt$"
)
_MODEL = re.compile(
    r"^(?P<training>.+?)-(?P<dataset>mnist|cifar10|imagenet|tinyimagenet)-"
    r"(?P<k>\d+|None)-(?P<s>[0-9.]+)\.pth$"
)


@dataclass(frozen=True)
class SamplingFile:
    """The parts of a sampling file name (strings kept as written, for output names)."""

    dist: str
    k: str
    sigma: str
    n: str
    alpha: str
    threshold: str | None

    @property
    def stem(self) -> str:
        return f"{self.dist}-{self.k}-{self.sigma}-{self.n}-{self.alpha}"

    @property
    def name(self) -> str:
        return self.stem + (f"-{self.threshold}" if self.threshold else "") + ".txt"


@dataclass(frozen=True)
class NewRadiusFile:
    """The parts of a new-radius file name: the P run it improves on and the Q used."""

    p_run: SamplingFile
    q_param: str
    thresholded: bool


@dataclass(frozen=True)
class ModelName:
    training: str
    dataset: str
    k: str
    sigma: str


def parse_sampling_name(name: str) -> SamplingFile | None:
    """Parse ``general-gaussian-380-1.0-50000-0.0005-x+.txt``; None if it does not match."""
    m = _SAMPLING.match(name)
    if m is None:
        return None
    return SamplingFile(m["dist"], m["k"], m["s"], m["N"], m["alpha"], m["th"])


def parse_orig_radius_name(name: str) -> SamplingFile | None:
    """The P run of ``orig-rad-general-gaussian-380-1.0-100000-0.001.txt``; None if no match."""
    if not name.startswith("orig-rad-"):
        return None
    parsed = parse_sampling_name(name.removeprefix("orig-rad-"))
    return parsed if parsed is not None and parsed.threshold is None else None


def parse_new_radius_name(name: str) -> NewRadiusFile | None:
    """Parse ``new-rad-general-gaussian-th-380-1.0-x+-50000-0.0005.txt``; None if no match."""
    m = _NEW_RADIUS.match(name)
    if m is None:
        return None
    p_run = SamplingFile(m["dist"], m["k"], m["s"], m["N"], m["alpha"], None)
    return NewRadiusFile(p_run, m["b"], m["th"] is not None)


def parse_model_name(name: str) -> ModelName | None:
    """Parse ``cohen-mnist-380-1.00.pth``; None if it does not match."""
    m = _MODEL.match(name)
    if m is None:
        return None
    return ModelName(m["training"], m["dataset"], m["k"], m["s"])


class SamplingFileError(ValueError):
    """A sampling file's line is not ``o <index> <lower> <upper>`` with
    ``0 <= lower <= upper <= 1``; the message names the file and the line."""


_SAMPLING_LINE = "expected 'o <index> <lower> <upper>' with 0 <= lower <= upper <= 1"


def read_sampling(path: Path) -> dict[int, tuple[float, float]]:
    """``index -> (lower, upper)``, first line per index; header lines are skipped."""
    out: dict[int, tuple[float, float]] = {}
    with path.open() as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields or fields[0] != "o":
                continue
            try:
                index, lower, upper = int(fields[1]), float(fields[2]), float(fields[3])
            except (IndexError, ValueError):
                raise SamplingFileError(f"{path}:{number}: {_SAMPLING_LINE}") from None
            if len(fields) != 4 or not 0.0 <= lower <= upper <= 1.0:
                raise SamplingFileError(f"{path}:{number}: {_SAMPLING_LINE}, got {line.strip()!r}")
            if index not in out:
                out[index] = (lower, upper)
    return out


def read_sampling_header(path: Path) -> dict[str, str]:
    """The header lines ``x <key> <value>`` of a sampling file (``disttype``, ``k``,
    ``std``, ``N``, ``alpha``)."""
    header: dict[str, str] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "x":
            header[fields[1]] = fields[2]
    return header


def read_new_radius(path: Path) -> dict[int, tuple[float, float, float]]:
    """``index -> (new radius, new − orig, relative gain)`` of a new-rad file (last line
    per index wins)."""
    out: dict[int, tuple[float, float, float]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) == 4:
            out[int(fields[0])] = (float(fields[1]), float(fields[2]), float(fields[3]))
    return dict(sorted(out.items()))


def read_radius_lines(path: Path) -> list[tuple[int, float]]:
    """``(index, radius)`` of every line of an orig-rad or new-rad file, in file order
    (an index may repeat: published files list some twice)."""
    out: list[tuple[int, float]] = []
    with path.open() as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 2:
                out.append((int(fields[0]), float(fields[1])))
    return out


def read_radius_file(path: Path) -> dict[int, float]:
    """``index -> radius`` of an orig-rad or new-rad file, sorted by index.

    An index listed more than once keeps its **smallest** radius: a figure computed from
    the file can then only err low (published files repeat indices, so far always with the
    same radius; docs/math.md §6)."""
    out: dict[int, float] = {}
    for index, radius in read_radius_lines(path):
        out[index] = min(radius, out.get(index, radius))
    return dict(sorted(out.items()))


def orig_radius_name(sampling: SamplingFile) -> str:
    return f"orig-rad-{sampling.stem}.txt"


def new_radius_name(p_file: SamplingFile, q_param: str, thresholded: bool) -> str:
    dist = p_file.dist + ("-th" if thresholded else "")
    return f"new-rad-{dist}-{p_file.k}-{p_file.sigma}-{q_param}-{p_file.n}-{p_file.alpha}.txt"


def write_sampling(
    folder: Path,
    file: SamplingFile,
    std: str,
    bounds: list[tuple[int, float | None, float | None]],
) -> Path:
    """A sampling file: the header of ``file`` (with ``std``, the sigma of the sampled
    distribution) and ``o <index> <lower> <upper>`` for every bound pair that exists, in
    the given order; 0 and 1 printed bare as the original."""
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        f"\nx disttype {file.dist}\nx k {file.k}\nx std {std}\nx N {file.n}\n"
        f"x alpha {file.alpha}\n\n"
    )
    body = "".join(
        f"o {i} {_bound(lo)} {_bound(hi)}\n"
        for i, lo, hi in bounds
        if lo is not None and hi is not None
    )
    path = folder / file.name
    path.write_text(header + body)
    return path


def _bound(value: float) -> str:
    """Python's default float printing; extreme bounds as bare 0 / 1 (§2.4)."""
    if value == 0.0:
        return "0"
    if value == 1.0:
        return "1"
    return repr(float(value))


def write_orig_radius(
    folder: Path, name: str, radii: dict[int, float], seconds: dict[int, float]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(f"{i} {radii[i]}\n" for i in sorted(radii)))
    (folder / f"time-{name}").write_text("".join(f"{i} {seconds[i]}\n" for i in sorted(radii)))


def write_new_radius(
    folder: Path,
    name: str,
    new: dict[int, float],
    orig: dict[int, float],
    seconds: dict[int, float],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in sorted(new):
        gain = new[i] - orig[i]
        lines.append(f"{i} {new[i]} {gain} {gain / max(orig[i], GAIN_FLOOR)}\n")
    (folder / name).write_text("".join(lines))
    (folder / f"time-{name}").write_text("".join(f"{seconds[i]}\n" for i in sorted(new)))


def file_radius(sample: Any, certificate: str) -> float:
    """The radius of a result row as the original implementations' files hold it: the one
    that counts (``np``; ``dsrs``: at least NP; ``np-equal-budget``: the pooled 2N draws'
    NP; ``np-proven``: the NP radius proof mode proved, 0 where none was; by
    :func:`dsrs_core.evaluation.radius_counting.counted_radii`), and 0 where none counts."""
    from dsrs_core.evaluation.job_summary import baseline_prediction
    from dsrs_core.evaluation.radius_counting import counted_radii, radius_in_files

    if certificate == "np-equal-budget":
        predicted = baseline_prediction(sample.counted_label, sample.baseline_p_lower)
        counted = counted_radii(predicted, sample.label, sample.baseline_np_radius)
        return float(radius_in_files(counted))

    if certificate == "np-proven":
        proven = sample.proven_np_radius or 0.0
        return float(radius_in_files(counted_radii(sample.prediction, sample.label, proven)))
    dsrs = sample.dsrs_radius if certificate == "dsrs" else None
    counted = counted_radii(sample.prediction, sample.label, sample.np_radius, dsrs)
    return float(radius_in_files(counted))
