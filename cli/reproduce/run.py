"""Recompute and write the radius files of one model of ``dsrs reproduce`` with the
engine's batch API (:mod:`dsrs_core.radii_from_intervals`) and the data tree's reader and writers
(:mod:`dsrs_cli.published.files`)."""

from __future__ import annotations

import time
from pathlib import Path

from dsrs_cli.reproduce.compare import compare_dsrs, compare_np
from dsrs_cli.reproduce.plan import ModelPlan

__all__ = ["run_plan"]


def run_plan(
    plan: ModelPlan,
    data: Path,
    out: Path,
    mode: str,
    workers: int,
    compare: bool,
    console,
    check: str = "verified",
) -> list[tuple[str, list[float]]]:
    """Compute and write every file of one model; return named radius arrays for tables.
    ``check == "proven"``: prove every NP radius too (:func:`prove_np_files`)."""
    from dsrs_cli.published.files import (
        new_radius_name,
        orig_radius_name,
        parse_sampling_name,
        read_sampling,
        write_new_radius,
        write_orig_radius,
    )
    from dsrs_client.contract import DATASETS
    from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
    from dsrs_core.radii_from_intervals import dsrs_radii, np_radii

    dimension = DATASETS[plan.dataset].dimension
    p = NoiseSpec("general-gaussian", float(plan.sigma_text), plan.k)
    sampling = data / "sampling" / plan.model
    orig: dict[str, dict[int, float]] = {}
    arrays: list[tuple[str, list[float]]] = []
    for name in plan.np_files:
        p_file = parse_sampling_name(name)
        assert p_file is not None
        started = time.perf_counter()
        intervals = read_sampling(sampling / name)
        results = np_radii(p, dimension, {i: lo for i, (lo, _) in intervals.items()}, workers)
        radii = {i: r.radius for i, r in results.items()}
        orig[name] = radii
        out_name = orig_radius_name(p_file)
        write_orig_radius(
            out / "orig-radius" / plan.model,
            out_name,
            radii,
            {i: r.seconds for i, r in results.items()},
        )
        console.print(
            f"[green]wrote[/] orig-radius/{plan.model}/{out_name} "
            f"({len(radii)} instances, {time.perf_counter() - started:.1f} s)"
        )
        if compare:
            compare_np(console, data / "orig-radius" / plan.model / out_name, radii)
        if check == "proven":
            prove_np_file(
                p,
                dimension,
                intervals,
                radii,
                out / "proven-radius" / plan.model,
                out_name,
                workers,
                console,
            )
        if p_file.n == "100000":
            arrays.append(
                (
                    f"NP, equal budget (N={p_file.n}, α={p_file.alpha})",
                    [radii[i] for i in sorted(radii)],
                )
            )
    for config in plan.dsrs:
        p_file = parse_sampling_name(config.p_name)
        assert p_file is not None
        started = time.perf_counter()
        p_int = read_sampling(sampling / config.p_name)
        q_int = read_sampling(sampling / config.q_name)
        qspec = (
            QSpec(
                threshold=config.q_param if config.q_param in ("x", "x+") else float(config.q_param)
            )
            if config.thresholded
            else QSpec(sigma=float(config.q_param))
        )
        search = RadiusSearch(method="grid", unit=config.unit, mode=mode, unit_scale="absolute")
        base = orig[config.p_name]
        results = dsrs_radii(p, dimension, qspec, search, p_int, q_int, base, workers)
        new = {i: r.radius for i, r in results.items()}
        out_name = new_radius_name(p_file, config.q_param, config.thresholded)
        write_new_radius(
            out / "new-radius" / plan.model,
            out_name,
            new,
            base,
            {i: r.seconds for i, r in results.items()},
        )
        console.print(
            f"[green]wrote[/] new-radius/{plan.model}/{out_name} (unit {config.unit}, "
            f"{time.perf_counter() - started:.1f} s)"
        )
        if compare:
            compare_dsrs(
                console, data / "new-radius" / plan.model / out_name, new, results, config.unit
            )
        label = (
            f"DSRS Q={config.q_param}{' (th)' if config.thresholded else ''} "
            f"[{mode}, u={config.unit}]"
        )
        arrays.append((label, [max(new[i], base[i]) for i in sorted(new)]))
    return arrays


def prove_np_file(
    p,
    dimension: int,
    intervals: dict[int, tuple[float, float]],
    radii: dict[int, float],
    folder: Path,
    name: str,
    workers: int,
    console,
) -> None:
    """Proof mode for the NP radii of one sampling file (docs/math.md §7.5): write the
    proven radii (0 where none is) and their CPU seconds as ``orig-radius`` files, and
    ``proof-NAME`` with one line per instance (outcome, proven radius, enclosure of the dual
    bound minus 1/2, seconds); print the report."""
    from dsrs_cli.published.files import write_orig_radius
    from dsrs_cli.tables.proof import proof_report_lines, proof_row_line
    from dsrs_core.evaluation.proof_check import proof_row_fields
    from dsrs_core.radii_from_intervals import np_proofs

    started = time.perf_counter()
    instances = {i: (intervals[i][0], radii[i]) for i in radii}
    rows = {
        i: proof_row_fields(proof)
        for i, proof in np_proofs(p, dimension, instances, workers).items()
    }
    write_orig_radius(
        folder,
        name,
        {i: row["proven_np_radius"] or 0.0 for i, row in rows.items()},
        {i: row["proof_seconds"] for i, row in rows.items()},
    )
    (folder / f"proof-{name}").write_text(
        "# index outcome proven_radius L-1/2_lower L-1/2_upper cpu_seconds\n"
        + "".join(proof_row_line(i, rows[i]) + "\n" for i in sorted(rows))
    )
    console.print(
        f"[green]wrote[/] proven-radius/{folder.name}/{name} and proof-{name} "
        f"({len(rows)} instances, {time.perf_counter() - started:.1f} s)"
    )
    for line in proof_report_lines([rows[i] for i in sorted(rows)]):
        console.print(line, highlight=False)
