"""API keys and tenants: a tenant sees only its own models, input sets, jobs and results
(404 for the rest), only the admin manages tenants, quotas answer 429, keys are stored
hashed, and a service that requires keys does not start without a real admin key."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, text

ADMIN_KEY = "test-admin-key-" + secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    storage = tmp_path_factory.mktemp("tenants") / "var"
    # Embedded SQLite, but an admin key is configured: auth 'auto' requires keys.
    settings = Settings(storage_dir=storage, chunk_size=2, admin_api_key=ADMIN_KEY)
    assert settings.auth_required
    with running_server(create_app(settings)) as base_url:
        yield base_url, storage


def client(base_url: str, key: str | None) -> httpx.Client:
    headers = {"X-API-Key": key} if key else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=60)


def new_tenant(base_url: str, name: str, **quotas: int) -> str:
    with client(base_url, ADMIN_KEY) as admin:
        tenant = admin.post("/v1/tenants", json={"name": name, **quotas})
        assert tenant.status_code == 201, tenant.text
        key = admin.post(f"/v1/tenants/{tenant.json()['id']}/keys")
        assert key.status_code == 201, key.text
        return str(key.json()["key"])


def job_body(model_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "split": "test", "start": 0, "stop": 2},
        "noise": {"sigma": 0.25},
        "n_selection": 10,
        "n": 100,
        "seed": 1,
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def two_tenants(service: tuple[str, Path], demo_weights: bytes) -> dict[str, Any]:
    base_url, _ = service
    alice, bob = new_tenant(base_url, "alice"), new_tenant(base_url, "bob")
    with client(base_url, alice) as a:
        model = a.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp"},
        )
        assert model.status_code == 201, model.text
        buffer = io.BytesIO()
        np.savez(buffer, inputs=np.zeros((3, 1, 8, 8), np.float32), labels=np.zeros(3, np.int64))
        inputs = a.post("/v1/inputs", files={"file": ("x.npz", buffer.getvalue())})
        assert inputs.status_code == 201, inputs.text
        job = a.post("/v1/jobs", json=job_body(model.json()["id"]))
        assert job.status_code == 202, job.text
    return {
        "alice": alice,
        "bob": bob,
        "model": model.json()["id"],
        "inputs": inputs.json()["id"],
        "job": job.json()["id"],
    }


@pytest.mark.parametrize("path", ["/v1/models", "/v1/jobs", "/v1/dashboard/jobs", "/v1/plan"])
def test_requests_without_a_valid_key_get_401(service: tuple[str, Path], path: str) -> None:
    base_url, _ = service
    with client(base_url, None) as anonymous:
        response = anonymous.get(path)
        assert response.status_code == 401
        assert "X-API-Key" in response.json()["detail"]
        assert response.headers["WWW-Authenticate"].startswith("APIKey")
        assert anonymous.get("/healthz").status_code == 200
    with client(base_url, "dsrs_not-a-key") as forged:
        response = forged.get(path)
        assert response.status_code == 401
        assert "not valid" in response.json()["detail"]


def test_only_the_admin_manages_tenants(
    service: tuple[str, Path], two_tenants: dict[str, Any]
) -> None:
    base_url, _ = service
    with client(base_url, two_tenants["alice"]) as alice:
        response = alice.post("/v1/tenants", json={"name": "mallory"})
        assert response.status_code == 403
        assert "admin" in response.json()["detail"]
        assert alice.post("/v1/tenants/whatever/keys").status_code == 403
    with client(base_url, ADMIN_KEY) as admin:
        assert admin.post("/v1/tenants/no-such-tenant/keys").status_code == 404
        assert {t["name"] for t in admin.get("/v1/tenants").json()} >= {"alice", "bob"}


def test_a_tenant_cannot_see_or_use_another_tenants_rows(
    service: tuple[str, Path], two_tenants: dict[str, Any]
) -> None:
    base_url, _ = service
    model, inputs, job = two_tenants["model"], two_tenants["inputs"], two_tenants["job"]
    with client(base_url, two_tenants["bob"]) as bob:
        for path in (
            f"/v1/models/{model}",
            f"/v1/inputs/{inputs}",
            f"/v1/jobs/{job}",
            f"/v1/jobs/{job}/results",
            f"/v1/jobs/{job}/summary",
            f"/v1/jobs/{job}/inputs/0.png",
            f"/v1/dashboard/jobs/{job}/overview",
            f"/v1/dashboard/jobs/{job}/samples",
        ):
            response = bob.get(path)
            assert response.status_code == 404, (path, response.text)
        assert bob.post(f"/v1/jobs/{job}/cancel").status_code == 404
        assert bob.get("/v1/models").json() == []
        assert bob.get("/v1/jobs").json() == []
        assert bob.get("/v1/dashboard/jobs").json()["items"] == []
        # nor build on them: another tenant's model or input set does not exist for bob
        assert bob.post("/v1/jobs", json=job_body(model)).status_code == 404
    with client(base_url, two_tenants["alice"]) as alice:
        assert alice.get(f"/v1/jobs/{job}").status_code == 200
        assert [m["id"] for m in alice.get("/v1/models").json()] == [model]
    with client(base_url, ADMIN_KEY) as admin:
        assert admin.get(f"/v1/jobs/{job}").status_code == 200


def test_compare_by_tag_or_name_covers_only_the_callers_jobs(
    service: tuple[str, Path], two_tenants: dict[str, Any], demo_weights: bytes
) -> None:
    base_url, _ = service
    keys = {"alice": two_tenants["alice"], "carol": new_tenant(base_url, "carol")}
    tagged = {}
    with client(base_url, keys["carol"]) as carol:
        model = carol.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp"},
        ).json()["id"]
        tagged["carol"] = carol.post(
            "/v1/jobs", json=job_body(model, tags=["shared"], name="same")
        ).json()["id"]
    with client(base_url, two_tenants["alice"]) as alice:
        body = job_body(two_tenants["model"], tags=["shared", "alice-only"], name="same")
        tagged["alice"] = alice.post("/v1/jobs", json=body).json()["id"]
    for who, other in (("alice", "carol"), ("carol", "alice")):
        with client(base_url, keys[who]) as caller:
            for selection in ({"tag": "shared"}, {"name": "same"}):
                answer = caller.get("/v1/compare", params=selection)
                assert answer.status_code == 200, answer.text
                assert [job["job_id"] for job in answer.json()["jobs"]] == [tagged[who]]
            # another tenant's job named explicitly is still not found
            mixed = caller.get("/v1/compare", params={"tag": "shared", "job_id": tagged[other]})
            assert mixed.status_code == 404, mixed.text
    with client(base_url, keys["carol"]) as carol:
        answer = carol.get("/v1/compare", params={"tag": "alice-only"})
        assert answer.status_code == 422 and "no job has tag 'alice-only'" in answer.text
    with client(base_url, two_tenants["alice"]) as alice:
        answer = alice.get("/v1/compare", params={"tag": "alice-only"})
        assert [job["job_id"] for job in answer.json()["jobs"]] == [tagged["alice"]]


def test_the_same_file_uploaded_by_two_tenants_is_two_models(
    service: tuple[str, Path], two_tenants: dict[str, Any], demo_weights: bytes
) -> None:
    base_url, _ = service
    with client(base_url, two_tenants["bob"]) as bob:
        response = bob.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["id"] != two_tenants["model"]


def test_keys_are_stored_as_sha256_only(
    service: tuple[str, Path], two_tenants: dict[str, Any]
) -> None:
    import hashlib

    _, storage = service
    engine = create_engine(f"sqlite:///{storage / 'dsrs.sqlite3'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT key_sha256, prefix FROM api_keys")).all()
    engine.dispose()
    digests = {row.key_sha256 for row in stored}
    for key in (two_tenants["alice"], two_tenants["bob"]):
        assert hashlib.sha256(key.encode()).hexdigest() in digests
        assert all(key not in row.key_sha256 and key != row.prefix for row in stored)


def test_quotas_answer_429_with_the_limit(service: tuple[str, Path], demo_weights: bytes) -> None:
    base_url, _ = service
    key = new_tenant(base_url, "small", max_jobs_in_flight=1, max_samples_per_job=4)
    with client(base_url, key) as small:
        model = small.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp"},
        ).json()["id"]
        too_many = small.post(
            "/v1/jobs", json=job_body(model, inputs={"dataset": "digits", "stop": 5})
        )
        assert too_many.status_code == 429
        assert "quota of 4 inputs per job" in too_many.json()["detail"]
        # a long job stays in flight while the second one is refused
        first = small.post(
            "/v1/jobs",
            json=job_body(model, inputs={"dataset": "digits", "stop": 4}, n=2_000_000),
        )
        assert first.status_code == 202, first.text
        second = small.post("/v1/jobs", json=job_body(model))
        assert second.status_code == 429
        assert "1 jobs queued or running (quota 1)" in second.json()["detail"]
        assert small.post(f"/v1/jobs/{first.json()['id']}/cancel").status_code == 200
        assert small.post("/v1/jobs", json=job_body(model)).status_code == 202


def test_auth_disabled_for_the_embedded_default(tmp_path: Path) -> None:
    from dsrs_settings import Settings

    assert not Settings(storage_dir=tmp_path).auth_required
    assert Settings(storage_dir=tmp_path, database_url="postgresql+psycopg://h/db").auth_required
    assert Settings(storage_dir=tmp_path, auth="required").auth_required
    assert not Settings(database_url="postgresql+psycopg://h/db", auth="disabled").auth_required
    # SQLite with a broker is not the embedded service: keys are required (as documented)
    assert Settings(storage_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0").auth_required


@pytest.mark.parametrize(
    "admin_key",
    [
        None,
        "",
        "changeme",
        "short-key",
        "a" * 32,
        "x" * 64,
        "ab" * 24,
        "admin-key-" + "0" * 40,
        "Password1!" * 3 + "Pa",
        "qwertyuiopasdfghjklzxcvbnm1234567890",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
        "correct horse battery staple again",
    ],
)
def test_a_service_that_requires_keys_refuses_to_start_without_a_real_admin_key(
    tmp_path: Path, admin_key: str | None
) -> None:
    from dsrs_api.app import create_app
    from dsrs_api.errors import InsecureConfigurationError
    from dsrs_settings import Settings

    settings = Settings(storage_dir=tmp_path, auth="required", admin_api_key=admin_key)
    with pytest.raises(InsecureConfigurationError, match="DSRS_ADMIN_API_KEY"):
        create_app(settings)


def test_dsrs_serve_refuses_to_start_without_an_admin_key(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}
    env.update(
        DSRS_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
        DSRS_STORAGE_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dsrs")), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "DSRS_ADMIN_API_KEY is not set" in done.stderr
