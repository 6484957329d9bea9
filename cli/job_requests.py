"""Job request bodies from flat names (command-line options, sweep grids, files).

Flat names are the ones a researcher types: ``model``, ``dataset``, ``sigma``, ``k``,
``q_sigma``, ``q_threshold``, ``n``, ``alpha``… :func:`nested_fields` places each in the
nested body of ``POST /v1/jobs`` (:class:`dsrs_client.contract.JobCreate`), which then validates it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FLAT_FIELDS", "RequestFieldError", "load_document", "merge", "nested_fields"]

#: Flat name → path in the job body.
FLAT_FIELDS: dict[str, tuple[str, ...]] = {
    "model": ("model_id",),
    "model_id": ("model_id",),
    "dataset": ("inputs", "dataset"),
    "split": ("inputs", "split"),
    "input_set": ("inputs", "input_set_id"),
    "input_set_id": ("inputs", "input_set_id"),
    "indices": ("inputs", "indices"),
    "start": ("inputs", "start"),
    "stop": ("inputs", "stop"),
    "step": ("inputs", "step"),
    "mode": ("mode",),
    "family": ("noise", "family"),
    "sigma": ("noise", "sigma"),
    "k": ("noise", "k"),
    "n_selection": ("n_selection",),
    "n": ("n",),
    "alpha": ("alpha",),
    "batch_size": ("batch_size",),
    "seed": ("seed",),
    "baseline": ("baseline",),
    "radius_method": ("radius_search", "method"),
    "radius_unit": ("radius_search", "unit"),
    "radius_tolerance": ("radius_search", "tolerance"),
    "search_mode": ("radius_search", "mode"),
}
#: Flat names that replace Q as a whole (Q has exactly one of sigma or threshold).
Q_FIELDS = {"q_sigma": "sigma", "q_threshold": "threshold"}


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
            allowed = ", ".join(sorted([*FLAT_FIELDS, *Q_FIELDS, "q"]))
            raise RequestFieldError(f"unknown job field {name!r}; allowed: {allowed}")
        target = body
        *parents, leaf = FLAT_FIELDS[name]
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return body


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
