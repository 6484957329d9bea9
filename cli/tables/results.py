"""Rich tables of job results: the certified-accuracy summary and per-input rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dsrs_cli.terminal_text import markup

if TYPE_CHECKING:
    from dsrs_client.contract import Interval, JobOut, SampleOut, Summary

__all__ = [
    "print_job",
    "print_samples",
    "print_summary",
    "proof_row_cells",
]


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


def _with_interval(value: float, interval: Interval | None, percent: bool) -> str:
    text = f"{100 * value:.1f}%" if percent else f"{value:.4f}"
    if interval is None or interval.lower is None or interval.upper is None:
        return text
    if percent:
        return f"{text} [dim]({100 * interval.lower:.1f}–{100 * interval.upper:.1f})[/]"
    return f"{text} [dim]({interval.lower:.4f}–{interval.upper:.4f})[/]"


def print_summary(summary: Summary, title: str | None = None) -> None:
    """Certified accuracy at each radius for NP (same run; equal budget when drawn) and
    DSRS with their intervals, then ACR, benign accuracy and the gain with its baseline."""
    from rich.table import Table

    metric = "Certified accuracy" if summary.labelled else "Certified fraction"
    table = Table(
        title=markup(title or f"{metric}, job {summary.job_id} ({summary.samples} inputs)")
    )
    table.add_column("radius", justify="right")
    table.add_column("NP (same run)", justify="right")
    equal = summary.acr_np_equal_budget is not None
    sequential = summary.baseline == "sequential-np"
    if equal:
        table.add_column(
            "NP (sequential same cost)" if sequential else "NP (equal budget)", justify="right"
        )
    uses_q = summary.acr_dsrs is not None
    if uses_q:
        table.add_column("DSRS", justify="right")
    for row in summary.certified_accuracy:
        cells = [f"{row.radius:.2f}", _with_interval(row.np, row.np_interval, True)]
        if equal:
            cells.append(
                _with_interval(row.np_equal_budget or 0.0, row.np_equal_budget_interval, True)
            )
        if uses_q:
            cells.append(_with_interval(row.dsrs or 0.0, row.dsrs_interval, True))
        table.add_row(*cells)
    table.add_section()
    acr = [_with_interval(summary.acr_np, summary.acr_np_interval, False)]
    if equal:
        assert summary.acr_np_equal_budget is not None
        acr.append(
            _with_interval(summary.acr_np_equal_budget, summary.acr_np_equal_budget_interval, False)
        )
    if uses_q:
        assert summary.acr_dsrs is not None
        acr.append(_with_interval(summary.acr_dsrs, summary.acr_dsrs_interval, False))
    table.add_row("ACR", *acr)
    console = _console()
    console.print(table)
    lines = [f"abstain rate {100 * summary.abstain_rate:.1f}%"]
    if summary.benign_accuracy is not None:
        lines.append(
            "benign accuracy of the smoothed classifier (the paper's R = 0 column) "
            + _with_interval(summary.benign_accuracy, summary.benign_accuracy_interval, True)
        )
    if summary.acr_gain is not None:
        against = {
            "equal-budget": "the equal-budget NP baseline (2N draws under P, full alpha)",
            "sequential-np": "the sequential same-cost NP baseline (an independent "
            "sequential NP run, budget 2N, full alpha)",
        }.get(
            summary.baseline,
            "NP of the same run (N draws, P share of alpha: overstates the gain; submit with "
            "baseline equal-budget, or sequential-np for a sequential job, for a same-cost "
            "baseline)",
        )
        lines.append(f"DSRS ACR gain {summary.acr_gain:+.4f} against {against}")
        if summary.forward_passes_baseline:
            own = summary.forward_passes - summary.forward_passes_baseline
            lines.append(
                f"forward passes: {own} for the job's certificates, "
                f"{summary.forward_passes_baseline} for the NP baseline"
            )
        if summary.baseline in ("equal-budget", "sequential-np"):
            lines.append(
                "the larger of the DSRS and the same-cost NP radius per input would be a "
                "certificate at 2·alpha (union bound of two certificates at alpha); no column "
                "takes it"
            )
    if summary.proof_outcomes is not None:
        from dsrs_cli.tables.proof import proof_outcomes_line

        lines.append(proof_outcomes_line(summary.proof_outcomes))
    lines.append(
        f"{100 * summary.confidence:g}% intervals over the test set: accuracies "
        f"{summary.interval_methods.get('certified_accuracy', '')}, ACR "
        f"{summary.interval_methods.get('acr', '')}"
    )
    console.print("\n".join(lines), highlight=False)


def print_samples(samples: Sequence[SampleOut]) -> None:
    """One line per input: label, prediction, bounds and radii."""
    from rich.table import Table

    table = Table(title=f"{len(samples)} input(s)")
    equal_budget = any(s.baseline_np_radius is not None for s in samples)
    columns = ["#", "index", "label", "prediction", "pL", "qL", "NP radius", "DSRS radius"]
    columns += ["NP eq. budget"] * equal_budget + ["draws"]
    proof = any(s.check_outcome is not None for s in samples)
    columns += ["check", "proven NP radius", "L - 1/2 enclosed in", "proof s"] * proof
    for column in columns:
        table.add_column(column, justify="right")
    for s in samples:
        extra = [] if not equal_budget else [_radius(s.baseline_np_radius)]
        proof_cells = [] if not proof else proof_row_cells(s)
        table.add_row(
            str(s.sample_index),
            str(s.dataset_index),
            "" if s.label is None else str(s.label),
            "abstain" if s.prediction is None else str(s.prediction),
            f"{s.p_lower:.5f}",
            "" if s.q_lower is None else f"{s.q_lower:.5f}",
            f"{s.np_radius:.4f}",
            "" if s.dsrs_radius is None else f"{s.dsrs_radius:.4f}",
            *extra,
            f"{s.draws_used:,}",
            *proof_cells,
        )
    _console().print(table)


def proof_row_cells(s: SampleOut) -> list[str]:
    """Proof mode's cells of one row: outcome, proven NP radius, the enclosure of the NP
    dual bound minus 1/2, CPU seconds (empty for a row without a proof)."""
    if s.check_outcome is None:
        return ["", "", "", ""]
    enclosure = (
        ""
        if s.proof_margin_lower is None or s.proof_margin_upper is None
        else f"[{s.proof_margin_lower:+.2e}, {s.proof_margin_upper:+.2e}]"
    )
    seconds = "" if s.proof_seconds is None else f"{s.proof_seconds:.2f}"
    return [s.check_outcome, _radius(s.proven_np_radius), enclosure, seconds]


def _radius(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def print_job(job: JobOut) -> None:
    """Status, progress, parameters and timings of one job."""
    from dsrs_client.contract.labels import check_label, q_label, sampling_label

    p = job.parameters
    noise = p.noise
    lines = [
        f"job        {job.id}" + (f" ({job.name})" if job.name else ""),
        f"status     {job.status}" + (f" ({job.error})" if job.error else ""),
        f"progress   {job.progress.done}/{job.progress.total}"
        + (f", ETA {job.eta_seconds:.0f} s" if job.eta_seconds is not None else ""),
        f"model      {job.model_id}",
        f"mode       {job.mode}",
        f"P          {noise.family} sigma={noise.sigma} k={noise.k}",
        f"Q          {q_label(p.q)}",
        f"N          {p.n} (n0 {p.n_selection}), alpha {p.alpha}",
        f"sampling   {sampling_label(p)}",
        f"check      {check_label(p.check)}",
        f"seed       {job.seed}",
    ]
    if job.tags:
        lines.append(f"tags       {', '.join(job.tags)}")
    if job.timings.wall_seconds is not None:
        lines.append(f"wall time  {job.timings.wall_seconds:.1f} s")
    lines.extend(f"warning    {warning}" for warning in job.warnings)
    _console().print("\n".join(markup(line) for line in lines), highlight=False)
