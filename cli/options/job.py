"""The job options of ``dsrs jobs submit``, derived from the contract.

Every leaf of :class:`dsrs_client.contract.JobCreate`
(:func:`dsrs_cli.options.job_requests.job_fields`)
becomes an option named after its flat name (``--sigma``, ``--q-sigma``, ``--target-radii``,
``--first-look``…), with its aliases as further names (``--model``, ``--tag``); a parameter
added to the contract appears here by itself. Choices come from ``Literal`` types, help from
the field's description (or the short texts below).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from dsrs_cli.options.parsing import parse_floats, parse_ints, parse_threshold

__all__ = ["job_field_values", "with_job_field_options"]

PANEL = "Job fields (the body of POST /v1/jobs)"

#: Help of fields whose contract description is missing or long.
HELP = {
    "model_id": "Model id or unique prefix.",
    "dataset": "Built-in dataset (the server's: digits always; mnist, cifar10 if installed).",
    "split": "train or test.",
    "input_set_id": "Uploaded input set id or unique prefix.",
    "indices": "Comma-separated input indices.",
    "start": "First index of a range.",
    "stop": "End of the range (exclusive).",
    "step": "Step of the range.",
    "mode": "evaluate (labels) or predict.",
    "family": "Noise family of P.",
    "sigma": "Sigma of P.",
    "k": "k of a general-gaussian P.",
    "q_sigma": "Sigma of Q (DSRS).",
    "q_threshold": "Thresholded Q: percentile in (0, 1), x or x+.",
    "n_selection": "Selection draws n0.",
    "n": "Draws under P and under Q (sequential: at most).",
    "alpha": "Failure probability.",
    "batch_size": "Noisy copies per pass.",
    "radius_method": "Radius search: grid or precise.",
    "radius_unit": "Grid step of DSRS radii, in units of sigma.",
    "radius_tolerance": "Precision of the precise radius search.",
    "radius_mode": "Radius search: exact or original (the paper's).",
    "target_radii": "Sequential sampling: comma-separated target radii; an input stops once "
    "certified at each (or once one is out of reach).",
    "tolerance": "Sequential sampling: stop once the radius would not reach the next "
    "multiple of this (instead of target radii).",
    "first_look": "Sequential sampling: draws at the first look.",
    "growth": "Sequential sampling: draws grow by this factor per look.",
    "final_share": "Sequential sampling: share of alpha for the last look.",
    "seed": "Seed (random if omitted).",
    "name": "A name to find the job by.",
    "tags": "A tag (repeatable); filter with jobs list.",
    "baseline": "NP baseline of a DSRS job: same-run (default) or equal-budget (N more draws "
    "under P, NP from the pooled 2N at the full alpha: the DSRS paper's baseline).",
}


def _parameter(field: Any) -> inspect.Parameter:
    from dsrs_cli.options.job_requests import ALIASES

    names = [field.name, *(alias for alias, target in ALIASES.items() if target == field.name)]
    flags = [f"--{name.replace('_', '-')}" for name in names]
    help_text = HELP.get(field.name) or field.description or f"{'.'.join(field.path)}."
    kind, choices = _option_type(field)
    if field.name == "tags":
        flags, kind = ["--tag", "--tags"], list[str]
    if choices:
        kind = Literal[tuple(choices)]  # typer offers them as choices
    option = typer.Option(*flags, help=help_text, rich_help_panel=PANEL)
    return inspect.Parameter(
        field.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind | None, option],
    )


def _option_type(field: Any) -> tuple[Any, list[str]]:
    """The option's Python type and its choices (for ``Literal`` fields)."""
    values = _flatten(field.annotation)
    literals = [v for t in values if typing.get_origin(t) is typing.Literal for v in t.__args__]
    if literals and all(typing.get_origin(t) is typing.Literal for t in values):
        return str, [str(v) for v in literals]
    if any(typing.get_origin(t) is list for t in values) or len(values) != 1:
        return str, []  # comma-separated lists, number-or-name thresholds: parsed below
    return (values[0] if values[0] in (int, float, str) else str), []


def _flatten(annotation: Any) -> list[Any]:
    """The types an annotation allows (unions opened, Annotated and None removed)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _flatten(arg)]
    return [] if annotation is type(None) else [annotation]


def job_field_values(values: dict[str, Any]) -> dict[str, Any]:
    """The flat fields given on the command line, parsed (lists, thresholds)."""
    from dsrs_cli.options.job_requests import job_fields

    fields = job_fields()
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or value == () or value == []:
            continue
        field = fields[name]
        if name == "q_threshold":
            value = parse_threshold(value)
        elif name == "tags":
            value = list(value)
        elif lists := [t for t in _flatten(field.annotation) if typing.get_origin(t) is list]:
            (item,) = typing.get_args(lists[0])
            value = parse_ints(value) if _flatten(item) == [int] else parse_floats(value)
        flat[name] = value
    return flat


class with_job_field_options:  # noqa: N801 - used as a decorator, named like one
    """``command`` with one option per job field added to its signature; it is called with
    ``job_fields``: the flat fields given, parsed (lists, thresholds).

    The signature is built when typer asks for it (when the command line runs), not at
    import: the contract's models (pydantic) are not imported by ``import dsrs_cli.main``."""

    def __init__(self, command: Callable[..., Any]) -> None:
        functools.update_wrapper(self, command)
        self.command = command

    def __call__(self, **values: Any) -> Any:
        from dsrs_cli.options.job_requests import job_fields

        given = {name: values.pop(name) for name in job_fields()}
        return self.command(**values, job_fields=job_field_values(given))

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        from dsrs_cli.options.job_requests import job_fields

        signature = inspect.signature(self.command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "job_fields"]
        return signature.replace(parameters=[*own, *(_parameter(f) for f in job_fields().values())])
