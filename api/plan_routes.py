"""``GET /v1/plan``: best-case radii and cost of a budget (:mod:`dsrs_core.budget`)."""

from __future__ import annotations

from math import prod
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dsrs_api.dependencies import get_session
from dsrs_api.errors import InvalidRequestError
from dsrs_core.budget import plan_budget
from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
from dsrs_store import repository

__all__ = ["PlanOut", "router"]

router = APIRouter(prefix="/v1/plan", tags=["plan"])

SessionDep = Annotated[Session, Depends(get_session)]


class PlanOut(BaseModel):
    """Largest radii certifiable when every draw agrees, and the cost per input."""

    np_max_radius: float
    dsrs_max_radius: float | None
    forward_passes_per_input: int
    best_p_lower: float
    best_q_lower: float | None
    dimension: int
    warnings: list[str]


@router.get("", response_model=PlanOut)
def plan(
    session: SessionDep,
    sigma: Annotated[float, Query(description="User-facing sigma of P")],
    n: Annotated[int, Query(description="Draws under P (and under Q)")],
    family: Literal["gaussian", "general-gaussian"] = "gaussian",
    k: int = 0,
    dimension: Annotated[int | None, Query(description="Input dimension d")] = None,
    model_id: Annotated[str | None, Query(description="Take d from this model")] = None,
    alpha: float = 0.001,
    n_selection: Annotated[int, Query(description="Selection draws n0 (predict mode)")] = 100,
    q_sigma: float | None = None,
    q_threshold: Annotated[str | None, Query(description="Percentile in (0, 1), or x / x+")] = None,
    radius_unit: float = 0.05,
    search_mode: Literal["exact", "original"] = "exact",
) -> PlanOut:
    if (dimension is None) == (model_id is None):
        raise InvalidRequestError("give exactly one of 'dimension' or 'model_id'")
    if model_id is not None:
        dimension = prod(repository.get_model(session, model_id).input_shape)
    assert dimension is not None
    if n_selection < 0:
        raise InvalidRequestError(f"n_selection must not be negative, got {n_selection}")
    q = None
    if q_sigma is not None or q_threshold is not None:
        q = QSpec(sigma=q_sigma, threshold=_threshold(q_threshold))
    result = plan_budget(
        NoiseSpec(family=family, sigma=sigma, k=k),
        dimension,
        n,
        alpha,
        q,
        n_selection=n_selection,
        search=RadiusSearch(unit=radius_unit, mode=search_mode),
    )
    return PlanOut(
        np_max_radius=result.np_max_radius,
        dsrs_max_radius=result.dsrs_max_radius,
        forward_passes_per_input=result.forward_passes_per_input,
        best_p_lower=result.best_p_lower,
        best_q_lower=result.best_q_lower,
        dimension=dimension,
        warnings=list(result.warnings),
    )


def _threshold(text: str | None) -> float | str | None:
    if text is None or text in ("x", "x+"):
        return text
    try:
        return float(text)
    except ValueError:
        raise InvalidRequestError(
            f"q_threshold must be a percentile in (0, 1) or one of x, x+; got {text!r}"
        ) from None
