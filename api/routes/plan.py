"""``GET /v1/plan``: best-case radii and cost of a budget
(:mod:`dsrs_core.evaluation.budget_plan`)."""

from __future__ import annotations

from math import prod
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import ValidationError

from dsrs_api.dependencies import SessionDep, SettingsDep
from dsrs_api.errors import InvalidRequestError
from dsrs_client.contract import (
    DEFAULT_ALPHA,
    DEFAULT_N_SELECTION,
    DEFAULT_RADIUS_UNIT,
    MAX_COUNT,
    MAX_DIMENSION,
    MAX_K,
    MAX_RADIUS,
    MAX_RADIUS_UNIT,
    MAX_SIGMA,
    MIN_ALPHA,
    MIN_RADIUS_UNIT,
    MIN_SIGMA,
    NoiseFamily,
    PlanOut,
    RadiusMode,
    plan_parameters,
)
from dsrs_core.evaluation.job_config import budget_plan
from dsrs_store import repository

__all__ = ["router"]

router = APIRouter(prefix="/v1/plan", tags=["plan"])


@router.get("", response_model=PlanOut)
def plan(
    session: SessionDep,
    settings: SettingsDep,
    sigma: Annotated[
        float, Query(ge=MIN_SIGMA, le=MAX_SIGMA, description="User-facing sigma of P")
    ],
    n: Annotated[int, Query(ge=1, le=MAX_COUNT, description="Draws under P (and under Q)")],
    family: NoiseFamily = "gaussian",
    k: Annotated[int, Query(ge=0, le=MAX_K)] = 0,
    dimension: Annotated[
        int | None, Query(ge=2, le=MAX_DIMENSION, description="Input dimension d")
    ] = None,
    model_id: Annotated[str | None, Query(description="Take d from this model")] = None,
    alpha: Annotated[float, Query(ge=MIN_ALPHA, lt=1)] = DEFAULT_ALPHA,
    n_selection: Annotated[
        int, Query(ge=0, le=MAX_COUNT, description="Selection draws n0 (predict mode)")
    ] = DEFAULT_N_SELECTION,
    q_sigma: Annotated[float | None, Query(ge=MIN_SIGMA, le=MAX_SIGMA)] = None,
    q_threshold: Annotated[
        str | None, Query(max_length=32, description="Percentile in (0, 1), or x / x+")
    ] = None,
    radius_unit: Annotated[
        float, Query(ge=MIN_RADIUS_UNIT, le=MAX_RADIUS_UNIT)
    ] = DEFAULT_RADIUS_UNIT,
    search_mode: RadiusMode = "exact",
    target_radius: Annotated[
        float | None,
        Query(
            gt=0,
            le=MAX_RADIUS,
            description="Also predict what sequential sampling (target-radius form) spends "
            "per input, by agreement rate, against the fixed-N budget",
        ),
    ] = None,
) -> PlanOut:
    if (dimension is None) == (model_id is None):
        raise InvalidRequestError("give exactly one of 'dimension' or 'model_id'")
    if model_id is not None:
        dimension = prod(repository.get_model(session, model_id).input_shape)
    assert dimension is not None
    if n_selection < 0:
        raise InvalidRequestError(f"n_selection must not be negative, got {n_selection}")
    try:
        parameters = plan_parameters(
            family=family,
            sigma=sigma,
            k=k,
            n=n,
            alpha=alpha,
            n_selection=n_selection,
            q_sigma=q_sigma,
            q_threshold=q_threshold,
            radius_unit=radius_unit,
            search_mode=search_mode,
        )
    except ValidationError:
        raise InvalidRequestError(
            f"q_threshold must be a percentile in (0, 1) or one of x, x+; got {q_threshold!r}"
        ) from None
    return PlanOut.model_validate(
        budget_plan(parameters, dimension, target_radius, settings.plan_cpu_budget_s)
    )
