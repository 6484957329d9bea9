"""Aggregates of the job page, by hand on small inputs and against the summary endpoint."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from dsrs_api.dashboard.overview import CURVE_POINTS, Columns, overview_from_columns
from dsrs_api.dashboard.schemas import Overview
from tests.support.factories import seed_job

NAN = math.nan


def columns(
    label,
    prediction,
    np_radius,
    dsrs_radius,
    counted=None,
    p_fraction=None,
    baseline_p_lower=None,
    baseline_np_radius=None,
) -> Columns:
    n = len(np_radius)
    fraction = np.array(p_fraction if p_fraction is not None else [0.9] * n, float)
    return Columns(
        label=np.array(label, float),
        prediction=np.array(prediction, float),
        counted_label=np.array(counted if counted is not None else label, float),
        p_count=np.round(fraction * 1000),
        p_n=np.full(n, 1000.0),
        np_radius=np.array(np_radius, float),
        dsrs_radius=np.array(dsrs_radius, float),
        baseline_p_lower=np.array(baseline_p_lower or [NAN] * n, float),
        baseline_np_radius=np.array(baseline_np_radius or [NAN] * n, float),
        q_n=np.full(n, NAN),
        baseline_extra_n=np.full(n, NAN),
    )


def overview(data: Columns, mode: str = "evaluate", uses_q: bool = True) -> Overview:
    return overview_from_columns(
        data, job_id="j", status="running", total=10, mode=mode, uses_q=uses_q
    )


def test_equal_budget_baseline_is_its_own_curve_and_acr() -> None:
    # labelled: certified by both; pooled bound abstains; wrong class; certified by the pool only
    data = columns(
        [1, 2, 3, 4],
        [1, 2, 5, NAN],
        [0.5, 1.0, 0.8, 0.0],
        [0.7, 1.1, 0.9, NAN],
        counted=[1, 2, 5, 4],
        baseline_p_lower=[0.99, 0.4, 0.99, 0.9],
        baseline_np_radius=[0.6, 0.0, 0.9, 0.3],
    )
    result = overview(data)
    assert result.baseline == "equal-budget"
    assert result.acr_np_equal_budget == pytest.approx((0.6 + 0.3) / 4)
    assert result.curve.np_equal_budget is not None and result.curve.np_equal_budget[0] == 0.5
    without = overview(columns([1, 2], [1, 2], [0.5, 1.0], [0.7, 1.1]))
    assert without.baseline == "same-run" and without.acr_np_equal_budget is None


def test_the_gain_is_against_the_equal_budget_np_when_the_job_has_it() -> None:
    # Issue 21: DSRS 0.7 vs pooled NP 0.6; 1.1 vs 0 (pooled abstains); 0.9 vs 1.0 (a loss).
    data = columns(
        [1, 2, 3],
        [1, 2, 3],
        [0.5, 1.0, 0.8],
        [0.7, 1.1, 0.9],
        baseline_p_lower=[0.99, 0.4, 0.99],
        baseline_np_radius=[0.6, 0.0, 1.0],
    )
    gain = overview(data).gain
    assert gain is not None and (gain.eligible, gain.improved, gain.unchanged) == (3, 2, 1)
    assert gain.max_gain == pytest.approx(1.1)
    assert gain.mean_gain == pytest.approx((0.1 + 1.1 - 0.1) / 3)


def test_counts_abstentions_and_wrong_predictions_as_never_certified() -> None:
    # four labelled inputs: certified 0.5 (DSRS 0.7), certified 1.0, abstained, wrong
    data = columns([1, 2, 3, 4], [1, 2, NAN, 5], [0.5, 1.0, 0.0, 0.8], [0.7, 0.9, NAN, 0.9])
    result = overview(data)
    assert result.labelled and result.metric == "certified_accuracy"
    assert result.samples == 4 and result.abstained == 1 and result.abstain_rate == 0.25
    assert result.acr_np == pytest.approx((0.5 + 1.0) / 4)
    assert result.acr_dsrs == pytest.approx((0.7 + 1.0) / 4)
    assert result.max_radius_np == 1.0 and result.max_radius_dsrs == 1.0
    table = {row.radius: (row.np, row.dsrs) for row in result.table}
    assert table == {
        0.0: (0.5, 0.5),
        0.25: (0.5, 0.5),
        0.5: (0.5, 0.5),
        0.75: (0.25, 0.25),
        1.0: (0.25, 0.25),
    }
    assert len(result.curve.radius) == CURVE_POINTS
    assert result.curve.radius[0] == 0.0 and result.curve.radius[-1] == pytest.approx(1.05)
    assert result.curve.np[-1] == 0.0
    at_06 = int(np.searchsorted(result.curve.radius, 0.6))
    assert result.curve.np[at_06] == 0.25 and result.curve.dsrs[at_06] == 0.5  # type: ignore[index]


def test_gain_histogram_over_the_inputs_that_count() -> None:
    data = columns([1, 2, 3, 4], [1, 2, NAN, 5], [0.5, 1.0, 0.0, 0.8], [0.7, 0.9, NAN, 0.9])
    gain = overview(data).gain
    assert gain is not None
    assert (gain.eligible, gain.improved, gain.unchanged) == (2, 1, 1)
    assert gain.max_gain == pytest.approx(0.2) and gain.mean_gain == pytest.approx(0.1)
    assert sum(gain.counts) == 1 and gain.counts[-1] == 1
    assert len(gain.edges) == len(gain.counts) + 1


def test_unlabelled_inputs_give_the_certified_fraction_and_no_clean_accuracy() -> None:
    data = columns([NAN, NAN], [1, 4], [0.3, 0.6], [NAN, NAN], counted=[1, 4])
    result = overview(data, mode="predict", uses_q=False)
    assert not result.labelled and result.metric == "certified_fraction"
    assert result.clean_accuracy is None and result.acr_dsrs is None and result.gain is None
    assert result.curve.dsrs is None and result.table[0].np == 1.0
    assert result.acr_np == pytest.approx(0.45)


def test_clean_accuracy_by_mode() -> None:
    evaluate = columns([1, 2, 3], [1, NAN, NAN], [0.4, 0, 0], [NAN] * 3, p_fraction=[0.9, 0.6, 0.3])
    assert overview(evaluate).clean_accuracy == pytest.approx(2 / 3)
    predict = columns([1, 2, 3], [1, NAN, NAN], [0.4, 0, 0], [NAN] * 3, counted=[1, 2, 7])
    assert overview(predict, mode="predict").clean_accuracy == pytest.approx(2 / 3)


def test_no_rows_yet() -> None:
    result = overview(columns([], [], [], []))
    assert result.samples == 0 and result.abstain_rate == 0.0 and result.acr_np == 0.0
    assert result.curve.radius == [0.0] and result.table[0].np == 0.0


def test_agrees_with_the_summary_endpoint(embedded_api: Any) -> None:
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(300):
        abstain, wrong = rng.random() < 0.1, rng.random() < 0.1
        label = int(rng.integers(0, 10))
        np_radius = 0.0 if abstain else float(rng.uniform(0, 1.2))
        rows.append(
            {
                "label": label,
                "prediction": None if abstain else (label + 1) % 10 if wrong else label,
                "np_radius": np_radius,
                "dsrs_radius": None if abstain else np_radius + float(rng.exponential(0.05)),
            }
        )
    job_id = seed_job(embedded_api.session_factory, embedded_api.model_id, rows)
    mine = embedded_api.client.get(f"/v1/dashboard/jobs/{job_id}/overview").json()
    theirs = embedded_api.client.get(f"/v1/jobs/{job_id}/summary").json()
    assert mine["acr_np"] == pytest.approx(theirs["acr_np"])
    assert mine["acr_dsrs"] == pytest.approx(theirs["acr_dsrs"])
    assert mine["abstain_rate"] == pytest.approx(theirs["abstain_rate"])
    for a, b in zip(mine["table"], theirs["certified_accuracy"], strict=False):
        assert a["radius"] == pytest.approx(b["radius"])
        assert a["np"] == pytest.approx(b["np"]) and a["dsrs"] == pytest.approx(b["dsrs"])


def test_overview_follows_new_rows_of_a_running_job(embedded_api: Any) -> None:
    from dsrs_store import repository
    from tests.support.factories import sample_row

    job_id = seed_job(
        embedded_api.session_factory, embedded_api.model_id, [{}], total=3, status="running"
    )
    url = f"/v1/dashboard/jobs/{job_id}/overview"
    first = embedded_api.client.get(url).json()
    assert first["samples"] == 1 and embedded_api.client.get(url).json() == first
    with embedded_api.session_factory() as session:
        repository.insert_sample(session, sample_row(job_id, 1, prediction=None, np_radius=0.0))
        session.commit()
    second = embedded_api.client.get(url).json()
    assert second["samples"] == 2 and second["abstained"] == 1
