"""The tables of ``dsrs reproduce`` (docs/math.md §6): per method, certified accuracy at
R = 0.25, 0.5, … and ACR with their intervals over the test set — the table of
``dsrs compare`` (:mod:`dsrs_cli.tables.comparison`), which also gives it as Markdown,
LaTeX or CSV from the written files (``dsrs compare --published OUT``)."""

from __future__ import annotations

__all__ = ["print_table"]


def print_table(console, model: str, arrays: list[tuple[str, list[float]]]) -> None:
    """One row per method (its radius array over all instances)."""
    from dsrs_cli.tables.comparison import TableFormat, comparison_row, render_table, table_radii

    if not arrays:
        return
    at = table_radii([radii for _, radii in arrays])
    rows = [comparison_row(model, name, radii, at) for name, radii in arrays]
    console.print(
        render_table(rows, TableFormat.text, f"{model}: certified accuracy (%) and ACR"),
        end="",
        highlight=False,
        markup=False,
    )
