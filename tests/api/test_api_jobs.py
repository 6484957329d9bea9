"""``/v1/jobs``: submit, follow, page, summarise, cancel (embedded mode), and refusals."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import numpy as np
import pytest

FINAL = ("succeeded", "failed", "cancelled")


def job_body(model_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "split": "test", "stop": 7},
        "mode": "evaluate",
        "noise": {"family": "gaussian", "sigma": 0.25},
        "q": {"sigma": 0.2},
        "n_selection": 50,
        "n": 200,
        "alpha": 0.001,
        "batch_size": 200,
        "seed": 7,
    }
    body.update(changes)
    return body


def wait(client: httpx.Client, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in FINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


@pytest.fixture(scope="module")
def finished_job(api_client: httpx.Client, demo_model: dict) -> dict[str, Any]:
    response = api_client.post("/v1/jobs", json=job_body(demo_model["id"]))
    assert response.status_code == 202, response.text
    job = wait(api_client, response.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    return job


def test_job_runs_in_process(finished_job: dict[str, Any]) -> None:
    assert finished_job["progress"] == {
        "done": 7,
        "total": 7,
        "fraction": 1.0,
        "non_finite_draws": 0,
    }
    assert finished_job["eta_seconds"] is None
    timings = finished_job["timings"]
    assert timings["started_at"] and timings["finished_at"]
    assert timings["seconds_per_sample"] > 0
    assert finished_job["seed"] == 7
    assert finished_job["inputs"]["count"] == 7


def test_list_filters_by_status(api_client: httpx.Client, finished_job: dict[str, Any]) -> None:
    succeeded = api_client.get("/v1/jobs", params={"status": "succeeded"}).json()
    assert finished_job["id"] in {j["id"] for j in succeeded}
    assert finished_job["id"] not in {
        j["id"] for j in api_client.get("/v1/jobs", params={"status": "queued"}).json()
    }
    assert api_client.get("/v1/jobs", params={"status": "sleeping"}).status_code == 422


def test_results_pages_with_a_cursor(
    api_client: httpx.Client, finished_job: dict[str, Any]
) -> None:
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api_client.get(f"/v1/jobs/{finished_job['id']}/results", params=params).json()
        seen += [item["sample_index"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(7))
    row = api_client.get(f"/v1/jobs/{finished_job['id']}/results").json()["items"][0]
    assert row["p_n"] == 200 and row["q_n"] == 200
    assert row["q_count"] is not None and row["q_lower"] is not None
    assert 0 <= row["p_count"] <= 200 and row["label"] == row["counted_label"]
    assert row["seed"] > 0 and row["alpha"] == 0.001


def test_results_as_csv(api_client: httpx.Client, finished_job: dict[str, Any]) -> None:
    response = api_client.get(
        f"/v1/jobs/{finished_job['id']}/results", params={"format": "csv", "limit": 4}
    )
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("sample_index,dataset_index,label")
    assert len(lines) == 5
    assert response.headers["x-next-cursor"] == "3"


@pytest.mark.parametrize(
    "params", [{"cursor": "abc"}, {"cursor": "-4"}, {"limit": 0}, {"format": "xml"}]
)
def test_bad_result_parameters_are_422(
    api_client: httpx.Client, finished_job: dict[str, Any], params: dict[str, Any]
) -> None:
    response = api_client.get(f"/v1/jobs/{finished_job['id']}/results", params=params)
    assert response.status_code == 422


def test_summary(api_client: httpx.Client, finished_job: dict[str, Any]) -> None:
    summary = api_client.get(
        f"/v1/jobs/{finished_job['id']}/summary",
        params=[("radii", 0), ("radii", 0.25), ("radii", 0.5)],
    ).json()
    assert summary["samples"] == 7 and summary["labelled"]
    assert summary["metric"] == "certified_accuracy"
    assert [row["radius"] for row in summary["certified_accuracy"]] == [0, 0.25, 0.5]
    rows = api_client.get(f"/v1/jobs/{finished_job['id']}/results").json()["items"]
    correct = [r for r in rows if r["prediction"] is not None and r["prediction"] == r["label"]]
    assert summary["certified_accuracy"][0]["np"] == pytest.approx(len(correct) / 7)
    expected_acr = sum(r["np_radius"] for r in correct) / 7
    assert summary["acr_np"] == pytest.approx(expected_acr)
    for row in summary["certified_accuracy"]:
        assert row["dsrs"] >= row["np"]  # DSRS keeps the NP radius when it cannot improve
    assert summary["acr_dsrs"] >= summary["acr_np"]
    default = api_client.get(f"/v1/jobs/{finished_job['id']}/summary").json()
    assert default["certified_accuracy"][0]["radius"] == 0.0
    # Fixed N: every input used its whole budget (n under P and under Q).
    assert summary["forward_passes"] == summary["forward_passes_budget"] == 7 * 400


def test_sequential_job_reports_its_looks_and_forward_passes(
    api_client: httpx.Client, demo_model: dict
) -> None:
    body = job_body(
        demo_model["id"], n=3200, sequential={"target_radii": [0.25], "first_look": 200}
    )
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job = wait(api_client, response.json()["id"], timeout=300)
    assert job["status"] == "succeeded", job["error"]
    assert job["parameters"]["sequential"]["target_radii"] == [0.25]
    rows = api_client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    assert all(r["p_look"] is not None for r in rows)
    summary = api_client.get(f"/v1/jobs/{job['id']}/summary").json()
    assert summary["forward_passes_budget"] == 7 * 6400
    assert summary["forward_passes"] == sum(r["p_n"] + (r["q_n"] or 0) for r in rows)
    assert summary["forward_passes"] < summary["forward_passes_budget"]


@pytest.mark.parametrize(
    "sequential",
    [
        {},
        {"target_radii": [0.25], "tolerance": 0.1},
        {"tolerance": -1},
        {"tolerance": 0.1, "growth": 1},
    ],
)
def test_bad_sequential_options_are_422(
    api_client: httpx.Client, demo_model: dict, sequential: dict[str, Any]
) -> None:
    response = api_client.post("/v1/jobs", json=job_body(demo_model["id"], sequential=sequential))
    assert response.status_code == 422, response.text


def test_summary_rejects_negative_radii(
    api_client: httpx.Client, finished_job: dict[str, Any]
) -> None:
    response = api_client.get(f"/v1/jobs/{finished_job['id']}/summary", params={"radii": -1})
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["", "/results", "/summary"])
def test_unknown_job_is_404(api_client: httpx.Client, path: str) -> None:
    assert api_client.get(f"/v1/jobs/unknown{path}").status_code == 404


def test_cancel_unknown_is_404(api_client: httpx.Client) -> None:
    assert api_client.post("/v1/jobs/unknown/cancel").status_code == 404


def test_cancel_finished_job_is_409(api_client: httpx.Client, finished_job: dict[str, Any]) -> None:
    response = api_client.post(f"/v1/jobs/{finished_job['id']}/cancel")
    assert response.status_code == 409
    assert "succeeded" in response.json()["detail"]


def test_cancel_stops_a_job(api_client: httpx.Client, demo_model: dict) -> None:
    body = job_body(demo_model["id"], inputs={"dataset": "digits", "stop": 540}, n=2000)
    job = api_client.post("/v1/jobs", json=body).json()
    response = api_client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    time.sleep(1.5)  # a sample in flight may still land
    done = api_client.get(f"/v1/jobs/{job['id']}").json()["progress"]["done"]
    time.sleep(1.0)
    after = api_client.get(f"/v1/jobs/{job['id']}").json()
    assert after["status"] == "cancelled"
    assert after["progress"]["done"] == done < 540


def test_predict_mode_selects_and_keeps_selection_counts(
    api_client: httpx.Client, demo_model: dict
) -> None:
    body = job_body(
        demo_model["id"], mode="predict", q=None, inputs={"dataset": "digits", "indices": [3, 1]}
    )
    job = wait(api_client, api_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job["error"]
    rows = api_client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    assert [r["dataset_index"] for r in rows] == [3, 1]
    for row in rows:
        assert sum(row["selection_counts"]) == 50
        assert row["counted_label"] == int(np.argmax(row["selection_counts"]))
        assert row["q_n"] is None and row["dsrs_radius"] is None
    summary = api_client.get(f"/v1/jobs/{job['id']}/summary").json()
    assert all(row["dsrs"] is None for row in summary["certified_accuracy"])


def test_job_on_uploaded_inputs(api_client: httpx.Client, demo_model: dict) -> None:
    from dsrs_models.demo import demo_dataset

    images, labels = demo_dataset("test")
    buffer = io.BytesIO()
    np.savez(buffer, inputs=images[:4], labels=labels[:4])
    input_set = api_client.post("/v1/inputs", files={"file": ("d.npz", buffer.getvalue())}).json()
    body = job_body(demo_model["id"], inputs={"input_set_id": input_set["id"]}, q=None)
    job = wait(api_client, api_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job["error"]
    rows = api_client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    assert [r["label"] for r in rows] == labels[:4].tolist()


def unlabelled_input_set(client: httpx.Client, shape: tuple[int, ...] = (3, 1, 8, 8)) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(shape, dtype=np.float32))
    return client.post("/v1/inputs", files={"file": ("x.npy", buffer.getvalue())}).json()["id"]


def labelled_input_set(client: httpx.Client, labels: list[int]) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.zeros((len(labels), 1, 8, 8), np.float32), labels=np.array(labels))
    return client.post("/v1/inputs", files={"file": ("x.npz", buffer.getvalue())}).json()["id"]


BAD_PARAMETERS = [
    ({"noise": {"family": "gaussian", "sigma": -1}}, "greater than or equal to 0.000001"),
    ({"noise": {"family": "gaussian", "sigma": 1e308}}, "less than or equal to 1000"),
    ({"noise": {"family": "laplace", "sigma": 1}}, "gaussian"),
    ({"noise": {"family": "general-gaussian", "sigma": 0.5, "k": 32}}, "k must satisfy"),
    ({"noise": {"family": "gaussian", "sigma": 0.5, "k": 3}}, "k applies to"),
    ({"q": {"sigma": 0.2, "threshold": 0.5}}, "exactly one of sigma or threshold"),
    ({"q": {}}, "exactly one of sigma or threshold"),
    ({"q": {"threshold": 1.5}}, "less than 1"),
    ({"q": {"threshold": "y"}}, "threshold"),
    ({"n": 0}, "greater than or equal to 1"),
    ({"n_selection": -3}, "greater than or equal to 0"),
    ({"alpha": 1.5}, "less than 1"),
    ({"alpha": 5e-324}, "greater than or equal to"),
    ({"batch_size": 0}, "greater than or equal to 1"),
    ({"seed": -1}, "greater than or equal to 0"),
    ({"seed": 2**64}, "less than or equal to 9223372036854775807"),
    ({"mode": "guess"}, "predict"),
    ({"radius_search": {"method": "grid", "unit": 0}}, "greater than or equal to 0.000001"),
    ({"radius_search": {"method": "grid", "unit": 1e-320}}, "greater than or equal to 0.000001"),
    ({"radius_search": {"method": "newton"}}, "grid"),
    ({"n": 20_000_000}, "DSRS_MAX_DRAWS_PER_SAMPLE"),
    ({"inputs": {"dataset": "digits", "indices": [0, 540]}}, "indices must lie in [0, 539]"),
    ({"inputs": {"dataset": "digits", "indices": [1, 1]}}, "must not repeat"),
    ({"inputs": {"dataset": "digits", "indices": []}}, "at least one input"),
    ({"inputs": {"dataset": "digits", "start": 10, "stop": 5}}, "start < stop"),
    ({"inputs": {"dataset": "digits", "step": 0}}, "greater than or equal to 1"),
    ({"inputs": {"dataset": "digits", "indices": [2**40]}}, "less than or equal to 2147483647"),
    ({"inputs": {"dataset": "imagenet"}}, "digits"),
    ({"inputs": {}}, "exactly one of 'dataset'"),
    ({"inputs": {"dataset": "digits", "input_set_id": "x"}}, "exactly one of 'dataset'"),
    ({"inputs": {"dataset": "mnist"}}, "never downloaded"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_PARAMETERS)
def test_bad_parameters_are_422_and_store_nothing(
    api_client: httpx.Client, demo_model: dict, changes: dict[str, Any], message: str
) -> None:
    before = len(api_client.get("/v1/jobs").json())
    response = api_client.post("/v1/jobs", json=job_body(demo_model["id"], **changes))
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])
    assert len(api_client.get("/v1/jobs").json()) == before


def test_unknown_model_is_404(api_client: httpx.Client) -> None:
    response = api_client.post("/v1/jobs", json=job_body("no-such-model"))
    assert response.status_code == 404


def test_unknown_input_set_is_404(api_client: httpx.Client, demo_model: dict) -> None:
    body = job_body(demo_model["id"], inputs={"input_set_id": "nope"})
    assert api_client.post("/v1/jobs", json=body).status_code == 404


def test_evaluate_needs_labels(api_client: httpx.Client, demo_model: dict) -> None:
    body = job_body(demo_model["id"], inputs={"input_set_id": unlabelled_input_set(api_client)})
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 422
    assert "needs labels" in response.json()["detail"]


def test_inputs_must_fit_the_model(api_client: httpx.Client, demo_model: dict) -> None:
    input_set = unlabelled_input_set(api_client, (2, 3, 8, 8))
    body = job_body(demo_model["id"], mode="predict", inputs={"input_set_id": input_set})
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 422
    assert "(1, 8, 8)" in response.json()["detail"]


def test_labels_must_fit_the_model(api_client: httpx.Client, demo_model: dict) -> None:
    body = job_body(
        demo_model["id"], inputs={"input_set_id": labelled_input_set(api_client, [1, 12])}
    )
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 422
    assert "labels must lie in [0, 9]" in response.json()["detail"]


def test_malformed_json_is_422(api_client: httpx.Client) -> None:
    response = api_client.post(
        "/v1/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
