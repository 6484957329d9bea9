"""``GET /v1/catalogue`` serves the contract's status names and built-in datasets, so the
dashboard keeps no copies of them."""

from __future__ import annotations

import httpx

from dsrs_api.dashboard.routes import ASSETS_DIR
from dsrs_client.contract import BUILTIN_SPLITS, DATASETS, FINAL_STATUSES, JOB_STATUSES


def test_the_catalogue_is_the_contracts(api_client: httpx.Client) -> None:
    body = api_client.get("/v1/catalogue").json()
    assert body["job_statuses"] == list(JOB_STATUSES)
    assert body["final_statuses"] == list(FINAL_STATUSES)
    assert [d["name"] for d in body["datasets"]] == ["digits", "mnist", "cifar10"]
    for dataset in body["datasets"]:
        assert dataset["input_shape"] == list(DATASETS[dataset["name"]].input_shape)
        assert dataset["splits"] == {
            split: BUILTIN_SPLITS[(dataset["name"], split)].size for split in ("train", "test")
        }


def test_the_dashboard_scripts_keep_no_copies_of_it() -> None:
    scripts = "\n".join(p.read_text() for p in (ASSETS_DIR / "js").glob("*.js"))
    digits = [str(BUILTIN_SPLITS[("digits", split)].size) for split in ("train", "test")]
    for copy in ('"succeeded", "failed"', *digits, "60000", "1×28×28", '"queued" ||'):
        assert copy not in scripts, copy
