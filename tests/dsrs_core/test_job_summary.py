"""The job-level rules of :mod:`dsrs_core.evaluation.job_summary`: table radii, the fixed-N
budget (and its contract twin), the same-cost baseline's prediction."""

from __future__ import annotations

import math

import pytest

from dsrs_core.evaluation.job_summary import (
    MAX_TABLE_RADII,
    ResultColumns,
    baseline_prediction,
    fixed_n_draws,
    job_radii,
    paper_table_radii,
    table_radii,
)


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0.0, [0.0]),
        (0.2, [0.0]),
        (0.49998, [0.0, 0.25]),  # 2e-5 short of 0.5: does not count there
        (0.499995, [0.0, 0.25, 0.5]),  # within the counting tolerance: counts at 0.5
        (0.5, [0.0, 0.25, 0.5]),
        (0.74, [0.0, 0.25, 0.5]),  # no column past every radius
    ],
)
def test_table_radii_end_at_the_last_radius_an_input_counts_at(
    largest: float, expected: list[float]
) -> None:
    assert table_radii(largest) == expected
    assert paper_table_radii(largest) == (expected[1:] or [0.25])


def test_table_radii_are_capped() -> None:
    assert len(table_radii(1e6)) == MAX_TABLE_RADII


@pytest.mark.parametrize("mode", ["predict", "evaluate"])
@pytest.mark.parametrize(
    ("baseline", "uses_q"),
    [("same-run", False), ("same-run", True), ("equal-budget", True), ("sequential-np", True)],
)
def test_fixed_n_budget_equals_the_contracts(mode: str, baseline: str, uses_q: bool) -> None:
    from dsrs_client.contract import JobParameters, NoiseIn, QIn, SequentialIn

    parameters = JobParameters(
        noise=NoiseIn(sigma=0.5),
        q=QIn(sigma=0.4) if uses_q else None,
        n=1000,
        n_selection=64,
        baseline=baseline,
        sequential=SequentialIn(target_radii=[0.5]) if baseline == "sequential-np" else None,
    )
    runs = {"equal-budget": 1, "sequential-np": 2}.get(baseline, 0)
    selection = 64 if mode == "predict" else 0
    assert parameters.draws_per_input(mode) == fixed_n_draws(1000, uses_q, selection, runs)


def test_the_baseline_predicts_the_counted_class_only_above_one_half() -> None:
    predicted = baseline_prediction([3, 4, 5], [0.51, 0.5, math.nan])
    assert predicted[0] == 3 and math.isnan(predicted[1]) and math.isnan(predicted[2])


def test_job_radii_from_rows_with_none() -> None:
    from types import SimpleNamespace

    base = {
        "label": 1,
        "prediction": 1,
        "counted_label": 1,
        "p_count": 9,
        "p_n": 10,
        "np_radius": 0.5,
        "dsrs_radius": None,
        "baseline_p_lower": None,
        "baseline_np_radius": None,
        "q_n": None,
        "baseline_extra_n": None,
    }
    rows = [
        SimpleNamespace(**(base | change))
        for change in ({}, {"prediction": None}, {"prediction": 2})
    ]
    columns = ResultColumns.from_rows(rows)
    radii = job_radii(columns, uses_q=False, mode="evaluate")
    assert radii.np[0] == 0.5 and math.isnan(radii.np[1]) and math.isnan(radii.np[2])
    assert radii.dsrs is None and radii.same_cost is None
    assert radii.benign == [True, True, True] and radii.labelled
