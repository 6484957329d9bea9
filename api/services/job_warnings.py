"""What looks wrong about a job that is still allowed to run: said once, kept with the job,
shown by the CLI and the dashboard, before hours of sampling are spent on it.

The warnings about the parameters are the budget plan's
(:func:`dsrs_core.evaluation.job_config.budget_plan`,
what ``GET /v1/plan``, ``dsrs plan`` and the New job form's preview say): one rule, so a
plan and the submission of the same job warn alike, under the same CPU budget
(``DSRS_PLAN_CPU_BUDGET_S``): a plan part left out is named in a warning instead of the
warnings it would have given. Added here: inputs outside [0, 1]."""

from __future__ import annotations

from dsrs_client.contract import JobCreate
from dsrs_core.evaluation.job_config import budget_plan, certification_config
from dsrs_core.evaluation.proof_check import proof_scope_warnings
from dsrs_store.tables import InputSetRecord

__all__ = ["job_warnings"]

#: The interval the noise levels are meant for (inputs are images scaled to [0, 1]).
INPUT_RANGE = (0.0, 1.0)


def job_warnings(
    request: JobCreate,
    input_set: InputSetRecord | None,
    dimension: int,
    cpu_budget_s: float | None = None,
) -> list[str]:
    """Warnings for ``request`` on ``input_set`` (None: a built-in dataset, in [0, 1]) of
    inputs of ``dimension``; the plan behind them spends about ``cpu_budget_s`` of CPU at
    most (None: no limit)."""
    plan = budget_plan(request.parameters(), dimension, cpu_budget_s=cpu_budget_s)
    warnings = list(plan.warnings)
    if request.check == "proven":
        warnings += proof_scope_warnings(certification_config(request.parameters()), dimension)
    low, high = INPUT_RANGE
    lowest = None if input_set is None else input_set.value_min
    highest = None if input_set is None else input_set.value_max
    if lowest is not None and highest is not None and (lowest < low or highest > high):
        warnings.append(
            f"the inputs range over [{lowest:g}, {highest:g}], not [{low:g}, {high:g}]: σ is "
            "in input units and models expect images in [0, 1] with normalisation inside "
            "(scale 0-255 pixels by 1/255)"
        )
    return warnings
