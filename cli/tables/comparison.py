"""Paper-style comparison tables: one row per (configuration, certificate), columns benign
accuracy (the paper's R = 0 column), certified accuracy at chosen radii, ACR — each figure
with its confidence interval over the test set (:mod:`dsrs_core.evaluation.accuracy_intervals`).

Rendered as a terminal table, Markdown, LaTeX or CSV (wide: one value, lower and upper
column per figure, and the inputs each row had). The LaTeX is ASCII, symbols in math mode,
and compiles with the preamble it states in its first line (:data:`LATEX_PREAMBLE`:
``article`` and ``booktabs``). Within a configuration the best value of each column is
bold in Markdown and LaTeX, so differences stand out.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from dsrs_cli.terminal_text import markup
from dsrs_client.contract.defaults import DEFAULT_CONFIDENCE

if TYPE_CHECKING:
    from dsrs_core.evaluation.accuracy_intervals import CertifiedFigures, Estimate

__all__ = [
    "LATEX_PREAMBLE",
    "ComparisonRow",
    "TableFormat",
    "comparison_row",
    "render_table",
    "table_radii",
]


class TableFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    latex = "latex"
    csv = "csv"


@dataclass(frozen=True)
class ComparisonRow:
    """One certificate (``method``) of one configuration, with its figures (computed on
    ``figures.inputs`` inputs of the ``available_inputs`` the row had; None: the same)."""

    configuration: str
    method: str
    figures: CertifiedFigures
    available_inputs: int | None = None


def comparison_row(
    configuration: str,
    method: str,
    radii: Sequence[float],
    at: Sequence[float],
    *,
    benign_correct: Sequence[bool] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    available_inputs: int | None = None,
) -> ComparisonRow:
    """A row from the counted radius of every input (negative: never counts) and, when
    known, whether the smoothed classifier predicted each input correctly."""
    from dsrs_core.evaluation.accuracy_intervals import certified_figures

    return ComparisonRow(
        configuration,
        method,
        certified_figures(radii, at, benign_correct, confidence),
        available_inputs,
    )


def table_radii(radius_arrays: Sequence[Sequence[float]]) -> list[float]:
    """The paper-style table radii (``0.25, 0.5, …``: benign accuracy is the R = 0 column)
    up to the largest radius of any array
    (:func:`dsrs_core.evaluation.job_summary.paper_table_radii`)."""
    from dsrs_core.evaluation.job_summary import paper_table_radii
    from dsrs_core.evaluation.radius_counting import largest_radius

    return paper_table_radii(max((largest_radius(r) for r in radius_arrays), default=0.0))


def _percent(estimate: Estimate) -> tuple[str, str]:
    value = f"{100 * estimate.value:.1f}"
    if estimate.lower is None or estimate.upper is None:
        return value, ""
    return value, f"{100 * estimate.lower:.1f}–{100 * estimate.upper:.1f}"


def _radius(estimate: Estimate) -> tuple[str, str]:
    value = f"{estimate.value:.4f}"
    if estimate.lower is None or estimate.upper is None:
        return value, ""
    return value, f"{estimate.lower:.4f}–{estimate.upper:.4f}"


def _columns(rows: Sequence[ComparisonRow]) -> list[str]:
    radii = rows[0].figures.radii
    benign = any(row.figures.benign is not None for row in rows)
    return (["benign"] if benign else []) + [f"{r:.2f}" for r in radii] + ["ACR"]


def _cells(row: ComparisonRow, benign: bool) -> list[tuple[float | None, str, str]]:
    cells: list[tuple[float | None, str, str]] = []
    if benign:
        if row.figures.benign is None:
            cells.append((None, "–", ""))
        else:
            cells.append((row.figures.benign.value, *_percent(row.figures.benign)))
    cells.extend((e.value, *_percent(e)) for e in row.figures.accuracy)
    cells.append((row.figures.acr.value, *_radius(row.figures.acr)))
    return cells


def _best(rows: Sequence[ComparisonRow], benign: bool) -> list[list[bool]]:
    """Per row and column: is it the best of its configuration (and not the only row)?"""
    table = [_cells(row, benign) for row in rows]
    flags = [[False] * len(cells) for cells in table]
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row.configuration, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        for j in range(len(table[0])):
            values = [table[i][j][0] for i in members if table[i][j][0] is not None]
            if not values or min(values) == max(values):
                continue
            top = max(values)
            for i in members:
                flags[i][j] = table[i][j][0] == top
    return flags


def _note(rows: Sequence[ComparisonRow], notes: Sequence[str]) -> str:
    from dsrs_core.evaluation.accuracy_intervals import (
        ACR_INTERVAL_METHOD,
        PROPORTION_INTERVAL_METHOD,
    )

    confidence = rows[0].figures.acr.confidence
    benign = any(row.figures.benign is not None for row in rows)
    return (
        "Certified accuracy (%) at radius R"
        + (
            ", benign accuracy of the smoothed classifier (the paper's R = 0 column)"
            if benign
            else ""
        )
        + f" and ACR; {100 * confidence:g}% intervals over the test set: accuracies "
        f"{PROPORTION_INTERVAL_METHOD}, ACR {ACR_INTERVAL_METHOD}. NP rows name their "
        "baseline: same run (DSRS's own P draws) or equal budget (2N draws under P, full α)."
        + "".join(f" {note}" for note in notes if note)
    )


def render_table(
    rows: Sequence[ComparisonRow], fmt: TableFormat, title: str = "", notes: Sequence[str] = ()
) -> str:
    """The rows as ``fmt``; all rows must share the same radii. ``notes`` (e.g. which
    inputs the rows are computed on, :meth:`InputCoverage.note`) close the caption; CSV
    has no caption but a column of the inputs each row had."""
    if not rows:
        return ""
    if any(row.figures.radii != rows[0].figures.radii for row in rows):
        raise ValueError("all rows of a comparison table must use the same radii")
    if fmt is TableFormat.csv:
        return _render_csv(rows)
    if fmt is TableFormat.markdown:
        return _render_markdown(rows, title, notes)
    if fmt is TableFormat.latex:
        return _render_latex(rows, title, notes)
    return _render_text(rows, title, notes)


def _render_text(rows: Sequence[ComparisonRow], title: str, notes: Sequence[str]) -> str:
    from rich.console import Console
    from rich.table import Table

    benign = any(row.figures.benign is not None for row in rows)
    table = Table(title=markup(title) or None, caption=markup(_note(rows, notes)))
    table.add_column("configuration", no_wrap=True)
    table.add_column("certificate")
    for name in _columns(rows):
        table.add_column(name, justify="right")
    previous = None
    best = _best(rows, benign)
    for row, flags in zip(rows, best, strict=True):
        if previous is not None and row.configuration != previous:
            table.add_section()
        cells = []
        for (_, value, interval), bold in zip(_cells(row, benign), flags, strict=True):
            text = f"{value}\n[dim]{interval}[/]" if interval else value
            cells.append(f"[bold]{text}[/]" if bold else text)
        table.add_row(
            markup(row.configuration) if row.configuration != previous else "",
            markup(row.method),
            *cells,
        )
        previous = row.configuration
    widest = max(len(row.configuration) + len(row.method) for row in rows)
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(100, widest + 16 * (len(rows[0].figures.radii) + 2)))
    console.print(table)
    return buffer.getvalue()


def _render_markdown(rows: Sequence[ComparisonRow], title: str, notes: Sequence[str]) -> str:
    benign = any(row.figures.benign is not None for row in rows)
    header = ["configuration", "certificate", *_columns(rows)]
    lines = [f"**{title}**", ""] if title else []
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join([":--", ":--"] + ["--:"] * (len(header) - 2)) + "|")
    for row, flags in zip(rows, _best(rows, benign), strict=True):
        cells = []
        for (_, value, interval), bold in zip(_cells(row, benign), flags, strict=True):
            text = f"**{value}**" if bold else value
            cells.append(f"{text} ({interval})" if interval else text)
        lines.append("| " + " | ".join([row.configuration, row.method, *cells]) + " |")
    lines += ["", _note(rows, notes)]
    return "\n".join(lines) + "\n"


#: LaTeX of the symbols the tables use (math mode for math: ``$\sigma_Q$``, never raw
#: Unicode); the longest names first, so that ``σ_Q`` is one symbol.
_LATEX_SYMBOLS = {
    "σ_Q": r"$\sigma_Q$", "σ_P": r"$\sigma_P$", "σ": r"$\sigma$", "α": r"$\alpha$",
    "×": r"$\times$", "–": "--", "—": "---", "…": r"\ldots{}", "·": r"$\cdot$",
    "≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$",
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
    "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_LATEX_TOKEN = re.compile(
    "|".join(re.escape(s) for s in sorted(_LATEX_SYMBOLS, key=len, reverse=True))
)

#: What the LaTeX needs, stated in its first lines (it compiles with pdflatex and this).
LATEX_PREAMBLE = "\\documentclass{article}\n\\usepackage{booktabs}"


def _latex_escape(text: str) -> str:
    """``text`` as LaTeX text: special characters escaped, the tables' symbols in math
    mode, any other non-ASCII character transliterated (accents dropped) or left out."""
    escaped = _LATEX_TOKEN.sub(lambda m: _LATEX_SYMBOLS[m.group(0)], text)
    ascii_only = unicodedata.normalize("NFKD", escaped).encode("ascii", "ignore").decode()
    return ascii_only


def _render_latex(rows: Sequence[ComparisonRow], title: str, notes: Sequence[str]) -> str:
    benign = any(row.figures.benign is not None for row in rows)
    columns = _columns(rows)
    lines = [
        "% " + LATEX_PREAMBLE.replace("\n", " ") + "  (minimal preamble: booktabs rules)",
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{ll" + "r" * len(columns) + "}",
        r"\toprule",
        " & ".join(["Configuration", "Certificate", *(_latex_escape(c) for c in columns)]) + r" \\",
        r"\midrule",
    ]
    previous = None
    for row, flags in zip(rows, _best(rows, benign), strict=True):
        if previous is not None and row.configuration != previous:
            lines.append(r"\midrule")
        cells = []
        for (_, value, interval), bold in zip(_cells(row, benign), flags, strict=True):
            text = rf"\textbf{{{value}}}" if bold else value
            if interval:
                text += r"\,{\scriptsize[" + interval.replace("–", ", ") + "]}"
            cells.append(text)
        configuration = _latex_escape(row.configuration) if row.configuration != previous else ""
        lines.append(" & ".join([configuration, _latex_escape(row.method), *cells]) + r" \\")
        previous = row.configuration
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{" + _latex_escape((title + ". " if title else "") + _note(rows, notes)) + "}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"


def _render_csv(rows: Sequence[ComparisonRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    figures = (
        (["benign"] if any(r.figures.benign is not None for r in rows) else [])
        + [f"acc@{r:g}" for r in rows[0].figures.radii]
        + ["acr"]
    )
    header = ["configuration", "certificate", "inputs", "confidence"]
    for name in figures:
        header += [name, f"{name}_lower", f"{name}_upper"]
    header.append("available_inputs")
    writer.writerow(header)
    for row in rows:
        estimates: list[Estimate | None] = ([row.figures.benign] if "benign" in figures else []) + [
            *row.figures.accuracy,
            row.figures.acr,
        ]
        values: list[object] = [
            row.configuration,
            row.method,
            row.figures.inputs,
            row.figures.acr.confidence,
        ]
        for e in estimates:
            values += ["", "", ""] if e is None else [e.value, _blank(e.lower), _blank(e.upper)]
        values.append(row.figures.inputs if row.available_inputs is None else row.available_inputs)
        writer.writerow(values)
    return buffer.getvalue()


def _blank(value: float | None) -> object:
    return "" if value is None else value
