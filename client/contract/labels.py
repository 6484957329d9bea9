"""Short texts that name a job's parameters the same way on every surface (command-line
tables, ``jobs show``, comparison labels): Q, and the sampling rule with the share of the
fixed-N budget a sequential job used."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_client.contract.job_parameters import JobParameters, QIn

__all__ = ["TARGET_FORM_NOTE", "check_label", "is_target_form", "q_label", "sampling_label"]

#: Said wherever a target-form sequential job's ACR sits next to a fixed-N one.
TARGET_FORM_NOTE = (
    "a sequential job with target radii stops each input once it is certified at the targets, "
    "so its ACR (and radii beyond the targets) is not comparable with a fixed-N job's"
)


def q_label(q: QIn | None) -> str:
    """``sigma_Q=0.2``, ``threshold=x+`` or ``none (NP only)``."""
    if q is None:
        return "none (NP only)"
    if q.sigma is not None:
        return f"sigma_Q={q.sigma:g}"
    return f"threshold={q.threshold}"


def sampling_label(
    parameters: JobParameters, used: int | None = None, budget: int | None = None
) -> str:
    """``fixed N``, or ``sequential (targets 0.3), 21.9 % of passes`` (the share when the
    forward passes ``used`` and the fixed-N ``budget`` of the same inputs are given)."""
    sequential = parameters.sequential
    if sequential is None:
        return "fixed N"
    if sequential.target_radii:
        rule = "targets " + ", ".join(f"{r:g}" for r in sequential.target_radii)
    else:
        rule = f"tolerance {sequential.tolerance:g}"
    share = f", {100 * used / budget:.1f} % of passes" if used is not None and budget else ""
    return f"sequential ({rule}){share}"


def check_label(check: str) -> str:
    """``verified`` or ``proven (NP radii, proof mode)``: how a job's radii are checked."""
    if check == "proven":
        return "proven (NP radii in interval arithmetic; DSRS radii verified)"
    return "verified (certifying check)"


def is_target_form(parameters: JobParameters) -> bool:
    """Sequential with target radii: inputs stop once certified at the targets."""
    return parameters.sequential is not None and bool(parameters.sequential.target_radii)
