"""The PNG of a sweep: certified accuracy against radius, one colour per configuration,
solid DSRS and dashed NP (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_client.contract import Summary

__all__ = ["plot_sweep"]


def plot_sweep(curves: Sequence[tuple[str, Summary]], path: Path, title: str) -> Path:
    """Draw one NP and one DSRS curve per ``(label, summary)`` and save a PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, summary) in enumerate(curves):
        colour = colours[i % len(colours)]
        radii = [row.radius for row in summary.certified_accuracy]
        axes.plot(radii, [row.np for row in summary.certified_accuracy], "--", color=colour,
                  label=f"NP {label}")  # fmt: skip
        if summary.acr_dsrs is not None:
            axes.plot(radii, [row.dsrs or 0.0 for row in summary.certified_accuracy], "-",
                      color=colour, label=f"DSRS {label}")  # fmt: skip
    axes.set_xlabel("L2 radius")
    axes.set_ylabel("certified accuracy")
    axes.set_ylim(0.0, 1.0)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path
