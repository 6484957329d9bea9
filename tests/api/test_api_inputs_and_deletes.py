"""Input sets as first-class objects and deletes, over HTTP with API keys and two tenants.

``GET /v1/inputs`` lists a tenant's own input sets; the same bytes uploaded again give the
same input set; ``DELETE`` of models, input sets and jobs is tenant-checked (another
tenant's id is 404) and refused (409, with the reason) while a job needs the object. Jobs
are held "queued" by a dispatcher that hands them to nobody, so "in use" is deterministic.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

ADMIN_KEY = "deletes-admin-key-" + secrets.token_urlsafe(32)


class HoldingDispatcher:
    """Accepts every job and runs none: its jobs stay queued (in flight)."""

    def enqueue(self, job_id: str, chunks: int) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    storage = tmp_path_factory.mktemp("deletes") / "var"
    settings = Settings(storage_dir=storage, chunk_size=2, admin_api_key=ADMIN_KEY)
    app = create_app(settings, dispatcher=HoldingDispatcher())
    with running_server(app) as base_url:
        yield base_url, storage


def client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60)


def new_tenant(base_url: str, name: str) -> str:
    with client(base_url, ADMIN_KEY) as admin:
        tenant = admin.post("/v1/tenants", json={"name": name})
        key = admin.post(f"/v1/tenants/{tenant.json()['id']}/keys")
        return str(key.json()["key"])


def npz_bytes(count: int, fill: float) -> bytes:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        inputs=np.full((count, 1, 8, 8), fill, np.float32),
        labels=np.arange(count, dtype=np.int64) % 10,
    )
    return buffer.getvalue()


def job_body(model_id: str, input_set_id: str) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "inputs": {"input_set_id": input_set_id},
        "noise": {"sigma": 0.25},
        "n": 100,
        "seed": 1,
    }


@pytest.fixture(scope="module")
def tenants(service: tuple[str, Path]) -> dict[str, str]:
    base_url, _ = service
    return {"alice": new_tenant(base_url, "alice"), "bob": new_tenant(base_url, "bob")}


def test_input_sets_are_listed_per_tenant_and_content_addressed(
    service: tuple[str, Path], tenants: dict[str, str]
) -> None:
    base_url, _ = service
    with client(base_url, tenants["alice"]) as alice, client(base_url, tenants["bob"]) as bob:
        first = alice.post("/v1/inputs", files={"file": ("a.npz", npz_bytes(3, 0.1))})
        again = alice.post("/v1/inputs", files={"file": ("b.npz", npz_bytes(3, 0.1))})
        other = alice.post("/v1/inputs", files={"file": ("c.npz", npz_bytes(3, 0.2))})
        bobs = bob.post("/v1/inputs", files={"file": ("a.npz", npz_bytes(3, 0.1))})
        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
        assert again.json()["id"] == first.json()["id"]
        assert other.json()["id"] != first.json()["id"]
        # Another tenant's identical bytes are its own input set.
        assert bobs.status_code == 201 and bobs.json()["id"] != first.json()["id"]
        listed = [s["id"] for s in alice.get("/v1/inputs").json()]
        assert listed == [other.json()["id"], first.json()["id"]]  # newest first
        assert [s["id"] for s in bob.get("/v1/inputs").json()] == [bobs.json()["id"]]
        assert bob.get(f"/v1/inputs/{first.json()['id']}").status_code == 404


def test_deletes_are_refused_while_a_job_needs_them_and_tenant_checked(
    service: tuple[str, Path], tenants: dict[str, str], demo_weights: bytes
) -> None:
    base_url, storage = service
    with client(base_url, tenants["alice"]) as alice, client(base_url, tenants["bob"]) as bob:
        model = alice.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp"},
        ).json()
        inputs = alice.post("/v1/inputs", files={"file": ("x.npz", npz_bytes(4, 0.3))}).json()
        job = alice.post("/v1/jobs", json=job_body(model["id"], inputs["id"]))
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        assert job.json()["status"] == "queued"

        # Another tenant: none of it exists.
        for path in (
            f"/v1/models/{model['id']}",
            f"/v1/inputs/{inputs['id']}",
            f"/v1/jobs/{job_id}",
        ):
            assert bob.delete(path).status_code == 404

        # In flight: all three refused, with what to do.
        refused_job = alice.delete(f"/v1/jobs/{job_id}")
        assert refused_job.status_code == 409 and "cancel it first" in refused_job.json()["detail"]
        refused_inputs = alice.delete(f"/v1/inputs/{inputs['id']}")
        assert refused_inputs.status_code == 409
        assert job_id[:8] in refused_inputs.json()["detail"]
        refused_model = alice.delete(f"/v1/models/{model['id']}")
        assert refused_model.status_code == 409 and "queued" in refused_model.json()["detail"]

        assert alice.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
        # Finished: the input set may go; the model still has the job's results.
        assert alice.delete(f"/v1/inputs/{inputs['id']}").status_code == 204
        assert not (storage / "inputs" / inputs["id"]).exists()
        assert alice.get(f"/v1/inputs/{inputs['id']}").status_code == 404
        kept = alice.delete(f"/v1/models/{model['id']}")
        assert kept.status_code == 409 and "delete that job first" in kept.json()["detail"]

        assert alice.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert alice.get(f"/v1/jobs/{job_id}").status_code == 404
        (model_file,) = (storage / "models").iterdir()
        assert alice.delete(f"/v1/models/{model['id']}").status_code == 204
        assert alice.get(f"/v1/models/{model['id']}").status_code == 404
        assert not model_file.exists()


def test_a_model_file_shared_by_two_tenants_stays_until_the_last_one_deletes(
    service: tuple[str, Path], tenants: dict[str, str], demo_weights: bytes
) -> None:
    base_url, storage = service
    upload = {
        "files": {"file": ("m.safetensors", demo_weights)},
        "data": {"architecture": "digits-mlp", "name": "shared"},
    }
    with client(base_url, tenants["alice"]) as alice, client(base_url, tenants["bob"]) as bob:
        mine, theirs = (
            alice.post("/v1/models", **upload).json(),
            bob.post("/v1/models", **upload).json(),
        )
        files = list((storage / "models").iterdir())
        assert len(files) == 1
        assert alice.delete(f"/v1/models/{mine['id']}").status_code == 204
        assert files[0].exists()
        assert bob.get(f"/v1/models/{theirs['id']}").status_code == 200
        assert bob.delete(f"/v1/models/{theirs['id']}").status_code == 204
        assert not files[0].exists()
