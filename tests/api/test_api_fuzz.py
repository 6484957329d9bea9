"""Schemathesis against the service's own OpenAPI schema: every operation, with valid and
invalid inputs, with random ids, with ids that exist, and with one value of a valid case
poisoned (NaN, an infinity, or a NUL character in a string) — no answer is a 5xx.

The app is the embedded one with API keys required (the admin key is sent), so the
authentication path is fuzzed too; jobs are stored but not run (a dispatcher that only
records them), so generated jobs cost no sampling. The number of cases is bounded
(``EXAMPLES`` per operation and mode) and printed.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

ADMIN_KEY = "fuzz-admin-key-" + secrets.token_urlsafe(32)
EXAMPLES = 40
ID_PARAMETERS = ("model_id", "job_id", "input_set_id", "tenant_id")


class RecordingDispatcher:
    def __init__(self) -> None:
        self.enqueued: list[tuple[str, int]] = []

    def enqueue(self, job_id: str, chunks: int) -> None:
        self.enqueued.append((job_id, chunks))

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None


def seeded_ids(client: Any, weights: bytes) -> dict[str, str]:
    """A real model, input set, job and tenant, so fuzzing reaches past the 404s."""
    headers = {"X-API-Key": ADMIN_KEY}
    model = client.post(
        "/v1/models",
        files={"file": ("m.safetensors", weights)},
        data={"architecture": "digits-mlp"},
        headers=headers,
    ).json()["id"]
    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.zeros((4, 1, 8, 8), np.float32), labels=np.arange(4))
    input_set = client.post(
        "/v1/inputs", files={"file": ("x.npz", buffer.getvalue())}, headers=headers
    ).json()["id"]
    job = client.post(
        "/v1/jobs",
        json={
            "model_id": model,
            "inputs": {"dataset": "digits", "stop": 3},
            "noise": {"sigma": 0.25},
            "n": 100,
        },
        headers=headers,
    ).json()["id"]
    tenant = client.post("/v1/tenants", json={"name": "fuzz"}, headers=headers).json()["id"]
    return {"model_id": model, "job_id": job, "input_set_id": input_set, "tenant_id": tenant}


def with_real_ids(ids: dict[str, str]) -> Callable[[Any], Any]:
    def substitute(case: Any) -> Any:
        for name in ID_PARAMETERS:
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = ids[name]
        if isinstance(case.body, dict) and "model_id" in case.body:
            case.body["model_id"] = ids["model_id"]
        inputs = case.body.get("inputs") if isinstance(case.body, dict) else None
        if isinstance(inputs, dict) and "input_set_id" in inputs:
            inputs["input_set_id"] = ids["input_set_id"]
        return case

    return substitute


#: What a poisoned case puts in one of its values: numbers strict JSON cannot carry, and
#: the character PostgreSQL cannot store.
POISONS: tuple[float | str, ...] = (float("nan"), float("inf"), float("-inf"), "\x00")


def poisoned(case_and_choice: tuple[Any, float | str, int]) -> Any:
    """The case with its ``choice``-th value (path, query or body, in order) replaced by
    ``poison`` (a string keeps its text around a NUL)."""
    case, poison, choice = case_and_choice
    slots: list[tuple[Any, Any]] = []

    def collect(container: Any) -> None:
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, dict | list):
                collect(value)
            else:
                slots.append((container, key))

    for part in (case.path_parameters, case.query, case.body):
        if isinstance(part, dict | list):
            collect(part)
    if slots:
        container, key = slots[choice % len(slots)]
        value = container[key]
        if poison == "\x00":
            container[key] = f"{value}"[:1] + "\x00" + f"{value}"[1:]
        else:
            container[key] = poison
    return case


def send(case: Any, base_url: str) -> Any:
    """Answer of ``case``; a JSON body is written by Python's json, which writes NaN and
    infinities as ``NaN`` / ``Infinity`` (what a hostile client sends; requests refuses)."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=base_url, headers={"X-API-Key": ADMIN_KEY})
    if "json" in kwargs:
        kwargs["data"] = json.dumps(kwargs.pop("json"))
        kwargs["headers"] = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
    return requests.request(**kwargs, timeout=60)


def test_no_operation_answers_5xx(tmp_path: Path, demo_weights: bytes) -> None:
    import httpx
    import schemathesis
    from schemathesis.generation import GenerationMode

    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    app = create_app(
        Settings(storage_dir=tmp_path / "var", max_upload_bytes=1 << 20, admin_api_key=ADMIN_KEY),
        dispatcher=RecordingDispatcher(),
    )
    with running_server(app) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            ids = seeded_ids(client, demo_weights)
        cases, operations, server_errors = fuzz(schemathesis, GenerationMode, app, base_url, ids)
    print(
        f"schemathesis: {cases} cases over {len(operations)} operations, "
        f"{len(server_errors)} answered 5xx"
    )
    assert len(operations) >= 20
    assert cases >= EXAMPLES * len(operations)
    assert server_errors == []


def fuzz(  # type: ignore[no-untyped-def]
    schemathesis, generation_mode, app, base_url: str, ids: dict[str, str]
) -> tuple[int, list[Any], list[str]]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    cases = 0
    server_errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]

    for operation in operations:
        strategies = [
            operation.as_strategy(generation_mode=generation_mode.POSITIVE),
            operation.as_strategy(generation_mode=generation_mode.NEGATIVE),
        ]
        if re.search(r"\{(model_id|job_id|input_set_id|tenant_id)\}", operation.path) or (
            operation.method.upper() == "POST" and operation.path == "/v1/jobs"
        ):
            strategies.append(strategies[0].map(with_real_ids(ids)))
        strategies.append(
            st.tuples(strategies[-1], st.sampled_from(POISONS), st.integers(0, 63)).map(poisoned)
        )

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=EXAMPLES * len(strategies),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            nonlocal cases
            cases += 1
            response = send(case, base_url)
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.operation.label}: {response.status_code} {response.text[:300]} "
                    f"for {case.operation.label} {case.path_parameters} {case.query} "
                    f"{case.body!r:.300}"
                )

        call()
    return cases, operations, server_errors
