"""The per-sample table of the job page: sorted, filtered and paginated in the database."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from dsrs_api.dashboard.schemas import SampleTablePage
from dsrs_client.contract import SampleOut
from dsrs_store import repository
from dsrs_store.tables import SampleRecord

__all__ = ["FILTERS", "SORT_KEYS", "sample_table_page"]

Filter = Literal["all", "abstained", "certified", "improved", "wrong"]
FILTERS: tuple[str, ...] = ("all", "abstained", "certified", "improved", "wrong")

#: DSRS's addition to the NP radius (0 where DSRS did not run or did not help).
GAIN = case(
    (
        SampleRecord.dsrs_radius > SampleRecord.np_radius,
        SampleRecord.dsrs_radius - SampleRecord.np_radius,
    ),
    else_=0.0,
)

SORT_KEYS: dict[str, ColumnElement[float] | ColumnElement[int]] = {
    "sample_index": SampleRecord.sample_index,
    "dataset_index": SampleRecord.dataset_index,
    "label": SampleRecord.label,
    "prediction": SampleRecord.prediction,
    "p_lower": SampleRecord.p_lower,
    "q_lower": SampleRecord.q_lower,
    "np_radius": SampleRecord.np_radius,
    "dsrs_radius": func.coalesce(SampleRecord.dsrs_radius, SampleRecord.np_radius),
    "gain": GAIN,
    "elapsed_s": SampleRecord.elapsed_s,
}


def _condition(name: str) -> ColumnElement[bool] | None:
    if name == "abstained":
        return SampleRecord.prediction.is_(None)
    if name == "certified":
        return and_(
            SampleRecord.prediction.is_not(None),
            or_(SampleRecord.label.is_(None), SampleRecord.prediction == SampleRecord.label),
        )
    if name == "improved":
        return GAIN > 0.0
    if name == "wrong":
        return and_(
            SampleRecord.prediction.is_not(None),
            SampleRecord.label.is_not(None),
            SampleRecord.prediction != SampleRecord.label,
        )
    return None


def sample_table_page(
    session: Session,
    job_id: str,
    *,
    sort: str,
    order: Literal["asc", "desc"],
    row_filter: str,
    offset: int,
    limit: int,
) -> SampleTablePage:
    """One page of the job's rows; NULLs sort last, ties break by sample index."""
    repository.get_job(session, job_id)
    key = SORT_KEYS[sort]
    where = [SampleRecord.job_id == job_id]
    condition = _condition(row_filter)
    if condition is not None:
        where.append(condition)
    total = session.scalar(select(func.count()).select_from(SampleRecord).where(*where)) or 0
    direction = key.desc() if order == "desc" else key.asc()
    query = (
        select(SampleRecord)
        .where(*where)
        .order_by(direction.nulls_last(), SampleRecord.sample_index)
        .offset(offset)
        .limit(limit)
    )
    rows = session.scalars(query).all()
    return SampleTablePage(
        job_id=job_id,
        total=int(total),
        offset=offset,
        limit=limit,
        sort=sort,
        order=order,
        items=[SampleOut.model_validate(row) for row in rows],
    )
