"""Rich tables of job results: the certified-accuracy summary and per-input rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_client.contract import JobOut, SampleOut, Summary

__all__ = ["print_job", "print_samples", "print_summary"]


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


def print_summary(summary: Summary, title: str | None = None) -> None:
    """Certified accuracy at each radius for NP and DSRS, then ACR."""
    from rich.table import Table

    metric = "Certified accuracy" if summary.labelled else "Certified fraction"
    table = Table(title=title or f"{metric}, job {summary.job_id} ({summary.samples} inputs)")
    table.add_column("radius", justify="right")
    table.add_column("NP", justify="right")
    uses_q = summary.acr_dsrs is not None
    if uses_q:
        table.add_column("DSRS", justify="right")
    for row in summary.certified_accuracy:
        cells = [f"{row.radius:.2f}", f"{100 * row.np:.1f}%"]
        if uses_q:
            cells.append(f"{100 * (row.dsrs or 0.0):.1f}%")
        table.add_row(*cells)
    table.add_section()
    acr = [f"{summary.acr_np:.4f}"] + ([f"{summary.acr_dsrs:.4f}"] if uses_q else [])
    table.add_row("ACR", *acr)
    _console().print(table)
    _console().print(f"abstain rate {100 * summary.abstain_rate:.1f}%")


def print_samples(samples: Sequence[SampleOut]) -> None:
    """One line per input: label, prediction, bounds and radii."""
    from rich.table import Table

    table = Table(title=f"{len(samples)} input(s)")
    for column in ("#", "index", "label", "prediction", "pL", "qL", "NP radius", "DSRS radius"):
        table.add_column(column, justify="right")
    for s in samples:
        table.add_row(
            str(s.sample_index),
            str(s.dataset_index),
            "" if s.label is None else str(s.label),
            "abstain" if s.prediction is None else str(s.prediction),
            f"{s.p_lower:.5f}",
            "" if s.q_lower is None else f"{s.q_lower:.5f}",
            f"{s.np_radius:.4f}",
            "" if s.dsrs_radius is None else f"{s.dsrs_radius:.4f}",
        )
    _console().print(table)


def print_job(job: JobOut) -> None:
    """Status, progress, parameters and timings of one job."""
    p = job.parameters
    noise = p.noise
    q = None if p.q is None else p.q.model_dump()
    lines = [
        f"job        {job.id}",
        f"status     {job.status}" + (f" ({job.error})" if job.error else ""),
        f"progress   {job.progress.done}/{job.progress.total}"
        + (f", ETA {job.eta_seconds:.0f} s" if job.eta_seconds is not None else ""),
        f"model      {job.model_id}",
        f"mode       {job.mode}",
        f"P          {noise.family} sigma={noise.sigma} k={noise.k}",
        f"Q          {q if q else 'none (NP only)'}",
        f"N          {p.n} (n0 {p.n_selection}), alpha {p.alpha}",
        f"seed       {job.seed}",
    ]
    if job.timings.wall_seconds is not None:
        lines.append(f"wall time  {job.timings.wall_seconds:.1f} s")
    _console().print("\n".join(lines), highlight=False)
