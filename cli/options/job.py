"""The job options of ``dsrs jobs submit``, derived from the contract.

Every leaf of :class:`dsrs_client.contract.JobCreate`
(:func:`dsrs_cli.options.job_requests.job_fields`)
becomes an option named after its flat name (``--sigma``, ``--q-sigma``, ``--target-radii``,
``--first-look``…); its other names (``--model``, ``--tag``) work too and are named in its
help. A parameter added to the contract appears here by itself. Choices come from
``Literal`` types, help from the field's description (:func:`option_help`).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from dsrs_cli.options.parsing import parse_floats, parse_ints, parse_threshold

__all__ = ["job_field_values", "option_help", "with_job_field_options"]

PANEL = "Job fields (the body of POST /v1/jobs)"


def _parameters(field: Any) -> list[inspect.Parameter]:
    """The field's option, and one hidden option per other name of it (``--model`` for
    ``--model-id``): the help lists one name per field, which keeps it legible at 80
    columns, and names the others in the text."""
    names = _names(field)
    help_text = option_help(field)
    kind, choices = _option_type(field)
    metavar = "<list>" if field.list_item is not None else None
    if field.name == "tags":
        kind, metavar = list[str], "<text>"
    if choices:
        kind = Literal[tuple(choices)]  # typer checks them; the help names them
        metavar = "<name>"
        help_text = f"{help_text} One of: {', '.join(choices)}."
    if len(names) > 1:
        help_text += f" Also {', '.join(_flag(name) for name in names[1:])}."
    shown = typer.Option(_flag(names[0]), help=help_text, metavar=metavar, rich_help_panel=PANEL)
    parameters = [_keyword(field.name, kind, shown)]
    for name in names[1:]:
        hidden = typer.Option(_flag(name), metavar=metavar, hidden=True)
        parameters.append(_keyword(_hidden_name(name), kind, hidden))
    return parameters


def _names(field: Any) -> list[str]:
    """The field's flat name and its aliases; the one most typed first (``tag``)."""
    from dsrs_cli.options.job_requests import ALIASES

    names = [field.name, *(alias for alias, target in ALIASES.items() if target == field.name)]
    return names[::-1] if field.name == "tags" else names


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _hidden_name(name: str) -> str:
    return f"{name}_alias"


def _keyword(name: str, kind: Any, option: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind | None, option],
    )


def option_help(field: Any) -> str:
    """The field's description up to its first full stop (the API documentation has the
    rest), and how a list is typed."""
    description = field.description or f"{'.'.join(field.path)}."
    first = description.split(". ", 1)[0].rstrip(".") + "."
    if field.list_item is not None and field.name != "tags":
        first += " Comma-separated."
    elif field.name == "tags":
        first += " Repeatable."
    return first


def _option_type(field: Any) -> tuple[Any, list[str]]:
    """The option's Python type and its choices (for ``Literal`` fields)."""
    from dsrs_cli.options.job_requests import allowed_types

    values = allowed_types(field.annotation)
    literals = [v for t in values if typing.get_origin(t) is typing.Literal for v in t.__args__]
    if literals and all(typing.get_origin(t) is typing.Literal for t in values):
        return str, [str(v) for v in literals]
    if any(typing.get_origin(t) is list for t in values) or len(values) != 1:
        return str, []  # comma-separated lists, number-or-name thresholds: parsed below
    return (values[0] if values[0] in (int, float, str) else str), []


def job_field_values(values: dict[str, Any]) -> dict[str, Any]:
    """The flat fields given on the command line, parsed (lists, thresholds)."""
    from dsrs_cli.options.job_requests import allowed_types, job_fields

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
        elif field.list_item is not None:
            integers = allowed_types(field.list_item) == [int]
            value = parse_ints(value) if integers else parse_floats(value)
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

        given = {}
        for name, field in job_fields().items():
            shown, *others = _names(field)
            flags = {_flag(shown): values.pop(name)}
            flags |= {_flag(other): values.pop(_hidden_name(other)) for other in others}
            set_by = {flag: value for flag, value in flags.items() if value not in (None, [], ())}
            if len(set_by) > 1:
                raise typer.BadParameter(f"give one of {', '.join(set_by)}, not both")
            given[name] = next(iter(set_by.values()), None)
        return self.command(**values, job_fields=job_field_values(given))

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        from dsrs_cli.options.job_requests import job_fields

        signature = inspect.signature(self.command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "job_fields"]
        added = [p for field in job_fields().values() for p in _parameters(field)]
        return signature.replace(parameters=[*own, *added])
