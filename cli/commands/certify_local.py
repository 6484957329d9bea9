"""``dsrs certify-local``: the whole pipeline on this machine, without a server — a model
file and inputs in, the certified-accuracy table and a results file out.

Seeds are derived per input exactly as the service does
(:func:`dsrs_core.sampling.seeds.sample_seed` of the run seed and the input's position), so a
local run and a job with the same seed, inputs and parameters give the same counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from dsrs_cli.connection import client_options, print_json
from dsrs_cli.options.budget import (
    AlphaOption,
    FamilyOption,
    KOption,
    QSigmaOption,
    QThresholdOption,
    RadiusUnitOption,
    SearchModeOption,
)
from dsrs_cli.options.parsing import parse_threshold
from dsrs_client.contract.choices import Check
from dsrs_client.contract.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_BATCH_SIZE,
    DEFAULT_FIRST_LOOK,
    DEFAULT_N,
    DEFAULT_N_SELECTION,
    DEFAULT_RADIUS_UNIT,
)

if TYPE_CHECKING:
    import numpy as np

    from dsrs_client.contract import SampleOut


def certify_local(
    ctx: typer.Context,
    model_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="safetensors (with --arch) or ONNX")
    ],
    arch: Annotated[
        str | None, typer.Option("--arch", help="Registered architecture of a safetensors file.")
    ] = None,
    inputs: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help=".npy (n, *shape), or .npz/safetensors with 'inputs' and 'labels'.",
        ),
    ] = None,
    dataset: Annotated[
        Literal["digits"] | None, typer.Option(help="Built-in dataset instead of --inputs.")
    ] = None,
    split: Annotated[Literal["train", "test"], typer.Option(help="Dataset split.")] = "test",
    start: Annotated[int, typer.Option(help="First input.")] = 0,
    stop: Annotated[int | None, typer.Option(help="End (exclusive); default all.")] = None,
    mode: Annotated[
        Literal["evaluate", "predict"] | None,
        typer.Option(help="evaluate (needs labels) or predict; default evaluate with labels."),
    ] = None,
    family: FamilyOption = "gaussian",
    sigma: Annotated[float, typer.Option(help="Sigma of P.")] = 0.25,
    k: KOption = 0,
    q_sigma: QSigmaOption = None,
    q_threshold: QThresholdOption = None,
    n_selection: Annotated[
        int, typer.Option(help="Selection draws n0 (predict).")
    ] = DEFAULT_N_SELECTION,
    n: Annotated[int, typer.Option(help="Draws under P and under Q.")] = DEFAULT_N,
    alpha: AlphaOption = DEFAULT_ALPHA,
    batch_size: Annotated[
        int, typer.Option(help="Noisy copies per forward pass.")
    ] = DEFAULT_BATCH_SIZE,
    radius_method: Annotated[
        Literal["grid", "precise"], typer.Option(help="DSRS radius search.")
    ] = "grid",
    radius_unit: RadiusUnitOption = DEFAULT_RADIUS_UNIT,
    search_mode: SearchModeOption = "exact",
    target_radius: Annotated[
        list[float] | None,
        typer.Option(
            help="Sequential sampling, target-radius form: stop each input once it is "
            "certified at every target radius or cannot reach one (repeatable).",
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            help="Sequential sampling, radius form: stop each input once its radius would "
            "not reach the next multiple of this (as `jobs submit --tolerance`).",
        ),
    ] = None,
    first_look: Annotated[
        int, typer.Option(help="Sequential sampling: draws at the first look.")
    ] = DEFAULT_FIRST_LOOK,
    check: Annotated[
        Check,
        typer.Option(
            help="proven: also prove each NP radius in interval arithmetic (proof mode, "
            "docs/math.md §7.5; seconds per input, needs python-flint)."
        ),
    ] = "verified",
    seed: Annotated[int, typer.Option(help="Run seed (per-input seeds derive from it).")] = 0,
    device: Annotated[str, typer.Option(help="Torch device (cpu, cuda).")] = "cpu",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Results file (.csv or .jsonl).")
    ] = None,
) -> None:
    """Certify inputs with a local model file, no server: prints NP vs DSRS certified
    accuracy and writes every input's counts, bounds and radii."""
    if (inputs is None) == (dataset is None):
        raise typer.BadParameter("give exactly one of --inputs or --dataset")
    if output is not None and output.suffix.lower() not in (".csv", ".jsonl"):
        raise typer.BadParameter("--output must end in .csv or .jsonl")
    config = _config(
        family,
        sigma,
        k,
        q_sigma,
        parse_threshold(q_threshold),
        n_selection,
        n,
        alpha,
        batch_size,
        radius_method,
        radius_unit,
        search_mode,
        _sequential(target_radius, tolerance, first_look),
    )
    arrays, labels = _inputs(inputs, dataset, split)
    chosen = range(start, len(arrays) if stop is None else min(stop, len(arrays)))
    if len(chosen) == 0:
        raise typer.BadParameter(f"no inputs in [{start}, {stop}) of {len(arrays)}")
    mode = mode or ("evaluate" if labels is not None else "predict")
    if mode == "evaluate" and labels is None:
        raise typer.BadParameter("mode evaluate needs labels (an .npz with 'labels')")
    classifier, input_shape = _classifier(model_file, arch, device)
    if tuple(arrays.shape[1:]) != tuple(input_shape):
        raise typer.BadParameter(
            f"inputs have shape {tuple(arrays.shape[1:])} but the model takes {tuple(input_shape)}"
        )
    samples = _certify(
        classifier, arrays, labels, chosen, config, mode, seed, device, batch_size, check
    )
    if output is not None:
        from dsrs_cli.export.rows import write_csv, write_jsonl

        output.parent.mkdir(parents=True, exist_ok=True)
        writer = write_csv if output.suffix.lower() == ".csv" else write_jsonl
        writer(samples, output)
    if client_options(ctx).json_output:
        print_json(samples)
        return
    _print_table(samples, mode)
    if check == "proven":
        from dsrs_cli.tables.proof import proof_fields_of, proof_report_lines

        typer.echo("\n".join(proof_report_lines([proof_fields_of(s) for s in samples])))
    if config.sequential is not None:
        _print_forward_passes(samples, config, mode)
    if output is not None:
        typer.echo(str(output))


def _sequential(target_radius, tolerance, first_look):  # type: ignore[no-untyped-def]
    """The typed sequential option, or None for fixed-N sampling."""
    if not target_radius and tolerance is None:
        return None
    from pydantic import ValidationError

    from dsrs_client.contract import SequentialIn

    try:
        return SequentialIn(
            target_radii=list(target_radius or []),
            tolerance=tolerance,
            first_look=first_look,
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None


def _print_forward_passes(samples: list[SampleOut], config: Any, mode: str) -> None:
    from dsrs_core.evaluation.job_summary import JobShape, ResultColumns, forward_passes_spent

    columns = ResultColumns.from_rows(samples)
    used, _, budget = forward_passes_spent(columns, JobShape.of_config(config, mode))
    typer.echo(
        f"forward passes: {used:,} of the fixed-N budget {budget:,} ({100 * used / budget:.1f}%)"
    )


def _config(
    family,
    sigma,
    k,
    q_sigma,
    q_threshold,
    n_selection,
    n,
    alpha,
    batch_size,
    method,
    unit,
    mode,
    sequential=None,
):  # type: ignore[no-untyped-def]
    """The engine config of these options, through the same typed parameters as a job."""
    from pydantic import ValidationError

    from dsrs_client.contract import JobParameters, NoiseIn, QIn, RadiusSearchIn
    from dsrs_core.errors import InvalidParameterError
    from dsrs_core.evaluation.job_config import certification_config

    try:
        q = None
        if q_sigma is not None or q_threshold is not None:
            q = QIn(sigma=q_sigma, threshold=q_threshold)
        parameters = JobParameters(
            noise=NoiseIn(family=family, sigma=sigma, k=k),
            q=q,
            n_selection=n_selection,
            n=n,
            alpha=alpha,
            batch_size=batch_size,
            radius_search=RadiusSearchIn(method=method, unit=unit, mode=mode),
            sequential=sequential,
        )
        return certification_config(parameters)
    except (InvalidParameterError, ValidationError) as error:
        raise typer.BadParameter(str(error)) from None


def _inputs(
    path: Path | None, dataset: str | None, split: str
) -> tuple[np.ndarray, np.ndarray | None]:
    if dataset == "digits":
        from dsrs_models.demo import demo_dataset

        return demo_dataset(split)  # type: ignore[arg-type]
    assert path is not None
    from dsrs_models.errors import InputFileError
    from dsrs_models.input_arrays import read_input_arrays

    try:
        arrays = read_input_arrays(path, max_bytes=None)  # the user's own file, read here
    except InputFileError as error:
        raise typer.BadParameter(f"{path}: {error}") from None
    return arrays.inputs, arrays.labels


def _classifier(path: Path, arch: str | None, device: str) -> tuple[Any, tuple[int, ...]]:
    from dsrs_models.errors import ModelError
    from dsrs_models.loading import load_model

    try:
        loaded = load_model(path.read_bytes(), architecture=arch, device=device)
    except ModelError as error:
        raise typer.BadParameter(f"{path}: {error}") from None
    return loaded.classifier, tuple(loaded.input_shape)


def _certify(
    classifier, arrays, labels, chosen, config, mode, seed, device, batch_size, check="verified"
) -> list[SampleOut]:  # type: ignore[no-untyped-def]
    import time

    import torch
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from dsrs_client.contract import SampleOut
    from dsrs_core.certify_on_device import certify
    from dsrs_core.evaluation.proof_check import proof_row_fields, prove_certificate
    from dsrs_core.results import certificate_fields
    from dsrs_core.sampling.seeds import sample_seed

    samples = []
    with Progress(
        TextColumn("certifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("certify", total=len(chosen))
        for position, index in enumerate(chosen):
            label = None if labels is None else int(labels[index])
            sample_seed_value = sample_seed(seed, position)
            started = time.perf_counter()
            certificate = certify(
                classifier,
                torch.from_numpy(arrays[index]),
                config,
                label=label if mode == "evaluate" else None,
                seed=sample_seed_value,
                device=device,
                batch_size=batch_size,
            )
            elapsed = time.perf_counter() - started
            proof = (
                prove_certificate(certificate, config, int(arrays[index].size))
                if check == "proven"
                else None
            )
            samples.append(
                SampleOut(
                    sample_index=position,
                    dataset_index=index,
                    label=label,
                    **certificate_fields(certificate),
                    **proof_row_fields(proof),
                    seed=sample_seed_value,
                    elapsed_s=elapsed,
                )
            )
            progress.advance(task)
    return samples


def _print_table(samples: list[SampleOut], mode: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from dsrs_cli.tables.certified_accuracy import accuracy_table

    table_values = accuracy_table(samples)
    metric = (
        "Certified accuracy" if all(s.label is not None for s in samples) else "Certified fraction"
    )
    table = Table(title=f"{metric} on {len(samples)} input(s) ({mode} mode)")
    table.add_column("radius", justify="right")
    table.add_column("NP", justify="right")
    if table_values.dsrs is not None:
        table.add_column("DSRS", justify="right")
    for i, radius in enumerate(table_values.radii):
        cells = [f"{radius:.2f}", f"{100 * table_values.np[i]:.1f}%"]
        if table_values.dsrs is not None:
            cells.append(f"{100 * table_values.dsrs[i]:.1f}%")
        table.add_row(*cells)
    table.add_section()
    acr = [f"{table_values.acr_np:.4f}"]
    if table_values.acr_dsrs is not None:
        acr.append(f"{table_values.acr_dsrs:.4f}")
    table.add_row("ACR", *acr)
    Console().print(table)
