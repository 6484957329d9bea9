"""``dsrs models upload | list | show``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsrs_cli.connection import client_options, open_client, print_json
from dsrs_cli.option_parsing import parse_floats

if TYPE_CHECKING:
    from dsrs_client.contract import ModelOut

models_app = typer.Typer(help="Upload and inspect base classifiers.", no_args_is_help=True)


@models_app.command("upload")
def upload(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="safetensors or ONNX file")
    ],
    arch: Annotated[
        str | None,
        typer.Option("--arch", help="Registered architecture (required for safetensors)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: file name).")] = None,
    mean: Annotated[
        str | None, typer.Option(help="Comma-separated per-channel mean (safetensors).")
    ] = None,
    std: Annotated[
        str | None, typer.Option(help="Comma-separated per-channel std (safetensors).")
    ] = None,
) -> None:
    """Upload a base classifier; prints its id (the same content gives the same id)."""
    with open_client(ctx) as dsrs:
        model = dsrs.upload_model(
            path, architecture=arch, name=name, mean=parse_floats(mean), std=parse_floats(std)
        )
    if client_options(ctx).json_output:
        print_json(model)
    else:
        typer.echo(model.id)


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
) -> None:
    """List the models on the service."""
    with open_client(ctx) as dsrs:
        models = dsrs.list_models(limit=limit)
    if client_options(ctx).json_output:
        print_json(models)
        return
    _print_models(models)


@models_app.command("show")
def show(ctx: typer.Context, model_id: Annotated[str, typer.Argument(help="Model id")]) -> None:
    """Show one model."""
    with open_client(ctx) as dsrs:
        model = dsrs.get_model(model_id)
    if client_options(ctx).json_output:
        print_json(model)
        return
    for key, value in model.model_dump(mode="json").items():
        typer.echo(f"{key:12} {value}")


def _print_models(models: list[ModelOut]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(models)} model(s)")
    for column in ("id", "name", "format", "architecture", "input shape", "classes", "created"):
        table.add_column(column)
    for m in models:
        table.add_row(
            m.id,
            m.name,
            m.format,
            m.architecture or "",
            "x".join(map(str, m.input_shape)),
            str(m.num_classes),
            m.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
