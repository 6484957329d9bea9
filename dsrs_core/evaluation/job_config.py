"""The engine's config from a job's typed parameters: the one translation of the contract's
:class:`dsrs_client.contract.JobParameters` into :class:`~dsrs_core.config.CertificationConfig`
(used by the API to validate a request, the worker and the command line) and into a budget
plan (``GET /v1/plan``, ``dsrs plan``).

The engine does not import the contract (pydantic): it reads the parameters' attributes.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch, SequentialSpec
from dsrs_core.evaluation.budget_plan import BudgetPlan, plan_budget, sequential_saving
from dsrs_core.numerics.root_finding import DeadlineExceeded

if TYPE_CHECKING:
    from dsrs_client.contract import JobParameters

__all__ = ["budget_plan", "certification_config"]


def certification_config(parameters: JobParameters) -> CertificationConfig:
    """Build (and so validate) the engine's config of ``parameters``.

    Raises
    ------
    dsrs_core.errors.InvalidParameterError
        A value out of range; the message says what is allowed.
    """
    p, q, search = _specs(parameters)
    return CertificationConfig(
        p=p,
        q=q,
        n_selection=parameters.n_selection,
        n=parameters.n,
        alpha=parameters.alpha,
        search=search,
        sequential=_sequential(parameters),
    )


def budget_plan(
    parameters: JobParameters,
    dimension: int,
    target_radius: float | None = None,
    cpu_budget_s: float | None = None,
) -> BudgetPlan:
    """The best-case radii and cost of ``parameters`` for inputs of dimension ``dimension``
    (:func:`dsrs_core.evaluation.budget_plan.plan_budget`; ``n_selection`` may be 0:
    evaluate mode) and, with ``target_radius``, the predicted cost of sequential sampling in
    target-radius form (:func:`dsrs_core.evaluation.budget_plan.sequential_saving`).
    ``GET /v1/plan`` and ``dsrs plan`` both answer with it. With ``cpu_budget_s`` the whole
    plan spends about that much CPU at most: a part that would need more is left out (None)
    and a warning says so."""
    started = time.thread_time()
    p, q, search = _specs(parameters)
    plan = plan_budget(
        p,
        dimension,
        parameters.n,
        parameters.alpha,
        q,
        n_selection=parameters.n_selection,
        search=search,
        cpu_budget_s=cpu_budget_s,
    )
    if plan.left_out:
        plan = replace(plan, warnings=(*plan.warnings, _left_out(plan.left_out, cpu_budget_s)))
    if target_radius is None:
        return plan
    left = None if cpu_budget_s is None else cpu_budget_s - (time.thread_time() - started)
    try:
        if left is not None and left <= 0:
            raise DeadlineExceeded
        savings = sequential_saving(
            certification_config(parameters), dimension, target_radius, cpu_budget_s=left
        )
    except DeadlineExceeded:
        prediction = f"the sequential-sampling prediction at target radius {target_radius:g}"
        warning = _left_out((prediction,), cpu_budget_s)
        return replace(plan, target_radius=target_radius, warnings=(*plan.warnings, warning))
    return replace(plan, target_radius=target_radius, sequential_saving=tuple(savings))


def _left_out(parts: tuple[str, ...], cpu_budget_s: float | None) -> str:
    """The warning of a plan whose CPU budget left ``parts`` out."""
    return (
        f"{' and '.join(parts)} {'was' if len(parts) == 1 else 'were'} left out: "
        f"{'it needs' if len(parts) == 1 else 'they need'} more than the {cpu_budget_s:g} s "
        "of CPU this service spends on one plan (DSRS_PLAN_CPU_BUDGET_S); `dsrs plan` "
        "computes the whole plan on your machine"
    )


def _specs(parameters: JobParameters) -> tuple[NoiseSpec, QSpec | None, RadiusSearch]:
    noise, q, search = parameters.noise, parameters.q, parameters.radius_search
    return (
        NoiseSpec(family=noise.family, sigma=noise.sigma, k=noise.k),
        None if q is None else QSpec(sigma=q.sigma, threshold=q.threshold),
        RadiusSearch(
            method=search.method, unit=search.unit, tolerance=search.tolerance, mode=search.mode
        ),
    )


def _sequential(parameters: JobParameters) -> SequentialSpec | None:
    sequential = parameters.sequential
    if sequential is None:
        return None
    return SequentialSpec(
        target_radii=tuple(sequential.target_radii),
        tolerance=sequential.tolerance,
        levels=tuple(sequential.levels),
        first_look=sequential.first_look,
        growth=sequential.growth,
        final_share=sequential.final_share,
    )
