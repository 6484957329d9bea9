"""``dsrs certify-local``: the pipeline without a server gives the service's counts for the
same seed and parameters, and writes readable results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsrs_models.demo import DEMO_WEIGHTS_PATH
from tests.cli.export_readers import read_csv, read_jsonl

WEIGHTS = str(DEMO_WEIGHTS_PATH)

PARAMETERS = [
    "--family",
    "general-gaussian",
    "--sigma",
    "0.25",
    "--k",
    "20",
    "--q-sigma",
    "0.2",
    "--n",
    "200",
    "--n-selection",
    "20",
    "--batch-size",
    "1000",
]


def test_local_run_matches_a_service_job_with_the_same_seed(
    embedded_service, embedded_model_id: str, run_cli, tmp_path: Path
) -> None:
    from dsrs_client.sync_client import DsrsClient

    output = tmp_path / "local.csv"
    local = run_cli(
        embedded_service,
        "certify-local",
        WEIGHTS,
        "--arch",
        "digits-mlp",
        "--dataset",
        "digits",
        "--stop",
        "3",
        "--seed",
        "9",
        *PARAMETERS,
        "-o",
        str(output),
    )
    assert local.exit_code == 0, local.stderr
    assert "ACR" in local.stdout and "DSRS" in local.stdout
    rows = read_csv(output)
    with DsrsClient(embedded_service.url) as dsrs:
        job = dsrs.submit_job(
            {
                "model_id": embedded_model_id,
                "inputs": {"dataset": "digits", "stop": 3},
                "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
                "q": {"sigma": 0.2},
                "n": 200,
                "n_selection": 20,
                "batch_size": 1000,
                "seed": 9,
            }
        )
        dsrs.wait_for_job(job.id, timeout=120, poll_interval=0.1)
        served = dsrs.all_results(job.id)
    fields = (
        "dataset_index",
        "label",
        "p_count",
        "q_count",
        "seed",
        "p_lower",
        "np_radius",
        "dsrs_radius",
    )
    assert [[getattr(r, f) for f in fields] for r in rows] == [
        [getattr(s, f) for f in fields] for s in served
    ]


def test_local_run_on_an_npz_in_predict_mode_writes_jsonl(run_cli, tmp_path: Path) -> None:
    from dsrs_models.demo import demo_dataset

    images, labels = demo_dataset("test")
    arrays = tmp_path / "inputs.npz"
    np.savez(arrays, inputs=images[:2], labels=labels[:2])
    output = tmp_path / "local.jsonl"
    result = run_cli(
        None,
        "certify-local",
        WEIGHTS,
        "--arch",
        "digits-mlp",
        "--inputs",
        str(arrays),
        "--mode",
        "predict",
        "--n",
        "100",
        "--n-selection",
        "20",
        "-o",
        str(output),
    )
    assert result.exit_code == 0, result.stderr
    rows = read_jsonl(output)
    assert [r.dataset_index for r in rows] == [0, 1]
    assert all(r.selection_counts is not None and sum(r.selection_counts) == 20 for r in rows)
    assert all(r.dsrs_radius is None for r in rows)


def test_local_run_explains_bad_arguments(run_cli, tmp_path: Path) -> None:
    weights = WEIGHTS
    wrong = run_cli(None, "certify-local", weights, "--arch", "lenet-mnist", "--dataset", "digits")
    assert wrong.exit_code == 2
    assert "lenet-mnist" in wrong.stderr
    neither = run_cli(None, "certify-local", weights, "--arch", "digits-mlp")
    assert neither.exit_code == 2 and "--inputs or --dataset" in neither.stderr
    pickled = tmp_path / "inputs.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    refused = run_cli(
        None, "certify-local", weights, "--arch", "digits-mlp", "--inputs", str(pickled)
    )
    assert refused.exit_code == 2 and "pickle" in refused.stderr


def test_local_sequential_run_reports_looks_and_forward_passes(run_cli, tmp_path: Path) -> None:
    output = tmp_path / "sequential.csv"
    result = run_cli(
        None,
        "certify-local",
        WEIGHTS,
        "--arch",
        "digits-mlp",
        "--dataset",
        "digits",
        "--stop",
        "4",
        "--family",
        "general-gaussian",
        "--sigma",
        "0.25",
        "--k",
        "20",
        "--q-sigma",
        "0.2",
        "--n",
        "3200",
        "--first-look",
        "200",
        "--target-radius",
        "0.25",
        "-o",
        str(output),
    )
    assert result.exit_code == 0, result.stderr
    assert "forward passes:" in result.stdout and "fixed-N budget 25,600" in result.stdout
    rows = read_csv(output)
    assert all(r.p_look is not None for r in rows)
    assert sum(r.p_n + (r.q_n or 0) for r in rows) < 4 * 6400
    bad = run_cli(
        None,
        "certify-local",
        WEIGHTS,
        "--arch",
        "digits-mlp",
        "--dataset",
        "digits",
        "--target-radius",
        "0.25",
        "--tolerance",
        "0.1",
    )
    assert bad.exit_code != 0 and "exactly one" in bad.stderr
