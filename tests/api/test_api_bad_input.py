"""Bad input that used to answer 500 gets a clear 4xx (one regression test per 500 of issue
24): NaN and infinities in JSON and queries, NUL characters in ids, names and queries (on
SQLite and on PostgreSQL, which cannot store them), input sets with a zero-size dimension
(415, no file left behind), duplicate ``.npz`` members and trailing ``.npy`` bytes (415),
and a thumbnail for every sample shape an input set may have."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.api.idle_dispatcher import IdleDispatcher
from tests.hostile_files import npy_header

#: Routes that take an id or a name in their path or query, with a NUL character there.
NUL_REQUESTS = [
    ("GET", "/v1/models/m%00x"),
    ("DELETE", "/v1/models/m%00x"),
    ("GET", "/v1/inputs/i%00x"),
    ("GET", "/v1/inputs/i%00x/items/0.png"),
    ("DELETE", "/v1/inputs/i%00x"),
    ("GET", "/v1/jobs/j%00x"),
    ("GET", "/v1/jobs/j%00x/results"),
    ("GET", "/v1/jobs/j%00x/summary"),
    ("GET", "/v1/jobs/j%00x/inputs/0.png"),
    ("POST", "/v1/jobs/j%00x/cancel"),
    ("DELETE", "/v1/jobs/j%00x"),
    ("GET", "/v1/jobs?name=a%00b"),
    ("GET", "/v1/jobs?tag=a%00b"),
    ("GET", "/v1/compare?job=a%00b&job=c"),
    ("GET", "/v1/plan?sigma=0.25&n=100&model_id=m%00x"),
    ("GET", "/v1/dashboard/jobs/j%00x/samples"),
]


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad-input") / "var"


@pytest.fixture(scope="module")
def api(storage: Path) -> Iterator[httpx.Client]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(storage_dir=storage, max_upload_bytes=2 * 1024 * 1024)
    with (
        running_server(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


def json_with(value: float) -> str:
    """A job body whose sigma is ``value``, written as Python's json writes non-finite
    numbers (``NaN``, ``Infinity``), which the server's JSON reader accepts."""
    return json.dumps(
        {"model_id": "m", "inputs": {"dataset": "digits", "stop": 2}, "noise": {"sigma": value}}
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_json_numbers_answer_422(api: httpx.Client, value: float) -> None:
    response = api.post(
        "/v1/jobs", content=json_with(value), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(error["loc"][-1] == "sigma" for error in errors)
    assert "NaN" in response.text or "Infinity" in response.text


@pytest.mark.parametrize(
    "field",
    [{"sequential": {"tolerance": "NaN", "target_radii": []}}, {"alpha": "Infinity"}],
)
def test_non_finite_numbers_in_any_field_answer_422(api: httpx.Client, field: dict) -> None:
    body = json.loads(json_with(0.25)) | field
    text = json.dumps(body).replace('"NaN"', "NaN").replace('"Infinity"', "Infinity")
    response = api.post("/v1/jobs", content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "finite" in response.text or "greater" in response.text or "less" in response.text


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_non_finite_query_numbers_answer_422(api: httpx.Client, value: str) -> None:
    response = api.get("/v1/plan", params={"sigma": value, "n": 100, "dimension": 64})
    assert response.status_code == 422, response.text


def assert_nul_refused(client: httpx.Client) -> None:
    for method, path in NUL_REQUESTS:
        response = client.request(method, path)
        assert response.status_code == 422, (method, path, response.status_code, response.text)
        assert "NUL" in response.json()["detail"], (method, path, response.text)


def nul_bodies(client: httpx.Client, demo_weights: bytes) -> list[httpx.Response]:
    """Names with a NUL character in every body that carries one."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 4), np.float32))
    job = json.loads(json_with(0.25))
    return [
        client.post("/v1/jobs", json=job | {"name": "a\x00b"}),
        client.post("/v1/jobs", json=job | {"tags": ["a\x00b"]}),
        client.post("/v1/tenants", json={"name": "a\x00b"}),
        client.post(
            "/v1/models",
            files={"file": ("m.safetensors", demo_weights)},
            data={"architecture": "digits-mlp", "name": "a\x00b"},
        ),
        client.post(
            "/v1/inputs", files={"file": ("x.npy", buffer.getvalue())}, data={"name": "a\x00b"}
        ),
        client.post(
            "/v1/inputs",
            content=b'--b\r\nContent-Disposition: form-data; name="file"; '
            b'filename="x\x00.npy"\r\n\r\n' + buffer.getvalue() + b"\r\n--b--\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        ),
    ]


def test_nul_characters_answer_422_embedded(api: httpx.Client, demo_weights: bytes) -> None:
    assert_nul_refused(api)
    for response in nul_bodies(api, demo_weights):
        # /v1/tenants answers 403 without keys (auth is off: there are no tenants to make).
        assert response.status_code in (422, 403), response.text


@pytest.mark.slow
def test_nul_characters_answer_422_on_postgresql(
    tmp_path: Path, module_postgres_database: str, demo_weights: bytes
) -> None:
    """PostgreSQL refuses NUL in text (psycopg DataError): every route answers 422, and an
    upload refused for its name leaves no file behind."""
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    admin_key = "bad-input-admin-key-" + secrets.token_urlsafe(32)
    settings = Settings(
        storage_dir=tmp_path / "var",
        database_url=module_postgres_database,
        admin_api_key=admin_key,
        auth="required",
    )
    with (
        running_server(create_app(settings, dispatcher=IdleDispatcher())) as base_url,
        httpx.Client(base_url=base_url, headers={"X-API-Key": admin_key}, timeout=60) as client,
    ):
        assert_nul_refused(client)
        for response in nul_bodies(client, demo_weights):
            assert response.status_code == 422, response.text
            assert "NUL" in response.text
    assert not any((tmp_path / "var").glob("models/*/*")), "a refused upload left a file"
    assert not any((tmp_path / "var").glob("inputs/*/*")), "a refused upload left a file"


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize("shape", [(0, 1, 8, 8), (3, 0), (2, 1, 0, 4)])
def test_zero_size_dimension_answers_415_and_stores_nothing(
    api: httpx.Client, storage: Path, shape: tuple[int, ...]
) -> None:
    before = sorted((storage / "inputs").glob("*")) if (storage / "inputs").exists() else []
    response = api.post(
        "/v1/inputs", files={"file": ("x.npy", npy_bytes(np.zeros(shape, np.float32)))}
    )
    assert response.status_code == 415, response.text
    assert "every dimension at least 1" in response.json()["detail"]
    after = sorted((storage / "inputs").glob("*")) if (storage / "inputs").exists() else []
    assert after == before


def test_npz_with_duplicate_members_answers_415(api: httpx.Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inputs.npy", npy_bytes(np.zeros((2, 4), np.float32)))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("inputs.npy", npy_bytes(np.ones((3, 4), np.float32)))
    response = api.post("/v1/inputs", files={"file": ("x.npz", buffer.getvalue())})
    assert response.status_code == 415, response.text
    assert "more than once" in response.json()["detail"]


def test_npy_with_trailing_bytes_answers_415(api: httpx.Client) -> None:
    data = npy_bytes(np.zeros((2, 4), np.float32)) + b"trailing"
    response = api.post("/v1/inputs", files={"file": ("x.npy", data)})
    assert response.status_code == 415, response.text
    assert "after the 32 bytes" in response.json()["detail"]
    # The same holds inside an npz member.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inputs.npy", data)
    response = api.post("/v1/inputs", files={"file": ("x.npz", buffer.getvalue())})
    assert response.status_code == 415, response.text
    assert npy_header((2, 4))  # the helper the hostile files share writes the same header


@pytest.mark.parametrize(
    "shape", [(2, 5), (2, 300), (2, 1, 6, 6), (2, 2, 3, 4, 4), (2, 1, 2, 3, 5, 5), (2, 7, 9)]
)
def test_every_accepted_sample_shape_has_a_thumbnail(
    api: httpx.Client, shape: tuple[int, ...]
) -> None:
    values = np.linspace(0, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    response = api.post("/v1/inputs", files={"file": ("x.npy", npy_bytes(values))})
    assert response.status_code in (200, 201), response.text
    thumbnail = api.get(f"/v1/inputs/{response.json()['id']}/items/1.png")
    assert thumbnail.status_code == 200, thumbnail.text
    assert thumbnail.headers["content-type"] == "image/png"
    assert thumbnail.content.startswith(b"\x89PNG\r\n\x1a\n")
