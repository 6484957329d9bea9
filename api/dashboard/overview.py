"""Job-level aggregates for the dashboard, computed in one pass over five columns.

Every figure is the summary's (:func:`dsrs_core.evaluation.job_summary.job_figures`, docs/math.md
§6: an abstention, and with labels a wrong prediction, never counts; the DSRS radius of an
input is ``max(np_radius, dsrs_radius)``; the denominator is every input certified so far);
the curve and the gain histogram are the page's own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dsrs_api.dashboard.schemas import Curve, GainHistogram, Overview
from dsrs_client.contract import CertifiedAccuracyRow
from dsrs_core.evaluation.equal_budget import EQUAL_BUDGET
from dsrs_core.evaluation.job_summary import JobShape, ResultColumns, job_figures
from dsrs_core.evaluation.proof_check import proof_counts
from dsrs_core.evaluation.radius_counting import certified_accuracy, largest_radius
from dsrs_store import repository
from dsrs_store.tables import SampleRecord

__all__ = [
    "CURVE_POINTS",
    "GAIN_BINS",
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
#: A gain below this is "no gain": it only absorbs the radius search's own resolution.
GAIN_FLOOR = 1e-6


#: The columns of a job's rows the overview reads (the summary's).
Columns = ResultColumns


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
    fields = [getattr(SampleRecord, name) for name in ResultColumns.names()]
    rows = session.execute(select(*fields).where(SampleRecord.job_id == job_id)).all()
    shape = JobShape.of(job.parameters, job.mode)
    overview = overview_from_columns(
        ResultColumns.from_values(rows),
        job_id=job.id,
        status=job.status,
        total=job.total,
        mode=job.mode,
        uses_q=shape.uses_q,
        selection_draws=shape.selection_draws,
        draws_per_input=shape.draws_per_input,
        baseline=shape.baseline,
    )
    if job.parameters.check != "proven":
        return overview
    outcomes = session.scalars(
        select(SampleRecord.check_outcome).where(SampleRecord.job_id == job_id)
    ).all()
    return overview.model_copy(update={"proof_outcomes": proof_counts(outcomes)})


def overview_from_columns(
    columns: ResultColumns,
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
    shape = JobShape(uses_q, mode, selection_draws, draws_per_input, baseline)
    figures = job_figures(columns, shape)
    radii = figures.radii
    np_radius = radii.np
    dsrs_radius = radii.dsrs
    equal_radius = radii.same_cost
    samples = figures.inputs
    largest = radii.largest()
    # A little past the largest radius, so that the plot shows every curve reaching 0.
    grid = np.linspace(0.0, largest * CURVE_OVERSHOOT, CURVE_POINTS) if largest else np.zeros(1)
    equal_table = figures.same_cost.accuracy if figures.same_cost else [None] * len(figures.at)
    dsrs_table = figures.dsrs.accuracy if figures.dsrs else [None] * len(figures.at)
    return Overview(
        job_id=job_id,
        status=status,
        samples=samples,
        total=total,
        labelled=radii.labelled,
        metric="certified_accuracy" if radii.labelled else "certified_fraction",
        uses_q=uses_q,
        abstained=figures.abstained,
        abstain_rate=figures.abstained / samples if samples else 0.0,
        clean_accuracy=figures.np.benign.value if figures.np.benign else None,
        acr_np=figures.np.acr.value,
        acr_dsrs=figures.dsrs.acr.value if figures.dsrs else None,
        acr_np_equal_budget=figures.same_cost.acr.value if figures.same_cost else None,
        baseline=figures.baseline,
        max_radius_np=largest_radius(np_radius),
        max_radius_dsrs=largest_radius(dsrs_radius) if dsrs_radius is not None else None,
        curve=Curve(
            radius=[round(float(r), 6) for r in grid],
            np=_rounded(certified_accuracy(np_radius, grid)),
            dsrs=_rounded(certified_accuracy(dsrs_radius, grid))
            if dsrs_radius is not None
            else None,
            np_equal_budget=_rounded(certified_accuracy(equal_radius, grid))
            if equal_radius is not None
            else None,
        ),
        table=[
            CertifiedAccuracyRow(
                radius=float(r),
                np=a.value,
                dsrs=b.value if b else None,
                np_equal_budget=c.value if c else None,
            )
            for r, a, b, c in zip(
                figures.at, figures.np.accuracy, dsrs_table, equal_table, strict=True
            )
        ],
        # Against the job's NP baseline: equal-budget NP when it was drawn.
        gain=_gain_histogram(
            np.nan_to_num(equal_radius) if equal_radius is not None else np_radius, dsrs_radius
        )
        if dsrs_radius is not None
        else None,
        forward_passes=figures.forward_passes,
        forward_passes_budget=figures.forward_passes_budget,
    )


def _rounded(values: list[float]) -> list[float]:
    """Six decimals are far below a pixel of the plot and keep the payload small."""
    return [round(v, 6) for v in values]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


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
