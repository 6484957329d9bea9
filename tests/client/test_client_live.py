"""Sync and async clients against a live embedded service: upload, submit, wait, page
results, summary, and the API's own schemas on both sides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from dsrs_client.async_client import AsyncDsrsClient
from dsrs_client.contract import JobOut, ModelOut, SampleOut, Summary
from dsrs_client.errors import ApiResponseError
from dsrs_client.sync_client import DsrsClient


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(storage_dir=tmp_path_factory.mktemp("client") / "var", chunk_size=2)
    with running_server(create_app(settings)) as url:
        yield url


def job_request(model_id: str, input_set_id: str) -> dict:
    return {
        "model_id": model_id,
        "inputs": {"input_set_id": input_set_id},
        "noise": {"family": "gaussian", "sigma": 0.25},
        "q": {"sigma": 0.2},
        "n": 100,
        "n_selection": 10,
        "seed": 2,
    }


def test_sync_client_end_to_end(service_url: str, demo_weights: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dsrs_models.demo import demo_dataset

    images, labels = demo_dataset("test")
    arrays = tmp_path / "five.npz"
    np.savez(arrays, inputs=images[:5], labels=labels[:5])
    with DsrsClient(service_url) as dsrs:
        assert dsrs.health() == {"status": "ok"}
        model = dsrs.upload_model(
            ("demo.safetensors", demo_weights), architecture="digits-mlp", name="demo"
        )
        assert isinstance(model, ModelOut) and model.input_shape == [1, 8, 8]
        inputs = dsrs.upload_inputs(arrays, name="five")
        assert inputs.count == 5 and inputs.has_labels
        job = dsrs.submit_job(job_request(model.id, inputs.id))
        assert isinstance(job, JobOut)
        final = dsrs.wait_for_job(job.id, timeout=120, poll_interval=0.05)
        assert final.progress.done == 5
        paged = list(dsrs.iter_results(job.id, page_size=2))
        assert [s.sample_index for s in paged] == [0, 1, 2, 3, 4]
        assert all(isinstance(s, SampleOut) for s in paged)
        assert paged == dsrs.all_results(job.id)
        summary = dsrs.summary(job.id, radii=[0.0, 0.1])
        assert isinstance(summary, Summary)
        assert [row.radius for row in summary.certified_accuracy] == [0.0, 0.1]
        with pytest.raises(ApiResponseError) as missing:
            dsrs.get_model("nope")
        assert missing.value.status_code == 404 and "nope" in missing.value.detail


def test_async_client_runs_jobs_concurrently(service_url: str, demo_weights: bytes) -> None:
    async def scenario() -> list[JobOut]:
        async with AsyncDsrsClient(service_url) as dsrs:
            model = await dsrs.upload_model(
                ("demo.safetensors", demo_weights), architecture="digits-mlp"
            )
            requests = [
                {
                    "model_id": model.id,
                    "inputs": {"dataset": "digits", "stop": 2},
                    "noise": {"sigma": sigma},
                    "n": 100,
                    "seed": 3,
                }
                for sigma in (0.25, 0.5)
            ]
            jobs = [await dsrs.submit_job(r) for r in requests]
            finals = await asyncio.gather(
                *(dsrs.wait_for_job(j.id, timeout=120, poll_interval=0.05) for j in jobs)
            )
            rows = await dsrs.all_results(finals[0].id)
            assert len(rows) == 2 and all(isinstance(r, SampleOut) for r in rows)
            assert (await dsrs.get_job(jobs[1].id)).status == "succeeded"
            return list(finals)

    finals = asyncio.run(scenario())
    assert [j.status for j in finals] == ["succeeded", "succeeded"]
    assert [j.parameters.noise.sigma for j in finals] == [0.25, 0.5]
