"""The PNGs of a sweep (matplotlib, Agg backend: no display needed), styled as
:mod:`dsrs_cli.plots.comparison`: one colour per configuration, one line style per
certificate (DSRS solid, NP of the same run dashed, the same-cost NP baseline dotted or
dash-dotted), a legend outside the axes that names each configuration and each
certificate once.

* :func:`plot_sweep`: certified accuracy against radius, step curves (the figure is a step
  function of the radius; between two evaluated radii the curve shows the value at the
  larger one, so it never lies above the true curve), no markers.
* :func:`plot_ablation`: ACR against each numeric grid axis that varies (N, k, σ, σ_Q…),
  one line per combination of the other axes and certificate, each point with its
  confidence interval over the test set (the summary's ACR interval) as an error bar; the
  certificates of one point are set slightly apart so that their bars do not hide each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsrs_cli.plots.comparison import CERTIFICATE_STYLES, COLUMN_WIDTH_IN, LAYERS, NP_LAYER

if TYPE_CHECKING:
    from dsrs_client.contract import Interval, Summary

__all__ = ["ABLATION_AXES", "ablation_axes", "plot_ablation", "plot_sweep"]

#: Grid axes an ablation plot can put on its x axis (numeric job parameters).
ABLATION_AXES = ("n", "k", "sigma", "q_sigma", "q_sigma_ratio", "q_threshold", "alpha")
#: Marker per certificate on the ablation plot (few points: markers show where they are).
ABLATION_MARKERS = {"dsrs": "o", "same-run": "s", "equal-budget": "^", "sequential-np": "v"}
#: Text size of the figures (readable at column width).
FONT = {"font.size": 8, "axes.titlesize": 8, "legend.fontsize": 7}


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=200, bbox_inches="tight")
    return path


def _series(summary: Summary) -> list[tuple[str, float | None, Interval | None, list[float]]]:
    """``(certificate key, ACR, ACR interval, certified accuracy per table radius)`` of
    every certificate the summary has (the same-cost baseline under the name its
    ``baseline`` gives)."""
    rows = summary.certified_accuracy
    found = [("same-run", summary.acr_np, summary.acr_np_interval, [r.np for r in rows])]
    if summary.acr_np_equal_budget is not None:
        key = summary.baseline if summary.baseline in CERTIFICATE_STYLES else "equal-budget"
        found.append(
            (
                key,
                summary.acr_np_equal_budget,
                summary.acr_np_equal_budget_interval,
                [r.np_equal_budget or 0.0 for r in rows],
            )
        )
    if summary.acr_dsrs is not None:
        found.append(
            ("dsrs", summary.acr_dsrs, summary.acr_dsrs_interval, [r.dsrs or 0.0 for r in rows])
        )
    return found


def _legend(
    figure, labels: Sequence[str], colours: Sequence[str], keys: Sequence[str], markers: bool
) -> None:  # type: ignore[no-untyped-def]
    """Below the axes: each configuration once (its colour), each certificate once (its
    line style, and marker when the lines have them)."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=colours[i % len(colours)], linewidth=2.0) for i in range(len(labels))
    ]
    for key in keys:
        style = CERTIFICATE_STYLES[key][0]
        _, width, opacity = LAYERS.get(style, NP_LAYER) if not markers else (0, 1.2, 1.0)
        handles.append(
            Line2D(
                [],
                [],
                color="0.2",
                linestyle=style,
                linewidth=width,
                alpha=opacity,
                marker=ABLATION_MARKERS[key] if markers else None,
                markersize=4,
            )
        )
    names = list(labels) + [CERTIFICATE_STYLES[key][1] for key in keys]
    figure.legend(
        handles, names, loc="outside lower center", ncols=2, frameon=False, handlelength=2.6
    )


def plot_sweep(curves: Sequence[tuple[str, Summary]], path: Path, title: str) -> Path:
    """One step curve per certificate of each ``(label, summary)``; save a PNG."""
    plt = _pyplot()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with plt.rc_context(FONT):
        figure, axes = plt.subplots(
            figsize=(COLUMN_WIDTH_IN, 2.4 + 0.16 * len(curves)), layout="constrained"
        )
        keys: list[str] = []
        for i, (_, summary) in enumerate(curves):
            radii = [row.radius for row in summary.certified_accuracy]
            for key, _, _, accuracy in _series(summary):
                keys += [key] if key not in keys else []
                style = CERTIFICATE_STYLES[key][0]
                zorder, width, opacity = LAYERS.get(style, NP_LAYER)
                axes.step(
                    radii,
                    accuracy,
                    style,
                    where="pre",
                    color=colours[i % len(colours)],
                    linewidth=width,
                    alpha=opacity,
                    zorder=zorder,
                )
        axes.set_xlabel("$\\ell_2$ radius")
        axes.set_ylabel("certified accuracy")
        axes.set_ylim(0.0, 1.02)
        axes.set_xlim(left=0.0)
        axes.set_title(title)
        axes.grid(True, linewidth=0.3, alpha=0.5)
        _legend(figure, [label for label, _ in curves], colours, keys, markers=False)
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
    """ACR with its interval of every certificate against every varying numeric grid axis.

    ``points`` are ``(grid values, summary)`` of the finished configurations. Returns the
    PNG path, or None when no numeric axis varies.
    """
    names = ablation_axes([values for values, _ in points])
    if not names:
        return None
    plt = _pyplot()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with plt.rc_context(FONT):
        figure, all_axes = plt.subplots(
            1,
            len(names),
            figsize=(COLUMN_WIDTH_IN * len(names), 2.9),
            squeeze=False,
            layout="constrained",
        )
        groups_seen: list[str] = []
        keys: list[str] = []
        for axes, name in zip(all_axes[0], names, strict=True):
            groups: dict[str, list[tuple[float, Summary]]] = {}
            for values, summary in points:
                rest = " ".join(f"{k}={v}" for k, v in values.items() if k != name)
                groups.setdefault(rest or "all", []).append((float(values[name]), summary))
            xs_all = sorted({x for members in groups.values() for x, _ in members})
            for rest, members in sorted(groups.items()):
                groups_seen += [rest] if rest not in groups_seen else []
                colour = colours[groups_seen.index(rest) % len(colours)]
                members.sort(key=lambda m: m[0])
                series = [_series(s) for _, s in members]
                for j, key in enumerate(k for k, *_ in series[0]):
                    if any(len(one) <= j or one[j][0] != key for one in series):
                        continue  # not every point of the line has this certificate
                    keys += [key] if key not in keys else []
                    xs = [_dodged(x, j, xs_all, log=name == "n") for x, _ in members]
                    acr = [one[j][1] for one in series]
                    low = [
                        a - (one[j][2].lower if one[j][2] and one[j][2].lower is not None else a)
                        for a, one in zip(acr, series, strict=True)
                    ]
                    high = [
                        (one[j][2].upper if one[j][2] and one[j][2].upper is not None else a) - a
                        for a, one in zip(acr, series, strict=True)
                    ]
                    axes.errorbar(
                        xs,
                        acr,
                        yerr=[low, high],
                        color=colour,
                        linestyle=CERTIFICATE_STYLES[key][0],
                        marker=ABLATION_MARKERS[key],
                        markersize=4,
                        linewidth=1.2,
                        elinewidth=0.8,
                        capsize=2.5,
                    )
            if name == "n":
                axes.set_xscale("log")
            axes.set_xlabel(name)
            axes.set_ylabel("ACR")
            axes.grid(True, linewidth=0.3, alpha=0.5)
        figure.suptitle(title)
        _legend(figure, groups_seen, colours, keys, markers=True)
        _save(figure, path)
    plt.close(figure)
    return path


def _dodged(x: float, slot: int, xs: Sequence[float], *, log: bool) -> float:
    """``x`` moved a little sideways for certificate ``slot`` (0, ±1, …: 1.5 % of the axis
    span, multiplicatively on a log axis) so that error bars at one grid value stay apart."""
    offset = (slot + 1) // 2 * (1 if slot % 2 else -1)
    if log:
        span = xs[-1] / xs[0] if len(xs) > 1 and xs[0] > 0 else 10.0
        return x * span ** (0.015 * offset)
    span = xs[-1] - xs[0] if len(xs) > 1 else abs(x) or 1.0
    return x + 0.015 * span * offset
