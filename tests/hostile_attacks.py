"""The hostile-upload suite of issue 11, run against a :class:`ServedApi` (the embedded
service in ``tests/api``, the full stack in ``tests/integration``).

Each attack must get the expected 4xx, leak no canary, leave nothing large on disk, keep
the API's peak memory within :data:`MAX_MEMORY_GROWTH_MIB` of where it started and
``/healthz`` answering within :data:`MAX_HEALTHZ_S` throughout. Valid controls still upload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests import hostile_files as files
from tests.hostile_harness import MIB, ServedApi
from tests.polling import wait_until

MAX_MEMORY_GROWTH_MIB = 200
# A bound on a blocked event loop, not a latency target: it answers in milliseconds on an
# idle machine and stayed under 1 s at a load of 12; 5 s keeps a loaded CI machine green.
MAX_HEALTHZ_S = 5.0
MAX_DISK_LEFT_BYTES = 4 * MIB

#: Expected status of each hostile model file.
MODEL_STATUS = dict.fromkeys(files.HOSTILE_MODELS, 422)
MODEL_STATUS.update(
    {
        "pickle protocol 2": 415,
        "pickle protocol 5": 415,
        "pickle protocol 0": 415,
        "torch.save zip": 415,
        "TorchScript zip": 415,
        "safetensors header length 8 GiB": 415,
    }
)
INPUT_STATUS = dict.fromkeys(files.HOSTILE_INPUTS, 415)


def upload_model(content: bytes, **form: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(
        "/v1/models", files={"file": ("model.bin", content)}, data=form
    )


def upload_inputs(content: bytes) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post("/v1/inputs", files={"file": ("inputs.bin", content)})


def _job(model_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "stop": 2},
        "noise": {"sigma": 0.25},
        "n_selection": 10,
        "n": 100,
    }
    for key, value in changes.items():
        body[key] = value
    return body


def _chunked(size: int, piece: bytes = b" " * 65536) -> Iterator[bytes]:
    yield b'{"model_id": "x",'
    for _ in range(size // len(piece)):
        yield piece
    yield b"}"


def _finished_job(api: ServedApi, model_id: str) -> str:
    """A valid job, run to the end (its results pages are attacked later)."""
    with api.client() as client:
        job = client.post("/v1/jobs", json=_job(model_id))
    assert job.status_code in (201, 202), job.text

    def job_status() -> dict:
        # a connection per poll: the embedded service runs this job in-process (torch
        # imports hold its event loop), and an idle keep-alive may be closed meanwhile
        with api.client() as client:
            return client.get(f"/v1/jobs/{job.json()['id']}").json()

    status = wait_until(
        job_status, lambda s: s["status"] not in ("queued", "running"), timeout=300, interval=0.5
    )
    assert status["status"] == "succeeded", status
    return str(status["id"])


def check(
    api: ServedApi, name: str, send: Callable[[httpx.Client], httpx.Response], expected: int
) -> None:
    outcome = api.attack(name, send)
    assert outcome.status == expected, (name, outcome.status, outcome.detail)
    assert outcome.memory_growth_mib < MAX_MEMORY_GROWTH_MIB, (name, outcome)
    assert outcome.slowest_healthz_s < MAX_HEALTHZ_S, (name, outcome)
    assert outcome.disk_growth_bytes < MAX_DISK_LEFT_BYTES, (name, outcome)


def run_hostile_suite(api: ServedApi, demo_weights: bytes) -> None:
    """Every attack and variation, then the valid controls (see the module docstring)."""
    # -- valid controls first: the service accepts what it should
    demo = api.attack(
        "control: demo safetensors", upload_model(demo_weights, architecture="digits-mlp")
    )
    assert demo.status in (200, 201), demo.detail
    with api.client() as client:
        model_id = client.get("/v1/models").json()[0]["id"]
    controls = {
        "control: ONNX": files.valid_onnx(),
        "control: ONNX with the graph field first": files.onnx_graph_field_first(),
    }
    for name, content in controls.items():
        outcome = api.attack(name, upload_model(content))
        assert outcome.status == 201, (name, outcome.detail)
    outcome = api.attack(
        "control: safetensors whose header length starts 0x80 0x02",
        upload_model(
            files.safetensors_with_header_length(demo_weights, 0x0280), architecture="digits-mlp"
        ),
    )
    assert outcome.status == 201, outcome.detail
    outcome = api.attack("control: npz", upload_inputs(files.npz_valid()))
    assert outcome.status == 201, outcome.detail
    job_id = _finished_job(api, model_id)
    api.rebaseline()  # the embedded service ran that job in-process (torch): not an attack

    # -- the attacks
    for name, build in files.HOSTILE_MODELS.items():
        check(api, name, upload_model(build()), MODEL_STATUS[name])
    for name, build in files.HOSTILE_INPUTS.items():
        check(api, name, upload_inputs(build()), INPUT_STATUS[name])
    for name, mean, std in (
        ("std 1e-300", "0.5", "1e-300"),
        ("mean nan", "nan", "0.5"),
        ("mean 1e39", "1e39", "0.5"),
    ):
        normalised = upload_model(demo_weights, architecture="digits-mlp", mean=mean, std=std)
        check(api, f"normalisation {name}", normalised, 422)
    check(
        api,
        "JSON job body 50 MiB (Content-Length)",
        lambda c: c.post(
            "/v1/jobs", content=b" " * (50 * MIB), headers={"content-type": "application/json"}
        ),
        413,
    )
    check(
        api,
        "JSON job body 50 MiB (chunked, whitespace padding)",
        lambda c: c.post(
            "/v1/jobs", content=_chunked(50 * MIB), headers={"content-type": "application/json"}
        ),
        413,
    )
    check(
        api,
        "JSON job body 2 MiB of whitespace",
        lambda c: c.post(
            "/v1/jobs",
            content=b"{" + b" " * (2 * MIB) + b"}",
            headers={"content-type": "application/json"},
        ),
        413,
    )
    for name, changes in {
        "job sigma 1e308": {"noise": {"sigma": 1e308}},
        "job sigma 1e-300": {"noise": {"sigma": 1e-300}},
        "job alpha 5e-324": {"alpha": 5e-324},
        "job grid unit 1e-320": {"radius_search": {"unit": 1e-320}},
        "job tolerance 0": {"radius_search": {"method": "precise", "tolerance": 0}},
        "job n 2**63": {"n": 2**63},
        "job seed 2**64": {"seed": 2**64},
        "job index 2**40": {"inputs": {"dataset": "digits", "indices": [2**40]}},
        "job start 2**63": {"inputs": {"dataset": "digits", "start": 2**63}},
        "job Q sigma 1e308": {"q": {"sigma": 1e308}},
        "job k 2**62": {"noise": {"family": "general-gaussian", "sigma": 0.5, "k": 2**62}},
    }.items():
        body = _job(model_id, **changes)
        check(api, name, lambda c, body=body: c.post("/v1/jobs", json=body), 422)
    for cursor in (str(2**31), str(2**63), "9" * 100, "-1"):
        check(
            api,
            f"results cursor {cursor[:12]}",
            lambda c, cursor=cursor: c.get(f"/v1/jobs/{job_id}/results", params={"cursor": cursor}),
            422,
        )
    check(
        api,
        "summary radii 1e308",
        lambda c: c.get(f"/v1/jobs/{job_id}/summary", params={"radii": "1e308"}),
        422,
    )
    for name, params in {
        "plan sigma 1e308": {"sigma": "1e308", "n": "1000", "dimension": "64"},
        "plan alpha 5e-324": {"sigma": "0.5", "n": "1000", "dimension": "64", "alpha": "5e-324"},
        "plan radius_unit 1e-320": {
            "sigma": "0.5",
            "n": "1000",
            "dimension": "64",
            "radius_unit": "1e-320",
        },
        "plan n 2**63": {"sigma": "0.5", "n": str(2**63), "dimension": "64"},
        "plan dimension 10**30": {"sigma": "0.5", "n": "1000", "dimension": str(10**30)},
        "plan q_sigma 1e308": {"sigma": "0.5", "n": "1000", "dimension": "64", "q_sigma": "1e308"},
    }.items():
        check(api, name, lambda c, params=params: c.get("/v1/plan", params=params), 422)
    check(
        api, "list offset 2**63", lambda c: c.get("/v1/models", params={"offset": str(2**63)}), 422
    )

    # -- the admin's identical uploads are one model, even when they race
    content = files.valid_onnx()
    with ThreadPoolExecutor(3) as pool, api.client() as client:
        answers = list(pool.map(lambda _: upload_model(content)(client), range(3)))
    assert {a.status_code for a in answers} <= {200, 201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1, [a.json()["id"] for a in answers]

    # -- security headers on every page (data, documentation, refusals)
    with api.client() as client:
        for path in ("/healthz", "/docs", "/redoc", "/openapi.json", "/v1/jobs/nope"):
            headers = client.get(path).headers
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "no-referrer", path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        docs = client.get("/docs").headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in docs and "https:" not in docs, docs

    # -- the API's own temporary files were all removed
    assert not [p for p in api.tmpdir.rglob("*") if p.is_file()], list(api.tmpdir.rglob("*"))
    print("\n" + api.table())
