"""The PNGs of a sweep (matplotlib, Agg backend: no display needed).

* :func:`plot_sweep`: certified accuracy against radius, one colour per configuration,
  solid DSRS, dashed NP of the same run, dotted NP at the same budget (when drawn), drawn as step curves (the figure is a step function of the
  radius; between two evaluated radii the curve shows the value at the larger one, so it
  never lies above the true curve); the legend sits outside the axes, never on the data.
* :func:`plot_ablation`: ACR against each numeric grid axis that varies (N, k, σ, σ_Q…),
  one line per combination of the other axes and certificate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsrs_client.contract import Summary

__all__ = ["ABLATION_AXES", "ablation_axes", "plot_ablation", "plot_sweep"]

#: Grid axes an ablation plot can put on its x axis (numeric job parameters).
ABLATION_AXES = ("n", "k", "sigma", "q_sigma", "q_sigma_ratio", "q_threshold", "alpha")


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", bbox_inches="tight")
    return path


def plot_sweep(curves: Sequence[tuple[str, Summary]], path: Path, title: str) -> Path:
    """Draw one NP and one DSRS step curve per ``(label, summary)``; save a PNG."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 5), dpi=100)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, summary) in enumerate(curves):
        colour = colours[i % len(colours)]
        radii = [row.radius for row in summary.certified_accuracy]
        axes.step(radii, [row.np for row in summary.certified_accuracy], "--", where="pre",
                  color=colour, label=f"NP same run {label}")  # fmt: skip
        if summary.acr_np_equal_budget is not None:
            axes.step(radii, [row.np_equal_budget or 0.0 for row in summary.certified_accuracy],
                      ":", where="pre", color=colour, label=f"NP equal budget {label}")  # fmt: skip
        if summary.acr_dsrs is not None:
            axes.step(radii, [row.dsrs or 0.0 for row in summary.certified_accuracy], "-",
                      where="pre", color=colour, label=f"DSRS {label}")  # fmt: skip
    axes.set_xlabel("L2 radius")
    axes.set_ylabel("certified accuracy")
    axes.set_ylim(0.0, 1.02)
    axes.set_xlim(left=0.0)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    _save(figure, path)
    plt.close(figure)
    return path


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def ablation_axes(points: Sequence[Mapping[str, Any]]) -> list[str]:
    """Axes of the grid that vary and take only numbers (in :data:`ABLATION_AXES` order)."""
    axes = []
    for name in ABLATION_AXES:
        values = [p.get(name) for p in points]
        numbers = {_number(v) for v in values}
        if None not in numbers and len(numbers) > 1:
            axes.append(name)
    return axes


def plot_ablation(
    points: Sequence[tuple[Mapping[str, Any], Summary]], path: Path, title: str
) -> Path | None:
    """ACR of NP (dashed) and DSRS (solid) against every varying numeric grid axis.

    ``points`` are ``(grid values, summary)`` of the finished configurations. Returns the
    PNG path, or None when no numeric axis varies.
    """
    names = ablation_axes([values for values, _ in points])
    if not names:
        return None
    plt = _pyplot()
    figure, all_axes = plt.subplots(1, len(names), figsize=(5 * len(names) + 3, 4), dpi=100,
                                    squeeze=False)  # fmt: skip
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axes, name in zip(all_axes[0], names, strict=True):
        groups: dict[str, list[tuple[float, Summary]]] = {}
        for values, summary in points:
            rest = " ".join(f"{k}={v}" for k, v in values.items() if k != name)
            groups.setdefault(rest or "all", []).append((float(values[name]), summary))
        for i, (rest, members) in enumerate(sorted(groups.items())):
            members.sort(key=lambda m: m[0])
            xs = [x for x, _ in members]
            colour = colours[i % len(colours)]
            axes.plot(xs, [s.acr_np for _, s in members], "o--", color=colour,
                      label=f"NP same run {rest}")  # fmt: skip
            if all(s.acr_np_equal_budget is not None for _, s in members):
                axes.plot(xs, [s.acr_np_equal_budget for _, s in members], "s:", color=colour,
                          label=f"NP equal budget {rest}")  # fmt: skip
            if all(s.acr_dsrs is not None for _, s in members):
                axes.plot(xs, [s.acr_dsrs for _, s in members], "o-", color=colour,
                          label=f"DSRS {rest}")  # fmt: skip
        if name == "n":
            axes.set_xscale("log")
        axes.set_xlabel(name)
        axes.set_ylabel("ACR")
        axes.grid(alpha=0.3)
    handles, labels = all_axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize="small", loc="upper left",
                  bbox_to_anchor=(1.0, 0.95))  # fmt: skip
    figure.suptitle(title)
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
    return path
