"""The DSRS paper's comparison from a folder laid out like the original's ``data/`` tree
(the published files, or those ``dsrs reproduce`` writes): docs/math.md §6.

Per model folder:

* **NP, equal budget**: the orig-radius file with ``2N`` draws at ``2·alpha`` — the paper's
  baseline (``N = 100,000``, ``alpha = 0.001``; :mod:`dsrs_core.evaluation.equal_budget`);
* **NP, same run**: the orig-radius file of DSRS's own P run (``N``, ``alpha``), shown so
  that the overstated gain against it is visible;
* **DSRS** for each new-radius file: per instance the larger of the same-run NP radius and
  the DSRS radius (the DSRS certificate includes NP at its own level, §6).

Files may cover different instances (a DSRS file may hold 100 of the 1,000 instances of
its NP files): a DSRS row has the instances its file and its same-run NP file both hold,
and every row is computed on the instances every row of the table has
(:mod:`dsrs_core.evaluation.common_inputs`; or each on its own with ``inputs="own"``). An index a
file lists twice keeps its smallest radius (:func:`read_radius_file`). Every instance of
a row counts (radius 0 when not certified); benign accuracy is not in these files (the
original computes it with a separate sampler), so that column is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsrs_cli.published.files import (
    NewRadiusFile,
    SamplingFile,
    parse_model_name,
    parse_new_radius_name,
    parse_orig_radius_name,
    read_radius_file,
    read_radius_lines,
)
from dsrs_cli.tables.comparison import ComparisonRow, comparison_row, table_radii
from dsrs_core.evaluation.accuracy_intervals import DEFAULT_CONFIDENCE
from dsrs_core.evaluation.common_inputs import COMMON, InputCoverage, common_inputs

__all__ = ["PublishedComparison", "published_comparison"]


@dataclass(frozen=True)
class PublishedComparison:
    """Radii by instance index of one model folder, in order: baselines first, then DSRS;
    ``repeated``: index lines its files list more than once."""

    configuration: str
    methods: tuple[tuple[str, dict[int, float]], ...]
    repeated: int


def _same(a: str, b: float) -> bool:
    return abs(float(a) - b) <= 1e-12 * max(abs(b), 1.0)


def _q_label(new: NewRadiusFile) -> str:
    if new.thresholded:
        return f"DSRS, thresholded Q {new.q_param}"
    return f"DSRS, Q σ={new.q_param}"


def _budget(run: SamplingFile) -> str:
    return f"N={run.n}, α={run.alpha}"


def _read(path: Path, repeated: list[int]) -> dict[int, float]:
    radii = read_radius_file(path)
    repeated.append(len(read_radius_lines(path)) - len(radii))
    return radii


def _model_comparison(
    folder_orig: Path, folder_new: Path, model: str, q_filter: Sequence[str]
) -> PublishedComparison | None:
    repeated: list[int] = []
    orig = {
        p: _read(path, repeated)
        for path in sorted(folder_orig.glob("orig-rad-*.txt"))
        if (p := parse_orig_radius_name(path.name)) is not None
    }
    news = [
        (n, _read(path, repeated))
        for path in sorted(folder_new.glob("new-rad-*.txt"))
        if (n := parse_new_radius_name(path.name)) is not None
        and (not q_filter or n.q_param in q_filter)
    ]
    if not news:
        return None
    parsed = parse_model_name(model)
    configuration = f"σ={parsed.sigma}" if parsed else model
    methods: list[tuple[str, dict[int, float]]] = []
    runs = sorted({n.p_run for n, _ in news}, key=lambda r: (float(r.sigma), int(r.n)))
    for run in runs:
        same_run = orig.get(run)
        if same_run is None:
            continue
        equal = next(
            (
                radii
                for p, radii in orig.items()
                if (p.dist, p.k, p.sigma) == (run.dist, run.k, run.sigma)
                and int(p.n) == 2 * int(run.n)
                and _same(p.alpha, 2 * float(run.alpha))
            ),
            None,
        )
        if equal is not None:
            doubled = SamplingFile(
                run.dist, run.k, run.sigma, str(2 * int(run.n)), str(2 * float(run.alpha)), None
            )
            methods.append((f"NP, equal budget ({_budget(doubled)})", equal))
        methods.append((f"NP, same run ({_budget(run)})", same_run))
        for new_file, new in news:
            if new_file.p_run != run:
                continue
            # the DSRS certificate of an instance needs its file's radius and its NP radius
            radii = {i: max(same_run[i], new[i]) for i in new if i in same_run}
            methods.append((f"{_q_label(new_file)} (N={run.n}+{run.n}, α={run.alpha}×2)", radii))
    if not methods:
        return None
    return PublishedComparison(configuration, tuple(methods), sum(repeated))


def published_comparison(
    data: Path,
    models: Sequence[str] | None = None,
    q_filter: Sequence[str] = (),
    at: Sequence[float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    inputs: str = COMMON,
) -> tuple[list[ComparisonRow], InputCoverage, str]:
    """Comparison rows of every model folder under ``data/orig-radius`` (or ``models``),
    how many instances each row had and used, and a note on repeated index lines.

    ``q_filter`` keeps only new-radius files with these Q parameters (``0.8``, ``x+``);
    ``at`` are the table radii (default ``0.25, 0.5, …`` up to the largest radius);
    ``inputs``: every row on the instances all rows have (``common``) or on its own
    (``own``; :mod:`dsrs_core.evaluation.common_inputs`).

    Raises
    ------
    FileNotFoundError
        ``data`` has no ``orig-radius`` folder, or a named model folder is missing.
    ValueError
        Nothing to compare (no new-radius file with its same-run orig-radius file), or no
        instance is common to every row.
    """
    root = data / "orig-radius"
    if not root.is_dir():
        raise FileNotFoundError(f"{data} has no orig-radius/ folder")
    names = list(models) if models else sorted(p.name for p in root.iterdir() if p.is_dir())
    comparisons = []
    for name in names:
        if not (root / name).is_dir():
            raise FileNotFoundError(f"no orig-radius folder for model {name!r} under {data}")
        found = _model_comparison(root / name, data / "new-radius" / name, name, q_filter)
        if found is not None:
            comparisons.append(found)
    if not comparisons:
        raise ValueError(
            f"nothing to compare under {data}: need new-radius files with the orig-radius "
            "file of their P run" + (f" (Q filter {', '.join(q_filter)})" if q_filter else "")
        )
    methods = [(c.configuration, method, radii) for c in comparisons for method, radii in c.methods]
    shared, coverage = common_inputs(
        [(f"{configuration} {method}", radii) for configuration, method, radii in methods], inputs
    )

    def used(radii: dict[int, float]) -> list[float]:
        return [radii[i] for i in sorted(radii) if inputs != COMMON or i in shared]

    table = list(at) if at else table_radii([used(radii) for *_, radii in methods])
    rows = [
        comparison_row(
            configuration,
            coverage.label(method, len(radii)),
            used(radii),
            table,
            confidence=confidence,
            available_inputs=len(radii),
        )
        for configuration, method, radii in methods
    ]
    repeated = sum(c.repeated for c in comparisons)
    note = (
        f"{repeated} index line(s) repeat an index already in their file: the smallest "
        "radius of an index counts."
        if repeated
        else ""
    )
    return rows, coverage, note
