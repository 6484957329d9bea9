"""``dsrs inputs upload | list | show | rm``: input sets, from arrays or from image folders."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsrs_cli.connection import client_options, open_client, print_json, print_record
from dsrs_cli.id_prefixes import SHOWN_ID_LENGTH, resolve_id
from dsrs_cli.terminal_text import markup

if TYPE_CHECKING:
    from dsrs_client.contract import InputSetOut

inputs_app = typer.Typer(
    help="Upload and inspect input sets (arrays or image folders).", no_args_is_help=True
)


@inputs_app.command("upload")
def upload(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help=".npy (inputs), .npz / safetensors ('inputs', optional 'labels'), or a folder "
            "of images (class-per-folder or Tiny ImageNet layout; see --help of the options)",
        ),
    ],
    name: Annotated[str | None, typer.Option(help="Display name (default: file name).")] = None,
    layout: Annotated[
        str, typer.Option(help="Image folders: auto, class-per-folder or tinyimagenet.")
    ] = "auto",
    split: Annotated[str, typer.Option(help="Tiny ImageNet: val or train.")] = "val",
    resize: Annotated[
        int | None, typer.Option(help="Image folders: scale the shorter side to this many pixels.")
    ] = None,
    crop: Annotated[
        int | None, typer.Option(help="Image folders: keep the central square of this side.")
    ] = None,
    grayscale: Annotated[bool, typer.Option(help="Image folders: one grey channel.")] = False,
    limit: Annotated[
        int | None, typer.Option(help="Image folders: the first N images in sorted order.")
    ] = None,
) -> None:
    """Upload inputs; prints the input set's id (the same bytes give the same id).

    Images are decoded here, converted to RGB (or grey), optionally resized (shorter side)
    and centre-cropped, and scaled to [0, 1]; labels are the indices of the sorted class
    folder names (ImageNet: --resize 256 --crop 224, as in the original scripts).
    """
    source: Path | tuple[str, bytes] = path
    if path.is_dir():
        source = _image_folder_upload(path, layout, split, resize, crop, grayscale, limit)
    with open_client(ctx) as dsrs:
        input_set = dsrs.upload_inputs(source, name=name or path.name)
    if client_options(ctx).json_output:
        print_json(input_set)
    else:
        typer.echo(input_set.id)


@inputs_app.command("list")
def list_inputs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
) -> None:
    """List the input sets on the service, newest first."""
    with open_client(ctx) as dsrs:
        input_sets = dsrs.list_input_sets(limit=limit)
    if client_options(ctx).json_output:
        print_json(input_sets)
        return
    _print_input_sets(input_sets)


@inputs_app.command("show")
def show(
    ctx: typer.Context, input_set_id: Annotated[str, typer.Argument(help="Id or unique prefix")]
) -> None:
    """Show one input set."""
    with open_client(ctx) as dsrs:
        input_set = dsrs.get_input_set(resolve_id(dsrs, "input set", input_set_id))
    print_record(ctx, input_set)


@inputs_app.command("rm")
def remove(
    ctx: typer.Context, input_set_id: Annotated[str, typer.Argument(help="Id or unique prefix")]
) -> None:
    """Delete an input set (refused while a queued or running job reads it)."""
    with open_client(ctx) as dsrs:
        full_id = resolve_id(dsrs, "input set", input_set_id)
        dsrs.delete_input_set(full_id)
    typer.echo(f"deleted input set {full_id}")


def _image_folder_upload(
    path: Path,
    layout: str,
    split: str,
    resize: int | None,
    crop: int | None,
    grayscale: bool,
    limit: int | None,
) -> tuple[str, bytes]:
    import numpy as np

    from dsrs_client.image_folders import ImageFolderError, read_image_folder

    try:
        images = read_image_folder(
            path,
            layout=layout,
            split=split,
            resize=resize,
            crop=crop,  # type: ignore[arg-type]
            grayscale=grayscale,
            limit=limit,
        )
    except ImageFolderError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{path}: {images.layout}, {len(images.labels)} images of shape "
        f"{tuple(images.inputs.shape[1:])}, {len(images.classes)} classes "
        f"({', '.join(images.classes[:5])}{', …' if len(images.classes) > 5 else ''})",
        err=True,
    )
    buffer = io.BytesIO()
    np.savez(buffer, inputs=images.inputs, labels=images.labels)
    return f"{path.name}.npz", buffer.getvalue()


def _print_input_sets(input_sets: list[InputSetOut]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(input_sets)} input set(s)")
    for column in ("id", "name", "count", "shape", "labels", "created"):
        table.add_column(column)
    for s in input_sets:
        table.add_row(
            markup(s.id[:SHOWN_ID_LENGTH]),
            markup(s.name),
            str(s.count),
            "x".join(map(str, s.sample_shape)),
            "yes" if s.has_labels else "no",
            s.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
