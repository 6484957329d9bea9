"""Sweep files: a base job and a grid of values; every combination is one job.

Example (YAML; JSON works the same)::

    base:                      # flat names (dsrs_cli.options.job_requests) or the nested body
      model: 3f2a…
      dataset: digits
      stop: 20
      family: general-gaussian
      k: 20
      n: 500
    grid:                      # each list is one axis of the grid
      sigma: [0.25, 0.5]
      q_sigma_ratio: [0.8]     # Q sigma = ratio × P sigma (or q_sigma, q_threshold, q: none)
      n: [200, 500]
    radii: [0.25, 0.5, 0.75]   # optional: radii of the comparison table

Grid axes may be any flat job name (``model``, ``sigma``, ``k``, ``n``, ``alpha``,
``q_sigma``, ``q_threshold``, …) plus ``q_sigma_ratio``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dsrs_cli.options.job_requests import (
    FLAT_FIELDS,
    Q_FIELDS,
    RequestFieldError,
    merge,
    nested_fields,
    unknown_field_message,
    validation_problems,
)

__all__ = ["SweepConfiguration", "SweepSpec", "parse_sweep"]

GRID_ONLY = {"q_sigma_ratio"}
MAX_CONFIGURATIONS = 500


@dataclass(frozen=True)
class SweepConfiguration:
    """One point of the grid: its label, its axis values and the job body."""

    label: str
    values: dict[str, Any]
    body: dict[str, Any]


@dataclass(frozen=True)
class SweepSpec:
    configurations: list[SweepConfiguration]
    radii: list[float] | None


def parse_sweep(document: Any) -> SweepSpec:
    """Expand a sweep document into validated job bodies (raises :class:`RequestFieldError`
    with a message naming the offending key or combination)."""
    from pydantic import ValidationError

    from dsrs_client.contract import JobCreate

    if not isinstance(document, Mapping):
        raise RequestFieldError("a sweep file holds a mapping with 'base' and 'grid'")
    unknown = sorted(set(document) - {"base", "grid", "radii"})
    if unknown:
        raise RequestFieldError(f"unknown sweep keys {unknown}; allowed: base, grid, radii")
    base = _base_body(document.get("base") or {})
    grid = document.get("grid") or {}
    if not isinstance(grid, Mapping) or not grid:
        raise RequestFieldError("'grid' must map job fields to lists of values")
    axes = {
        name: (values if isinstance(values, list) else [values]) for name, values in grid.items()
    }
    for name, values in axes.items():
        if (
            name not in FLAT_FIELDS
            and name not in Q_FIELDS
            and name not in GRID_ONLY
            and name != "q"
        ):
            raise RequestFieldError(unknown_field_message(name, "grid axis", tuple(GRID_ONLY)))
        if not values:
            raise RequestFieldError(f"grid axis {name!r} has no values")
    count = 1
    for values in axes.values():
        count *= len(values)
    if count > MAX_CONFIGURATIONS:
        raise RequestFieldError(
            f"the grid has {count} configurations; at most {MAX_CONFIGURATIONS}"
        )
    configurations = []
    names = list(axes)
    for combination in itertools.product(*(axes[name] for name in names)):
        values = dict(zip(names, combination, strict=True))
        body = merge(base, nested_fields({k: v for k, v in values.items() if k not in GRID_ONLY}))
        if "q_sigma_ratio" in values:
            sigma = (body.get("noise") or {}).get("sigma")
            if sigma is None:
                raise RequestFieldError("q_sigma_ratio needs sigma in base or grid")
            body["q"] = {"sigma": float(values["q_sigma_ratio"]) * float(sigma)}
        label = " ".join(f"{name}={_short(value)}" for name, value in values.items())
        try:
            JobCreate.model_validate(body)
        except ValidationError as error:
            raise RequestFieldError(
                f"configuration {label}: {validation_problems(error)}"
            ) from None
        configurations.append(SweepConfiguration(label, values, body))
    radii = document.get("radii")
    if radii is not None and (
        not isinstance(radii, list) or not all(isinstance(r, (int, float)) for r in radii)
    ):
        raise RequestFieldError("'radii' must be a list of numbers")
    return SweepSpec(configurations, [float(r) for r in radii] if radii else None)


def _base_body(base: Any) -> dict[str, Any]:
    if not isinstance(base, Mapping):
        raise RequestFieldError("'base' must be a mapping (the common job fields)")
    flat = {k: v for k, v in base.items() if k in FLAT_FIELDS or k in Q_FIELDS}
    nested = {k: v for k, v in base.items() if k not in flat}
    groups = {path[0] for path in FLAT_FIELDS.values()} | {"q"}
    for key in nested:
        if key not in groups:
            raise RequestFieldError(unknown_field_message(key, "key in 'base'"))
    return merge(nested, nested_fields(flat))


def _short(value: Any) -> str:
    if isinstance(value, str) and len(value) > 12:
        return value[:8]
    return str(value)
