"""Job-level aggregates for the dashboard, computed in one pass over five columns.

Counting follows docs/math.md §6 and :func:`dsrs_api.services.job_reports.summary`: an
abstention (and, with labels, a wrong prediction) never counts; the DSRS radius of an input is
``max(np_radius, dsrs_radius)``; the denominator is every input certified so far.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dsrs_api.dashboard.schemas import Curve, GainHistogram, Overview
from dsrs_client.contract import CertifiedAccuracyRow
from dsrs_core.benign_accuracy import smoothed_prediction_correct
from dsrs_core.equal_budget import EQUAL_BUDGET, SAME_RUN, same_cost_baseline
from dsrs_core.evaluation import (
    average_certified_radius,
    certified_accuracy,
    counted_radii,
    forward_passes,
    largest_radius,
)
from dsrs_store import repository
from dsrs_store.tables import SampleRecord

__all__ = [
    "CURVE_POINTS",
    "GAIN_BINS",
    "TABLE_STEP",
    "OverviewCache",
    "job_overview",
    "overview_from_columns",
]

#: Radii at which the plotted curve is evaluated (uniform from 0 to the largest radius).
CURVE_POINTS = 201
#: The curve's radii run to this multiple of the largest certified radius.
CURVE_OVERSHOOT = 1.05
#: Bins of the DSRS-gain histogram.
GAIN_BINS = 20
#: Spacing of the printed certified-accuracy table (as in the paper's tables).
TABLE_STEP = 0.25
#: A gain below this is "no gain": it only absorbs the radius search's own resolution.
GAIN_FLOOR = 1e-6


@dataclass(frozen=True)
class Columns:
    label: np.ndarray  # float, NaN where unlabelled
    prediction: np.ndarray  # float, NaN where abstained
    counted_label: np.ndarray
    p_count: np.ndarray
    p_n: np.ndarray
    np_radius: np.ndarray
    dsrs_radius: np.ndarray  # float, NaN where not computed
    baseline_p_lower: np.ndarray  # float, NaN where the equal-budget baseline was not drawn
    baseline_np_radius: np.ndarray
    q_n: np.ndarray | None = None  # draws used under Q, NaN where none
    extra_n: np.ndarray | None = None  # equal-budget baseline's extra P draws, NaN where none


class OverviewCache:
    """Overviews keyed by (job, status, stored rows): sample rows are only ever inserted,
    never changed, so an unchanged key means an unchanged overview. A finished job's page
    is then served without reading its rows again; a running job's is recomputed only
    when rows were added."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str, int], Overview] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, job_id: str) -> Overview:
        job = repository.get_job(session, job_id)
        rows = session.scalar(
            select(func.count()).select_from(SampleRecord).where(SampleRecord.job_id == job_id)
        )
        key = (job_id, job.status, int(rows or 0))
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        overview = job_overview(session, job_id)
        with self._lock:
            self._entries[key] = overview
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return overview


def job_overview(session: Session, job_id: str) -> Overview:
    job = repository.get_job(session, job_id)
    rows = session.execute(
        select(
            SampleRecord.label,
            SampleRecord.prediction,
            SampleRecord.counted_label,
            SampleRecord.p_count,
            SampleRecord.p_n,
            SampleRecord.np_radius,
            SampleRecord.dsrs_radius,
            SampleRecord.baseline_p_lower,
            SampleRecord.baseline_np_radius,
            SampleRecord.q_n,
            SampleRecord.baseline_extra_n,
        ).where(SampleRecord.job_id == job_id)
    ).all()
    # Column by column: ten times faster than one 2-D array from the row tuples; None → NaN.
    values = [np.array(column, dtype=float) for column in zip(*rows, strict=True)] or [np.empty(0)] * 11
    (label, prediction, counted_label, p_count, p_n, np_radius, dsrs_radius, baseline_p_lower,
     baseline_np_radius, q_n, extra_n) = values
    columns = Columns(
        label=label,
        prediction=prediction,
        counted_label=counted_label,
        p_count=p_count,
        p_n=p_n,
        np_radius=np_radius,
        dsrs_radius=dsrs_radius,
        baseline_p_lower=baseline_p_lower,
        baseline_np_radius=baseline_np_radius,
        q_n=q_n,
        extra_n=extra_n,
    )
    return overview_from_columns(
        columns,
        job_id=job.id,
        status=job.status,
        total=job.total,
        mode=job.mode,
        uses_q=job.parameters.q is not None,
        selection_draws=job.parameters.n_selection if job.mode == "predict" else 0,
        draws_per_input=job.parameters.draws_per_input(job.mode),
        baseline=same_cost_baseline(job.parameters.baseline),
    )


def overview_from_columns(
    columns: Columns,
    *,
    job_id: str,
    status: str,
    total: int,
    mode: str,
    uses_q: bool,
    selection_draws: int = 0,
    draws_per_input: int = 0,
    baseline: str = EQUAL_BUDGET,
) -> Overview:
    samples = len(columns.np_radius)
    has_label = ~np.isnan(columns.label)
    labelled = samples > 0 and bool(has_label.all())
    abstained = np.isnan(columns.prediction)
    np_radius = counted_radii(columns.prediction, columns.label, columns.np_radius)
    dsrs_radius = counted_radii(
        columns.prediction, columns.label, columns.np_radius, columns.dsrs_radius
    )
    # The same-cost NP baseline (when drawn for every input; ``baseline`` names it): its
    # certificate predicts the counted class when its own lower bound is above 1/2
    # (dsrs_api.services.job_reports.job_radii).
    has_equal = samples > 0 and not np.isnan(columns.baseline_np_radius).any()
    pooled_prediction = np.where(columns.baseline_p_lower > 0.5, columns.counted_label, np.nan)
    equal_radius = counted_radii(pooled_prediction, columns.label, columns.baseline_np_radius)
    largest = max(largest_radius(np_radius), largest_radius(dsrs_radius),
                  largest_radius(equal_radius) if has_equal else 0.0)
    # A little past the largest radius, so that the plot shows every curve reaching 0.
    grid = np.linspace(0.0, largest * CURVE_OVERSHOOT, CURVE_POINTS) if largest else np.zeros(1)
    steps = np.round(np.arange(0.0, largest + TABLE_STEP / 2, TABLE_STEP), 10)
    np_table = certified_accuracy(np_radius, steps)
    dsrs_table = certified_accuracy(dsrs_radius, steps)
    equal_table = certified_accuracy(equal_radius, steps) if has_equal else [None] * len(steps)
    return Overview(
        job_id=job_id,
        status=status,
        samples=samples,
        total=total,
        labelled=labelled,
        metric="certified_accuracy" if labelled else "certified_fraction",
        uses_q=uses_q,
        abstained=int(abstained.sum()),
        abstain_rate=float(abstained.mean()) if samples else 0.0,
        clean_accuracy=_clean_accuracy(columns, has_label, mode),
        acr_np=average_certified_radius(np_radius),
        acr_dsrs=average_certified_radius(dsrs_radius) if uses_q else None,
        acr_np_equal_budget=average_certified_radius(equal_radius) if has_equal else None,
        baseline=baseline if has_equal else SAME_RUN,
        max_radius_np=largest_radius(np_radius),
        max_radius_dsrs=largest_radius(dsrs_radius) if uses_q else None,
        curve=Curve(
            radius=[round(float(r), 6) for r in grid],
            np=_rounded(certified_accuracy(np_radius, grid)),
            dsrs=_rounded(certified_accuracy(dsrs_radius, grid)) if uses_q else None,
            np_equal_budget=_rounded(certified_accuracy(equal_radius, grid)) if has_equal else None,
        ),
        table=[
            CertifiedAccuracyRow(
                radius=float(r), np=a, dsrs=b if uses_q else None, np_equal_budget=c
            )
            for r, a, b, c in zip(steps, np_table, dsrs_table, equal_table, strict=True)
        ],
        # Against the job's NP baseline: equal-budget NP when it was drawn.
        gain=_gain_histogram(np.nan_to_num(equal_radius) if has_equal else np_radius, dsrs_radius)
        if uses_q
        else None,
        forward_passes=forward_passes(
            columns.p_n,
            columns.q_n if columns.q_n is not None else np.zeros(samples),
            selection_draws,
        )
        + (0 if columns.extra_n is None else int(np.nansum(columns.extra_n))),
        forward_passes_budget=samples * draws_per_input,
    )


def _rounded(values: list[float]) -> list[float]:
    """Six decimals are far below a pixel of the plot and keep the payload small."""
    return [round(v, 6) for v in values]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _clean_accuracy(columns: Columns, has_label: np.ndarray, mode: str) -> float | None:
    if not has_label.any():
        return None
    correct = smoothed_prediction_correct(
        "predict" if mode == "predict" else "evaluate",
        columns.label[has_label],
        columns.counted_label[has_label],
        columns.p_count[has_label],
        columns.p_n[has_label],
    )
    return float(np.mean(correct))


def _gain_histogram(np_radius: np.ndarray, dsrs_radius: np.ndarray) -> GainHistogram:
    """DSRS radius minus the baseline NP radius over the inputs DSRS counts. Against the
    same run the gain is never negative (DSRS's radius is at least NP's); against the
    equal-budget NP (0 where the pooled certificate does not count) it may be: losses are
    "unchanged" in the counts and lower the mean."""
    eligible = ~np.isnan(dsrs_radius)
    gain = dsrs_radius[eligible] - np_radius[eligible]
    positive = gain[gain > GAIN_FLOOR]
    top = float(positive.max()) if positive.size else 0.0
    counts, edges = np.histogram(positive, bins=GAIN_BINS, range=(0.0, top or 1.0))
    return GainHistogram(
        eligible=int(eligible.sum()),
        unchanged=int(eligible.sum() - positive.size),
        improved=int(positive.size),
        edges=[float(e) for e in edges],
        counts=[int(c) for c in counts],
        mean_gain=_mean(gain),
        max_gain=top,
    )
