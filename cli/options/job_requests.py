"""Job request bodies from flat names (command-line options, sweep grids, files).

Flat names are the ones a researcher types: ``model``, ``dataset``, ``sigma``, ``k``,
``q_sigma``, ``q_threshold``, ``n``, ``alpha``… :func:`nested_fields` places each in the
nested body of ``POST /v1/jobs`` (:class:`dsrs_client.contract.JobCreate`), which then validates it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ALIASES",
    "FLAT_FIELDS",
    "Q_FIELDS",
    "JobField",
    "RequestFieldError",
    "job_fields",
    "load_document",
    "merge",
    "nested_fields",
    "validation_problems",
]

#: How a nested group's leaves are named flat: ``inputs.stop`` → ``stop``, ``q.sigma`` →
#: ``q_sigma``, ``sequential.first_look`` → ``first_look``. A group not listed here is
#: named ``<group>_<leaf>`` (a new group of the contract gets flat names by itself).
GROUP_PREFIXES = {"inputs": "", "noise": "", "sequential": "", "radius_search": "radius_"}
#: Other names accepted for a flat name (the short ones typed most, and former names).
ALIASES = {
    "model": "model_id",
    "input_set": "input_set_id",
    "tag": "tags",
    "search_mode": "radius_mode",
    "target_radius": "target_radii",
}


@dataclass(frozen=True)
class JobField:
    """One leaf of the job body (:class:`dsrs_client.contract.JobCreate`) by its flat name."""

    name: str
    path: tuple[str, ...]
    annotation: Any
    description: str | None


@functools.cache
def job_fields() -> dict[str, JobField]:
    """Every leaf of the job body by its flat name, derived from the contract's pydantic
    models, so that a parameter added there is a command-line option, a sweep-file key and
    a grid axis without being listed anywhere else."""
    from pydantic import BaseModel

    from dsrs_client.contract import JobCreate

    fields: dict[str, JobField] = {}

    def walk(model: type[BaseModel], path: tuple[str, ...]) -> None:
        for name, info in model.model_fields.items():
            nested = _model_of(info.annotation)
            if nested is not None:
                walk(nested, (*path, name))
                continue
            prefix = "" if not path else GROUP_PREFIXES.get(path[-1], f"{path[-1]}_")
            flat = prefix + name
            if flat in fields:  # pragma: no cover - a contract change that needs a prefix
                raise RuntimeError(f"two job fields are named {flat!r}: add a GROUP_PREFIXES entry")
            fields[flat] = JobField(flat, (*path, name), info.annotation, info.description)

    walk(JobCreate, ())
    return fields


def _model_of(annotation: Any) -> Any:
    """The pydantic model ``annotation`` is (or is optionally), else None."""
    import typing

    from pydantic import BaseModel

    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


#: Flat name → path in the job body (aliases included).
FLAT_FIELDS: dict[str, tuple[str, ...]] = {name: f.path for name, f in job_fields().items()}
FLAT_FIELDS.update({alias: FLAT_FIELDS[name] for alias, name in ALIASES.items()})
#: Flat names that replace Q as a whole (Q has exactly one of sigma or threshold).
Q_FIELDS = {name: path[-1] for name, path in FLAT_FIELDS.items() if path[0] == "q"}
_LIST_FIELDS = {"tags", "target_radii", "indices"}


class RequestFieldError(ValueError):
    """A flat name that is not a job field, or values that do not fit together."""


def nested_fields(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The job body holding the given flat fields (``None`` values are skipped).

    ``q_sigma`` / ``q_threshold`` set Q; ``q: none`` (or ``null``) asks for NP only.
    """
    body: dict[str, Any] = {}
    for name, value in flat.items():
        if value is None and name != "q":
            continue
        if name == "q":
            if value not in (None, "none", "null"):
                if not isinstance(value, Mapping):
                    raise RequestFieldError("q must be none or a mapping with sigma or threshold")
                body["q"] = dict(value)
            else:
                body["q"] = None
            continue
        if name in Q_FIELDS:
            if isinstance(body.get("q"), dict):
                raise RequestFieldError("give only one of q_sigma or q_threshold")
            body["q"] = {Q_FIELDS[name]: value}
            continue
        if name not in FLAT_FIELDS:
            raise RequestFieldError(unknown_field_message(name, "job field"))
        if FLAT_FIELDS[name][-1] in _LIST_FIELDS and isinstance(value, str | int | float):
            value = [value]  # `tag: x` in a file means `tags: [x]`
        target = body
        *parents, leaf = FLAT_FIELDS[name]
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return body


def validation_problems(error: Any) -> str:
    """A pydantic ``ValidationError`` as ``field: message; …`` (a whole-body error, whose
    location is empty, as its message alone: no stray ``: :``)."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
        for e in error.errors()
    )


def unknown_field_message(name: str, what: str, extra: tuple[str, ...] = ()) -> str:
    """``unknown job field 'tagz' (did you mean 'tags'?); allowed: …``."""
    import difflib

    allowed = sorted({*FLAT_FIELDS, "q", *extra})
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}; allowed: {', '.join(allowed)}"


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` on top; nested mappings merge, other values replace.

    Choosing a built-in ``dataset`` drops an ``input_set_id`` of the base and vice versa.
    """
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping) and key != "q":
            inner = merge(current, value)
            if key == "inputs":
                if "dataset" in value:
                    inner.pop("input_set_id", None)
                elif "input_set_id" in value:
                    inner.pop("dataset", None)
            merged[key] = inner
        else:
            merged[key] = value
    return merged


def load_document(path: Path) -> Any:
    """A YAML or JSON file (by extension; YAML is a superset, so others parse as YAML).

    Raises :class:`RequestFieldError` with the file name when it cannot be read or parsed.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise RequestFieldError(f"cannot read {path}: {error}") from None
