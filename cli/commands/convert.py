"""``dsrs convert``: a checkpoint of the original repositories → safetensors + architecture
name, locally (``torch.load(weights_only=True)``; the server never unpickles)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsrs_cli.connection import client_options, print_json


def convert(
    ctx: typer.Context,
    checkpoint: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="torch.save checkpoint (.pth)")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="safetensors file (default: <checkpoint>.safetensors)."
        ),
    ] = None,
    arch: Annotated[
        str | None,
        typer.Option(
            "--arch",
            help="Architecture (original or registry name); default the checkpoint's 'arch'.",
        ),
    ] = None,
) -> None:
    """Convert an original checkpoint ({'arch', 'state_dict'}) into our safetensors form,
    checked against the registered architecture; prints the upload command."""
    from dsrs_cli.checkpoint_conversion import ConversionError, convert_checkpoint

    target = output or checkpoint.with_suffix(".safetensors")
    try:
        result = convert_checkpoint(checkpoint, target, architecture=arch)
    except ConversionError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if client_options(ctx).json_output:
        print_json(
            {
                "output": str(result.output),
                "architecture": result.architecture,
                "source_architecture": result.source_architecture,
                "stripped_prefix": result.stripped_prefix,
                "mean": result.mean,
                "std": result.std,
                "ignored_entries": result.ignored_entries,
            }
        )
        return
    typer.echo(
        f"wrote {result.output} (architecture {result.architecture}"
        + (f", from {result.source_architecture}" if result.source_architecture else "")
        + (f", stripped {result.stripped_prefix!r}" if result.stripped_prefix else "")
        + ")"
    )
    if result.ignored_entries:
        typer.echo(f"not converted: {', '.join(result.ignored_entries)}")
    upload = f"dsrs models upload {result.output} --arch {result.architecture}"
    if result.mean is not None and result.std is not None:
        upload += (
            f" --mean {','.join(map(repr, result.mean))} --std {','.join(map(repr, result.std))}"
        )
    typer.echo(f"upload with: {upload}")
