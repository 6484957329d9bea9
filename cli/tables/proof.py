"""What proof mode (``check: "proven"``, docs/math.md §7.5) did to a set of inputs, as
``dsrs recertify``, ``dsrs certify-local`` and ``dsrs reproduce`` print it: the count per
outcome, the smallest enclosure among the proven radii (its lower end must be above 0),
and the CPU seconds per input. Rows are mappings of the result-row fields
:data:`dsrs_core.evaluation.proof_check.PROOF_ROW_FIELDS`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["proof_fields_of", "proof_outcomes_line", "proof_report_lines", "proof_row_line"]


def proof_outcomes_line(outcomes: Mapping[str, int]) -> str:
    """``proof mode (NP radii; ...): 3 proven, 1 fell back, ...`` (docs/math.md §7.5)."""
    counts = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
    return f"proof mode (NP radii; DSRS radii stay verified): {counts}"


def proof_fields_of(row: Any) -> dict[str, Any]:
    """The proof fields of a result row (a ``SampleOut`` or any object with them)."""
    from dsrs_core.evaluation.proof_check import PROOF_ROW_FIELDS

    return {name: getattr(row, name) for name in PROOF_ROW_FIELDS}


def proof_row_line(index: int, row: Mapping[str, Any]) -> str:
    """``index outcome proven_radius lower upper seconds`` (the enclosure of L − 1/2; ``nan``
    where there is none): one line of a proof file."""

    def number(value: float | None) -> str:
        return "nan" if value is None else repr(float(value))

    return " ".join(
        [
            str(index),
            str(row["check_outcome"]).replace(" ", "-"),
            number(row["proven_np_radius"]),
            number(row["proof_margin_lower"]),
            number(row["proof_margin_upper"]),
            number(row["proof_seconds"]),
        ]
    )


def proof_report_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Counts per outcome, the enclosures of the proven radii, CPU seconds per input."""
    import numpy as np

    from dsrs_core.evaluation.proof_check import is_proven, proof_counts

    counts = proof_counts(row["check_outcome"] for row in rows)
    lines = [f"{proof_outcomes_line(counts)} (of {len(rows)} input(s))"]
    enclosed = [
        row
        for row in rows
        if is_proven(row["check_outcome"]) and row["proof_margin_lower"] is not None
    ]
    if enclosed:
        low = min(enclosed, key=lambda row: row["proof_margin_lower"])
        high = max(row["proof_margin_upper"] for row in enclosed)
        unenclosed = sum(
            is_proven(row["check_outcome"])
            and (row["proven_np_radius"] or 0.0) > 0.0
            and not (row["proof_margin_lower"] or 0.0) > 0.0
            for row in rows
        )
        lines.append(
            f"L - 1/2 enclosed at the {len(enclosed)} proven nonzero radii: lower ends from "
            f"{low['proof_margin_lower']:+.3e}, upper ends up to {high:+.3e}; proven "
            f"without a lower end above 0: {unenclosed}"
        )
    seconds = np.array([row["proof_seconds"] or 0.0 for row in rows], dtype=float)
    if len(seconds):
        lines.append(
            f"proof CPU seconds per input: median {np.median(seconds):.2f}, p95 "
            f"{np.percentile(seconds, 95):.2f}, max {seconds.max():.2f}"
        )
    return lines
