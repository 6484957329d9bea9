"""The tables of ``dsrs reproduce`` (dsrs-math.md §6): per method, ACR and certified
accuracy at R = 0, 0.25, …"""

from __future__ import annotations

__all__ = ["TABLE_STEP", "certified_accuracy_row", "print_table"]

TABLE_STEP = 0.25


def certified_accuracy_row(radii: list[float], top: float) -> tuple[float, list[float]]:
    from dsrs_core.evaluation import average_certified_radius, certified_accuracy

    steps = [i * TABLE_STEP for i in range(int(top / TABLE_STEP + 1e-9) + 1)]
    return average_certified_radius(radii), certified_accuracy(radii, steps)


def print_table(console, model: str, arrays: list[tuple[str, list[float]]]) -> None:
    """One column per method; rows: ACR, then certified accuracy at R = 0, 0.25, …"""
    from rich.table import Table

    if not arrays:
        return
    top = max(max(r) if r else 0.0 for _, r in arrays)
    table = Table(title=f"{model}: ACR and certified accuracy (%) at radius R")
    table.add_column("R", justify="right")
    rows = [certified_accuracy_row(radii, top) for _, radii in arrays]
    for name, _ in arrays:
        table.add_column(name, justify="right")
    table.add_row("ACR", *[f"{acr:.4f}" for acr, _ in rows])
    for j in range(len(rows[0][1])):
        table.add_row(f"{j * TABLE_STEP:.2f}", *[f"{100 * acc[j]:.1f}" for _, acc in rows])
    console.print(table)
