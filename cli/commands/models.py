"""``dsrs models upload | list | show | rm``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsrs_cli.connection import client_options, open_client, print_json, print_record
from dsrs_cli.id_prefixes import resolve_id
from dsrs_cli.options.parsing import parse_floats
from dsrs_cli.terminal_text import markup

if TYPE_CHECKING:
    from dsrs_client.contract import ModelOut

models_app = typer.Typer(help="Upload and inspect base classifiers.", no_args_is_help=True)


@models_app.command("upload")
def upload(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="safetensors or ONNX file"),
    ] = None,
    arch: Annotated[
        str | None,
        typer.Option("--arch", help="Registered architecture (required for safetensors)."),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            help="Your own network instead of a file: FILE.py:FACTORY, a function (or class) "
            "returning the torch.nn.Module with its weights loaded. Exported to ONNX here, "
            "checked, then uploaded.",
        ),
    ] = None,
    input_shape: Annotated[
        str | None,
        typer.Option(help="With --module: C,H,W of one input (an example is drawn in [0, 1])."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: file name).")] = None,
    mean: Annotated[
        str | None, typer.Option(help="Comma-separated per-channel mean (safetensors).")
    ] = None,
    std: Annotated[
        str | None, typer.Option(help="Comma-separated per-channel std (safetensors).")
    ] = None,
) -> None:
    """Upload a base classifier; prints its id (the same content gives the same id).

    A network whose architecture is not registered: --module my_net.py:build --input-shape
    3,32,32 (README, "Certify your own model").
    """
    if (path is None) == (module is None):
        raise typer.BadParameter("give a model file or --module FILE.py:FACTORY (one of them)")
    source: Path | tuple[str, bytes]
    if module is not None:
        source = _exported_module(module, input_shape)
        name = name or source[0].removesuffix(".onnx")
    else:
        assert path is not None
        source = path
    with open_client(ctx) as dsrs:
        model = dsrs.upload_model(
            source, architecture=arch, name=name, mean=parse_floats(mean), std=parse_floats(std)
        )
    if client_options(ctx).json_output:
        print_json(model)
    else:
        typer.echo(model.id)


def _exported_module(spec: str, input_shape: str | None) -> tuple[str, bytes]:
    """``FILE.py:FACTORY`` run here (the user's own, trusted code), exported to ONNX."""
    import importlib.util
    import sys

    import numpy as np

    from dsrs_cli.options.parsing import parse_ints
    from dsrs_client.onnx_export import OnnxExportError, export_onnx

    file_name, _, factory_name = spec.rpartition(":")
    shape = parse_ints(input_shape)
    if not file_name or not factory_name:
        raise typer.BadParameter(f"--module must be FILE.py:FACTORY, got {spec!r}")
    if shape is None or len(shape) != 3:
        raise typer.BadParameter("--module needs --input-shape C,H,W (e.g. 3,32,32)")
    location = Path(file_name)
    if not location.is_file():
        raise typer.BadParameter(f"--module: {location} is not a file")
    # The user's own code, run on the user's side; its folder is importable, as when run.
    sys.path.insert(0, str(location.resolve().parent))
    loader = importlib.util.spec_from_file_location(location.stem, location)
    assert loader is not None and loader.loader is not None
    namespace = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(namespace)
    factory = getattr(namespace, factory_name, None)
    if not callable(factory):
        raise typer.BadParameter(f"--module: {location} defines no callable {factory_name!r}")
    example = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    try:
        exported = export_onnx(factory(), example)
    except OnnxExportError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"exported {factory_name}() to ONNX: input {exported.input_shape}, "
        f"{exported.num_classes} classes, {len(exported.onnx_bytes)} bytes",
        err=True,
    )
    return f"{location.stem}.onnx", exported.onnx_bytes


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
def show(
    ctx: typer.Context, model_id: Annotated[str, typer.Argument(help="Model id or unique prefix")]
) -> None:
    """Show one model."""
    with open_client(ctx) as dsrs:
        model = dsrs.get_model(resolve_id(dsrs, "model", model_id))
    print_record(ctx, model)


@models_app.command("rm")
def remove(
    ctx: typer.Context, model_id: Annotated[str, typer.Argument(help="Id or unique prefix")]
) -> None:
    """Delete a model (refused while any job uses it: delete those jobs first)."""
    with open_client(ctx) as dsrs:
        full_id = resolve_id(dsrs, "model", model_id)
        dsrs.delete_model(full_id)
    typer.echo(f"deleted model {full_id}")


def _print_models(models: list[ModelOut]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(models)} model(s)")
    for column in ("id", "name", "format", "architecture", "input shape", "classes", "created"):
        table.add_column(column)
    for m in models:
        table.add_row(
            markup(m.id),
            markup(m.name),
            markup(m.format),
            markup(m.architecture or ""),
            "x".join(map(str, m.input_shape)),
            str(m.num_classes),
            m.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
