"""The engine's config from a job's typed parameters: the one translation of the contract's
:class:`dsrs_client.contract.JobParameters` into :class:`~dsrs_core.config.CertificationConfig`
(used by the API to validate a request, the worker and the command line) and into a budget
plan (``GET /v1/plan``, ``dsrs plan``).

The engine does not import the contract (pydantic): it reads the parameters' attributes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from dsrs_core.budget import BudgetPlan, SavingBudgetExceeded, plan_budget, sequential_saving
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch, SequentialSpec

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
    saving_cpu_budget_s: float | None = None,
) -> BudgetPlan:
    """The best-case radii and cost of ``parameters`` for inputs of dimension ``dimension``
    (:func:`dsrs_core.budget.plan_budget`; ``n_selection`` may be 0: evaluate mode) and,
    with ``target_radius``, the predicted cost of sequential sampling in target-radius form
    (:func:`dsrs_core.budget.sequential_saving`). ``GET /v1/plan`` and ``dsrs plan`` both
    answer with it. A prediction that needs more than ``saving_cpu_budget_s`` of CPU is
    left out (``sequential_saving`` None) and a warning says so."""
    p, q, search = _specs(parameters)
    plan = plan_budget(
        p, dimension, parameters.n, parameters.alpha, q,
        n_selection=parameters.n_selection, search=search,
    )
    if target_radius is None:
        return plan
    try:
        savings = sequential_saving(
            certification_config(parameters), dimension, target_radius,
            cpu_budget_s=saving_cpu_budget_s,
        )
    except SavingBudgetExceeded:
        warning = (
            f"the sequential-sampling prediction at target radius {target_radius:g} was left "
            f"out: it needs more than the {saving_cpu_budget_s:g} s of CPU this service "
            "spends on one plan (DSRS_PLAN_CPU_BUDGET_S)"
        )
        return replace(plan, target_radius=target_radius, warnings=(*plan.warnings, warning))
    return replace(plan, target_radius=target_radius, sequential_saving=tuple(savings))


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
