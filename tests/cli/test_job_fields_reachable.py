"""Every field of the job body can be set from ``dsrs jobs submit``'s flags and from a sweep
file (issue 20): the fields are enumerated from the contract's models, each is given a
value other than its default, and the request that comes out carries that value."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel

from dsrs_cli.commands import jobs as job_commands
from dsrs_client.contract import JobCreate

#: A valid job without any optional field: each field is set on top of it.
BASE = {
    "model_id": "m1",
    "inputs": {"dataset": "digits"},
    "noise": {"sigma": 0.25},
    "q": {"sigma": 0.2},
}
#: Values tried per type, in order; the first that differs from the default and gives a
#: valid request is used.
CANDIDATES: dict[Any, list[Any]] = {
    float: [0.5, 0.05, 2.0],
    int: [3, 7],
    str: ["abc123"],
}


def leaves(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """``(path, annotation, default)`` of every leaf of ``model`` (nested models opened)."""
    found = []
    for name, info in model.model_fields.items():
        nested = [t for t in options_of(info.annotation) if isinstance(t, type)]
        submodels = [t for t in nested if issubclass(t, BaseModel)]
        if submodels:
            found += leaves(submodels[0], (*path, name))
        else:
            found.append(
                ((*path, name), info.annotation, info.get_default(call_default_factory=True))
            )
    return found


def options_of(annotation: Any) -> list[Any]:
    """The types an annotation allows (unions opened, Annotated and None removed)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return options_of(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in options_of(arg)]
    return [] if annotation is type(None) else [annotation]


def candidates(annotation: Any) -> list[Any]:
    values: list[Any] = []
    for option in options_of(annotation):
        if typing.get_origin(option) is typing.Literal:
            values += typing.get_args(option)
        elif typing.get_origin(option) is list:
            (item,) = typing.get_args(option)
            values += [[value] for value in candidates(item)]
        else:
            values += CANDIDATES[option]
    return values


def value_at(request: JobCreate, path: tuple[str, ...]) -> Any:
    value: Any = request
    for name in path:
        value = getattr(value, name)
    return value


#: Fields some values need besides the base (a general-gaussian P needs k; the
#: sequential-np baseline needs sequential sampling).
COMPANIONS: list[dict[str, Any]] = [
    {},
    {"noise": {"sigma": 0.25, "k": 3}},
    {"sequential": {"target_radii": [0.5]}},
]


def with_value(base: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``base`` with ``value`` at ``path`` (an input set replaces the dataset, a Q field
    replaces Q)."""
    body = {key: dict(group) if isinstance(group, dict) else group for key, group in base.items()}
    *parents, leaf = path
    target = body
    for parent in parents:
        target = target.setdefault(parent, {})
    if path == ("inputs", "input_set_id"):
        target.pop("dataset")
    if path[0] == "q":
        target.clear()
    target[leaf] = value
    return body


def settable_value(
    path: tuple[str, ...], annotation: Any, default: Any
) -> tuple[Any, dict[str, Any]]:
    """A value other than the default and the base job (with companions) it is valid in."""
    for value in candidates(annotation):
        if value == default:
            continue
        for companion in COMPANIONS:
            base = {**BASE, **companion}
            try:
                request = JobCreate.model_validate(with_value(base, path, value))
            except ValueError:
                continue
            if value_at(request, path) == value:
                return value, base
    raise AssertionError(f"no test value for {path} ({annotation}): add one to CANDIDATES")


FIELDS = leaves(JobCreate)
#: What ``jobs submit`` calls to validate its request (before a test replaces it).
VALIDATED = job_commands._validated


def test_the_enumeration_covers_the_request() -> None:
    paths = {path for path, _, _ in FIELDS}
    assert ("sequential", "first_look") in paths and ("q", "threshold") in paths
    assert ("seed",) in paths and ("inputs", "step") in paths and len(paths) >= 30


def submitted(
    base: dict[str, Any], arguments: list[str], tmp_path: Path, run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:  # fmt: skip
    """The request ``jobs submit -f <base> arguments…`` validates (nothing is sent), or the
    CLI's result when it refuses."""
    import yaml

    base_file = tmp_path / "base.yaml"
    base_file.write_text(yaml.safe_dump(base))
    requests: list[JobCreate] = []
    validated = VALIDATED

    def capture(body: dict[str, Any]) -> JobCreate:
        requests.append(validated(body))
        raise typer.Exit(0)  # stop before any request is sent

    monkeypatch.setattr(job_commands, "_validated", capture)
    result = run_cli(None, "jobs", "submit", "-f", str(base_file), *arguments)
    return requests[0] if result.exit_code == 0 else result


def flag_arguments(flat: str, value: Any) -> list[str]:
    flag = f"--{flat.replace('_', '-')}"
    if isinstance(value, list) and flat in ("tags", "tag"):
        return [part for item in value for part in (flag, item)]
    if isinstance(value, list):
        return [flag, ",".join(map(str, value))]
    return [flag, str(value)]


@pytest.mark.parametrize(
    ("path", "annotation", "default"), FIELDS, ids=[".".join(path) for path, _, _ in FIELDS]
)
def test_every_job_field_is_a_flag_and_a_sweep_key(
    path: tuple[str, ...], annotation: Any, default: Any, tmp_path: Path, run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from dsrs_cli.options.job_requests import job_fields
    from dsrs_cli.options.sweep_grid import parse_sweep

    flat_names = {field.path: name for name, field in job_fields().items()}
    assert path in flat_names, f"{'.'.join(path)} has no flat name"
    flat = flat_names[path]
    value, base = settable_value(path, annotation, default)

    # The command line: the base job in a file, the field as a flag.
    request = submitted(base, flag_arguments(flat, value), tmp_path, run_cli, monkeypatch)
    assert isinstance(request, JobCreate), request.stderr
    assert value_at(request, path) == value

    # A sweep file: the field as a grid axis over the same base.
    spec = parse_sweep({"base": base, "grid": {flat: [value]}})
    (configuration,) = spec.configurations
    assert value_at(JobCreate.model_validate(configuration.body), path) == value


def test_other_names_of_a_field_are_flags_too(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsrs_cli.options.job_requests import ALIASES, FLAT_FIELDS

    annotations = {path: (annotation, default) for path, annotation, default in FIELDS}
    for alias in ALIASES:
        path = FLAT_FIELDS[alias]
        value, base = settable_value(path, *annotations[path])
        arguments = flag_arguments(alias, value)
        request = submitted(base, arguments, tmp_path, run_cli, monkeypatch)
        assert isinstance(request, JobCreate), (alias, request.stderr)
        assert value_at(request, path) == value, alias
    # Two names of one field at once are refused.
    model = submitted(BASE, ["--model", "m2", "--model-id", "m3"], tmp_path, run_cli, monkeypatch)
    assert model.exit_code == 2 and "--model-id, --model" in model.stderr
