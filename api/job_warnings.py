"""What looks wrong about a job that is still allowed to run: said once, kept with the job,
shown by the CLI and the dashboard, before hours of sampling are spent on it."""

from __future__ import annotations

from dsrs_client.contract import JobCreate
from dsrs_store.tables import InputSetRecord

__all__ = ["job_warnings"]

#: The interval the noise levels are meant for (inputs are images scaled to [0, 1]).
INPUT_RANGE = (0.0, 1.0)


def job_warnings(request: JobCreate, input_set: InputSetRecord | None) -> list[str]:
    """Warnings for ``request`` on ``input_set`` (None: a built-in dataset, in [0, 1])."""
    warnings = []
    sigma = request.noise.sigma
    if request.q is not None and request.q.sigma is not None and request.q.sigma >= sigma:
        warnings.append(
            f"σ_Q = {request.q.sigma:g} ≥ σ = {sigma:g}: a Q at least as wide as P cannot "
            "certify beyond the Neyman-Pearson radius, and its draws double the cost "
            f"(the paper uses σ_Q = 0.8 σ = {0.8 * sigma:g})"
        )
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
