"""Every route and command that takes a model, input set or job id accepts a unique prefix
of it (one rule: :func:`dsrs_store.repository.resolve_id`, within the caller's tenant), and
an ambiguous prefix is refused naming the caller's own candidates only.

The routes are enumerated from the OpenAPI document (path and query parameters named
``model_id``, ``input_set_id``, ``job_id``, and the job body's id fields); the commands from
the typer tree (every parameter whose help says "unique prefix", and every parameter named
``*_id``/``*_ids`` must say so). A new route or command that takes an id fails here until it
is given an invocation below.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import typer

from dsrs_cli.main import app as cli_app

pytestmark = pytest.mark.slow

ID_PARAMETERS = {"model_id": "model", "input_set_id": "input set", "job_id": "job"}
PREFIX = 7


def _npz(count: int) -> bytes:
    from dsrs_models.demo import demo_dataset

    images, labels = demo_dataset("test")
    buffer = io.BytesIO()
    np.savez(buffer, inputs=images[:count], labels=labels[:count])
    return buffer.getvalue()


class Objects:
    """Fresh rows of each kind on the service, one per use that consumes (deletes) one."""

    def __init__(self, client: httpx.Client, weights: bytes) -> None:
        self.client = client
        self.weights = weights
        self.uploads = 0

    def model(self) -> str:
        self.uploads += 1  # another normalisation: another model (uploads are content addressed)
        answer = self.client.post(
            "/v1/models",
            files={"file": ("d.safetensors", self.weights)},
            data={"architecture": "digits-mlp", "mean": str(self.uploads / 1000), "std": "1"},
        )
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["id"])

    def input_set(self) -> str:
        self.uploads += 1
        answer = self.client.post("/v1/inputs", files={"file": ("d.npz", _npz(1 + self.uploads))})
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["id"])

    def job(self, *, finished: bool = True, model_id: str | None = None) -> str:
        body = {
            "model_id": model_id or self.model(),
            "inputs": {"dataset": "digits", "stop": 2 if finished else 400},
            "noise": {"family": "gaussian", "sigma": 0.25},
            "n": 100 if finished else 50_000,
            "seed": 3,
        }
        answer = self.client.post("/v1/jobs", json=body)
        assert answer.status_code == 202, answer.text
        job_id = str(answer.json()["id"])
        if finished:
            status = "queued"
            for _ in range(600):
                status = self.client.get(f"/v1/jobs/{job_id}").json()["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.2)
            assert status == "succeeded", status
        return job_id

    def fresh(self, kind: str) -> str:
        return {"model": self.model, "input set": self.input_set, "job": self.job}[kind]()


@pytest.fixture(scope="module")
def objects(embedded_service: Any, demo_weights: bytes) -> Iterator[Objects]:
    with httpx.Client(base_url=embedded_service.url, timeout=120) as client:
        yield Objects(client, demo_weights)


# -- routes -----------------------------------------------------------------------------


def id_operations() -> list[tuple[str, str, str, str]]:
    """``(method, path, parameter, location)`` of every operation taking an id."""
    from dsrs_api.app import create_app
    from dsrs_settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        document = create_app(Settings(storage_dir=Path(folder))).openapi()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ID_PARAMETERS:
                    found.append((method.upper(), path, parameter["name"], parameter["in"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and body["schema"].get("$ref", "").endswith("/JobCreate"):
                found += [
                    (method.upper(), path, "model_id", "body"),
                    (method.upper(), path, "input_set_id", "body"),
                ]
    return found


def required_choices(method: str, path: str) -> dict[str, str]:
    """The operation's other required query parameters that take one of a few values (e.g. a
    download's ``format``), each set to its first allowed value, read from the OpenAPI
    document so a new route needs no entry here."""
    from dsrs_api.app import create_app
    from dsrs_settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        document = create_app(Settings(storage_dir=Path(folder))).openapi()
    chosen = {}
    for parameter in document["paths"][path][method.lower()].get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "query" and parameter.get("required") and "enum" in schema:
            chosen[parameter["name"]] = schema["enum"][0]
    return chosen


def test_the_id_operations_are_enumerated() -> None:
    found = {(m, p) for m, p, *_ in id_operations()}
    assert ("GET", "/v1/jobs/{job_id}/results") in found and ("GET", "/v1/plan") in found
    assert ("GET", "/v1/compare") in found and ("POST", "/v1/jobs") in found
    assert len(found) >= 17


@pytest.mark.parametrize(("method", "path", "name", "where"), id_operations(), ids=lambda v: str(v))
def test_every_route_taking_an_id_accepts_a_unique_prefix(
    objects: Objects, method: str, path: str, name: str, where: str
) -> None:
    kind = ID_PARAMETERS[name]
    full = objects.fresh(kind) if method == "DELETE" else shared_object(objects, kind)
    prefix = full[:PREFIX]
    job = shared_object(objects, "job")
    values = {"job_id": job, "model_id": shared_object(objects, "model"), "index": "0"}
    values["input_set_id"] = shared_object(objects, "input set")
    query: dict[str, Any] = {}
    body = None
    if where == "path":
        values[name] = prefix
    elif where == "query":
        query[name] = prefix
    if path == "/v1/plan":
        query.update(sigma=0.25, n=1000)
    query.update(required_choices(method, path))
    if method == "POST" and path == "/v1/jobs":
        body = {
            "model_id": values["model_id"],
            "inputs": {"input_set_id": values["input_set_id"], "stop": 1},
            "noise": {"family": "gaussian", "sigma": 0.25},
            "n": 100,
        }
        body["model_id" if name == "model_id" else "inputs"] = (
            prefix if name == "model_id" else {"input_set_id": prefix, "stop": 1}
        )
    url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
    if path.endswith("/cancel"):
        url = url.replace(prefix, objects.job(finished=False)[:PREFIX])
    answer = objects.client.request(method, url, params=query, json=body)
    assert answer.status_code < 300, (method, url, query, answer.status_code, answer.text)
    if (
        method == "GET"
        and where == "path"
        and answer.headers["content-type"].startswith("application/json")
    ):
        assert answer.json() == objects.client.get(url.replace(prefix, full)).json()


_shared: dict[str, str] = {}


def shared_object(objects: Objects, kind: str) -> str:
    """One row of each kind kept for the whole module (the job uses the shared model)."""
    if kind not in _shared:
        _shared[kind] = (
            objects.job(model_id=shared_object(objects, "model"))
            if kind == "job"
            else objects.fresh(kind)
        )
    return _shared[kind]


def test_an_ambiguous_or_unknown_prefix_is_refused_naming_the_callers_candidates(
    tmp_path: Path,
) -> None:
    from sqlalchemy import update

    from dsrs_settings import Settings
    from dsrs_store import repository
    from dsrs_store.database import make_engine, make_session_factory
    from dsrs_store.errors import AmbiguousIdError, NotFoundError
    from dsrs_store.migrations import upgrade_to_head
    from dsrs_store.tables import ModelRecord
    from dsrs_store.tenancy import scope_to_tenant
    from tests.support.factories import seed_model

    settings = Settings(storage_dir=tmp_path / "var")
    upgrade_to_head(settings)
    factory = make_session_factory(make_engine(settings))
    from dsrs_store import tenants

    with factory() as session:
        mine_id = tenants.add_tenant(session, "mine").id
        theirs_id = tenants.add_tenant(session, "theirs").id
        session.commit()
    seeded = [seed_model(factory, owner_id=owner) for owner in (mine_id, mine_id, theirs_id)]
    with factory() as session:  # ids that share a prefix ("abc"), two mine and one theirs
        for old, new in zip(seeded, ("abc1", "abc2", "abc3"), strict=True):
            full = new + new[-1] * 28
            session.execute(update(ModelRecord).where(ModelRecord.id == old).values(id=full))
        session.commit()
    with factory() as session:
        scope_to_tenant(session, mine_id)
        with pytest.raises(AmbiguousIdError) as refused:
            repository.get_model(session, "abc")
        assert "abc1111…" in str(refused.value) and "abc2222…" in str(refused.value)
        assert "abc3" not in str(refused.value)  # another tenant's model is not named
        assert repository.resolve_id(session, "model", "ABC2") == "abc2" + "2" * 28
        with pytest.raises(NotFoundError):
            repository.resolve_id(session, "model", "abc3")  # theirs: does not exist for me
        with pytest.raises(NotFoundError):
            repository.resolve_id(session, "model", "zz%")


def test_an_ambiguous_prefix_answers_409_over_http(objects: Objects) -> None:
    ids = [objects.model() for _ in range(17)]  # two of 17 share a first character
    first = [i[0] for i in ids]
    shared = next(c for c in first if first.count(c) > 1)
    answer = objects.client.get(f"/v1/models/{shared}")
    assert answer.status_code == 409, answer.text
    assert "ambiguous" in answer.json()["detail"] and "give more characters" in answer.text


# -- commands ---------------------------------------------------------------------------


def id_options() -> list[tuple[str, str]]:
    """``(command path, parameter)`` of every command parameter that takes an id."""
    root = typer.main.get_command(cli_app)
    found = []

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])
        for parameter in getattr(command, "params", []):
            says = "unique prefix" in (getattr(parameter, "help", None) or "")
            named = re.search(r"_ids?$", parameter.name or "")
            assert says or not named, f"{' '.join(path)} {parameter.name}: help must say it"
            if says:
                found.append((" ".join(path), parameter.name))

    walk(root, [])
    return found


#: How to run each command with the id (``{model}``, ``{input set}``, ``{job}``: a prefix;
#: ``{running job}``: a prefix of a job still running; ``{fresh …}``: of a row it may delete).
INVOCATIONS = {
    ("jobs show", "job_id"): "jobs show {job}",
    ("jobs watch", "job_ids"): "jobs watch {job}",
    ("jobs results", "job_id"): "jobs results {job} --rows",
    ("jobs cancel", "job_id"): "jobs cancel {running job}",
    ("jobs rm", "job_id"): "jobs rm {fresh job}",
    (
        "jobs submit",
        "model_id",
    ): "jobs submit --model {model} --dataset digits --stop 1 --n 100 --sigma 0.25",
    ("jobs submit", "input_set_id"): "jobs submit --model {model} --input-set {input set} "
    "--stop 1 --n 100 --sigma 0.25",
    ("models show", "model_id"): "models show {model}",
    ("models rm", "model_id"): "models rm {fresh model}",
    ("inputs show", "input_set_id"): "inputs show {input set}",
    ("inputs rm", "input_set_id"): "inputs rm {fresh input set}",
    ("export", "job_id"): "export {job} --output {tmp}/rows.csv",
    ("recertify", "job_id"): "recertify {job}",
    ("plan", "model"): "plan --sigma 0.25 --n 1000 --model {model}",
    ("compare", "jobs"): "compare {job} {job}",
}


def test_the_id_options_are_enumerated_and_each_has_an_invocation() -> None:
    assert set(id_options()) == set(INVOCATIONS)


@pytest.mark.parametrize("option", sorted(INVOCATIONS), ids=" ".join)
def test_every_command_taking_an_id_accepts_a_unique_prefix(
    objects: Objects, embedded_service: Any, run_cli: Any, option: tuple[str, str], tmp_path: Path
) -> None:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "tmp":
            return str(tmp_path)
        if name == "running job":
            return objects.job(finished=False)[:PREFIX]
        if name.startswith("fresh "):
            return objects.fresh(name.removeprefix("fresh "))[:PREFIX]
        return shared_object(objects, name)[:PREFIX]

    arguments = re.sub(r"{([a-z ]+)}", value, INVOCATIONS[option]).split()
    result = run_cli(embedded_service, *arguments)
    assert result.exit_code == 0, (arguments, result.stdout, result.stderr)


def test_a_sweep_files_model_may_be_a_prefix(
    objects: Objects, embedded_service: Any, run_cli: Any, tmp_path: Path
) -> None:
    sweep = tmp_path / "sweep.yaml"
    model = shared_object(objects, "model")[:PREFIX]
    sweep.write_text(
        f"base: {{model: {model}, dataset: digits, stop: 1, n: 100}}\ngrid: {{sigma: [0.25]}}\n"
    )
    plot = tmp_path / "sweep.png"  # not the default, which is written in the working directory
    result = run_cli(embedded_service, "sweep", str(sweep), "--timeout", "300", "--plot", str(plot))
    assert result.exit_code == 0, (result.stdout, result.stderr)
