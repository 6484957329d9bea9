"""What a job's result rows add up to, in one place (docs/math.md §6): the counted radii of
every certificate and baseline, the radii of the printed table, the forward passes against
the fixed-N budget, and the figures with their intervals.

Every surface computes a job's numbers here, on columns of its result rows
(:class:`ResultColumns`): the API summary, the dashboard overview, the compare endpoint, the
exports and every command-line table. So they cannot disagree.

Table radii
-----------
By default a table is given at ``0, 0.25, 0.5, …`` (:data:`TABLE_RADIUS_STEP`, as the papers'
tables) up to the last multiple of the step that some counted radius reaches — with the
counting tolerance :data:`~dsrs_core.evaluation.radius_counting.RADIUS_MATCH_TOLERANCE`, so
a radius of 0.499996 gives a 0.5 column (where it counts) and no column lies past every
radius (where every figure is 0) — and at most :data:`MAX_TABLE_RADII` radii. Paper-style
comparison tables start at one step: their R = 0 column is benign accuracy
(:func:`paper_table_radii`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dsrs_core.evaluation.accuracy_intervals import (
    DEFAULT_CONFIDENCE,
    CertifiedFigures,
    certified_figures,
)
from dsrs_core.evaluation.benign_accuracy import smoothed_prediction_correct
from dsrs_core.evaluation.equal_budget import EQUAL_BUDGET, SAME_RUN, same_cost_baseline
from dsrs_core.evaluation.radius_counting import (
    RADIUS_MATCH_TOLERANCE,
    counted_radii,
    forward_passes,
    largest_radius,
)

__all__ = [
    "MAX_TABLE_RADII",
    "TABLE_RADIUS_STEP",
    "JobFigures",
    "JobRadii",
    "JobShape",
    "ResultColumns",
    "baseline_prediction",
    "fixed_n_draws",
    "forward_passes_spent",
    "job_figures",
    "job_radii",
    "paper_table_radii",
    "selection_draws",
    "table_radii",
]

#: Spacing of the default table radii (the papers' tables).
TABLE_RADIUS_STEP = 0.25
#: At most this many table radii (a requested list, or the default one).
MAX_TABLE_RADII = 200

#: Counted radii, one per input (NaN: none counts).
Radii = NDArray[np.float64]


@dataclass(frozen=True)
class ResultColumns:
    """Columns of a job's result rows, one entry per input, as floats (NaN where a row
    holds None: no label, an abstention, no Q run, no same-cost baseline)."""

    label: NDArray[np.float64]
    prediction: NDArray[np.float64]
    counted_label: NDArray[np.float64]
    p_count: NDArray[np.float64]
    p_n: NDArray[np.float64]
    np_radius: NDArray[np.float64]
    dsrs_radius: NDArray[np.float64]
    baseline_p_lower: NDArray[np.float64]
    baseline_np_radius: NDArray[np.float64]
    q_n: NDArray[np.float64]
    baseline_extra_n: NDArray[np.float64]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The row fields read, in order (the names of result rows and of their table)."""
        return tuple(field.name for field in fields(cls))

    @classmethod
    def from_values(cls, rows: Iterable[Sequence[Any]]) -> ResultColumns:
        """From tuples of the fields in :meth:`names` order (a database query's rows)."""
        # Column by column: ten times faster than one 2-D array from the tuples; None → NaN.
        columns = [np.array(column, dtype=float) for column in zip(*rows, strict=True)]
        return cls(*(columns or [np.empty(0)] * len(cls.names())))

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> ResultColumns:
        """From result rows with these fields as attributes (stored rows, ``SampleOut``)."""
        names = cls.names()
        return cls.from_values([tuple(getattr(row, name) for name in names) for row in rows])

    def __len__(self) -> int:
        return len(self.np_radius)


def baseline_prediction(counted_label: Any, baseline_p_lower: Any) -> NDArray[np.float64]:
    """What the same-cost NP certificate predicts: the counted class where its own lower
    bound (pooled, or its own sequential run's) is above 1/2, an abstention (NaN)
    otherwise — independently of the job's P run."""
    p_lower = np.asarray(baseline_p_lower, dtype=float)
    return np.where(p_lower > 0.5, np.asarray(counted_label, dtype=float), np.nan)


@dataclass(frozen=True)
class JobRadii:
    """The counted radii (NaN: never counts) per certificate — NP of the same run, DSRS
    (None without Q), the same-cost NP baseline (None unless every row has it) — and, with
    labels on every row, whether the smoothed classifier predicts each input correctly."""

    np: Radii
    dsrs: Radii | None
    same_cost: Radii | None
    benign: list[bool] | None
    labelled: bool

    def largest(self) -> float:
        """The largest counted radius of any certificate, 0 when none counts."""
        held = (self.np, self.dsrs, self.same_cost)
        return max(largest_radius(radii) for radii in held if radii is not None)


def job_radii(columns: ResultColumns, *, uses_q: bool, mode: str | None) -> JobRadii:
    """:class:`JobRadii` of ``columns`` by the one counting rule (:func:`counted_radii`).

    ``mode`` ("predict" or "evaluate") decides which draws make the smoothed prediction
    (:func:`smoothed_prediction_correct`); None: benign accuracy is not computed."""
    labelled = len(columns) > 0 and not np.isnan(columns.label).any()
    same_cost = None
    if len(columns) and not np.isnan(columns.baseline_np_radius).any():
        predicted = baseline_prediction(columns.counted_label, columns.baseline_p_lower)
        same_cost = counted_radii(predicted, columns.label, columns.baseline_np_radius)
    benign = None
    if labelled and mode is not None:
        correct = smoothed_prediction_correct(
            "predict" if mode == "predict" else "evaluate",
            columns.label,
            columns.counted_label,
            columns.p_count,
            columns.p_n,
        )
        benign = [bool(value) for value in np.atleast_1d(correct)]
    return JobRadii(
        np=counted_radii(columns.prediction, columns.label, columns.np_radius),
        dsrs=(
            counted_radii(columns.prediction, columns.label, columns.np_radius, columns.dsrs_radius)
            if uses_q
            else None
        ),
        same_cost=same_cost,
        benign=benign,
        labelled=labelled,
    )


def table_radii(largest: float, step: float = TABLE_RADIUS_STEP) -> list[float]:
    """``0, step, 2·step, …`` up to the last multiple of ``step`` that a counted radius of
    ``largest`` reaches (module docstring), at most :data:`MAX_TABLE_RADII` radii."""
    count = int((largest + RADIUS_MATCH_TOLERANCE) / step) + 1
    return [round(i * step, 10) for i in range(min(count, MAX_TABLE_RADII))]


def paper_table_radii(largest: float, step: float = TABLE_RADIUS_STEP) -> list[float]:
    """:func:`table_radii` without R = 0 (benign accuracy is that column of a paper-style
    table), at least one radius."""
    return table_radii(largest, step)[1:] or [step]


def fixed_n_draws(n: int, uses_q: bool, selection: int = 0, baseline_runs: int = 0) -> int:
    """Forward passes per input at most under fixed-N sampling (the fixed-N budget):
    ``selection`` draws that choose the class (predict mode), ``n`` under P, ``n`` under Q
    when there is one, and ``n`` per run of a same-cost baseline (equal-budget: 1,
    sequential-np: 2). The contract states it for clients that do not import the engine
    (``JobParameters.draws_per_input``, tested equal)."""
    return selection + n * ((2 if uses_q else 1) + baseline_runs)


def selection_draws(mode: str, n_selection: int) -> int:
    """Selection draws per input: ``n_selection`` in predict mode, none in evaluate mode."""
    return n_selection if mode == "predict" else 0


@dataclass(frozen=True)
class JobFigures:
    """A job's figures at the table radii ``at``: per certificate (:class:`CertifiedFigures`,
    benign accuracy on the NP one), the same-cost baseline's name (``baseline``:
    :data:`SAME_RUN` when it was not drawn), abstentions, and forward passes — used, of
    them for the same-cost baseline, and the fixed-N budget of the same inputs."""

    radii: JobRadii
    at: list[float]
    np: CertifiedFigures
    dsrs: CertifiedFigures | None
    same_cost: CertifiedFigures | None
    baseline: str
    inputs: int
    abstained: int
    forward_passes: int
    forward_passes_baseline: int
    forward_passes_budget: int

    @property
    def acr_gain(self) -> float | None:
        """DSRS ACR minus the strongest NP baseline's (same cost when drawn, else same run)."""
        if self.dsrs is None:
            return None
        against = self.same_cost if self.same_cost is not None else self.np
        return self.dsrs.acr.value - against.acr.value


@dataclass(frozen=True)
class JobShape:
    """What of a job's parameters its figures depend on: whether it has Q, its mode, the
    selection draws and the fixed-N forward passes per input, and its ``baseline`` option."""

    uses_q: bool
    mode: str
    selection_draws: int = 0
    draws_per_input: int = 0
    baseline: str = EQUAL_BUDGET

    @classmethod
    def of(cls, parameters: Any, mode: str) -> JobShape:
        """From a job's ``dsrs_client.contract.JobParameters`` (read by attribute: the
        engine does not import the contract) and its ``mode``; ``mode="evaluate"`` for a
        predict job leaves its selection draws out."""
        return cls(
            uses_q=parameters.q is not None,
            mode=mode,
            selection_draws=selection_draws(mode, parameters.n_selection),
            draws_per_input=parameters.draws_per_input(mode),
            baseline=parameters.baseline,
        )

    @classmethod
    def of_config(cls, config: Any, mode: str) -> JobShape:
        """From an engine ``CertificationConfig`` (a local run: no same-cost baseline)."""
        selection = selection_draws(mode, config.n_selection)
        uses_q = config.q is not None
        return cls(uses_q, mode, selection, fixed_n_draws(config.n, uses_q, selection), SAME_RUN)


def forward_passes_spent(columns: ResultColumns, shape: JobShape) -> tuple[int, int, int]:
    """Forward passes of the rows: all used (P, Q, the same-cost baseline's extra P draws,
    and ``n_selection`` per input in predict mode), those of the baseline, and the fixed-N
    budget of as many inputs (``JobParameters.draws_per_input``; sequential inputs may stop
    short of it). In evaluate mode neither counts selection draws."""
    baseline = int(np.nansum(columns.baseline_extra_n))
    used = forward_passes(columns.p_n, columns.q_n, shape.selection_draws) + baseline
    return used, baseline, len(columns) * shape.draws_per_input


def job_figures(
    columns: ResultColumns,
    shape: JobShape,
    at: Sequence[float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> JobFigures:
    """The figures of a job (:class:`JobShape`) from its rows' ``columns``, at the
    radii ``at`` (default :func:`table_radii` of the largest counted radius)."""
    radii = job_radii(columns, uses_q=shape.uses_q, mode=shape.mode)
    table = list(at) if at else table_radii(radii.largest())

    def figures(values: Radii | None) -> CertifiedFigures | None:
        if values is None:
            return None
        return certified_figures(values, table, None, confidence)

    used, baseline_passes, budget = forward_passes_spent(columns, shape)
    return JobFigures(
        radii=radii,
        at=table,
        np=certified_figures(radii.np, table, radii.benign, confidence),
        dsrs=figures(radii.dsrs),
        same_cost=figures(radii.same_cost),
        baseline=same_cost_baseline(shape.baseline) if radii.same_cost is not None else SAME_RUN,
        inputs=len(columns),
        abstained=int(np.isnan(columns.prediction).sum()),
        forward_passes=used,
        forward_passes_baseline=baseline_passes,
        forward_passes_budget=budget,
    )
