"""Certified-accuracy curves of a comparison (``GET /v1/compare``) as a figure for a paper
(matplotlib, Agg backend): PNG or SVG.

* one colour per job, one line style per certificate (:data:`CERTIFICATE_STYLES`: DSRS
  solid, NP of the same run dashed, NP at equal budget dotted, the sequential NP baseline
  dash-dotted), no markers unless asked for;
* DSRS wider and lighter underneath the NP curves, so that a dashed curve it coincides with
  stays visible;
* step curves (certified accuracy is a step function of the radius; the value at a grid
  radius holds back to the previous one, so the curve never lies above the true one);
* column width (3.4 in) with 8 pt text; the legend sits below the axes, never on the data,
  and names each job once and each certificate once (colour + style, not every pair).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from dsrs_client.contract import CertificateFigures, Comparison

__all__ = [
    "CERTIFICATE_STYLES",
    "COLUMN_WIDTH_IN",
    "LAYERS",
    "NP_LAYER",
    "certificate_style",
    "plot_comparison",
]

#: Width of one column of a two-column paper, in inches.
COLUMN_WIDTH_IN = 3.4
#: Line style and legend name per certificate (``kind`` and ``baseline`` of the API).
CERTIFICATE_STYLES: dict[str, tuple[str, str]] = {
    "dsrs": ("-", "DSRS"),
    "same-run": ("--", "NP, same run"),
    "equal-budget": (":", "NP, equal budget"),
    "sequential-np": ("-.", "NP, sequential same cost"),
}


#: DSRS (solid, wider and lighter) underneath, the NP curves on top: where they coincide
#: the NP dashes show on the DSRS line. Per line style: (z order, width, opacity).
LAYERS = {"-": (2, 2.0, 0.55)}
NP_LAYER = (3, 1.1, 1.0)


def certificate_style(certificate: CertificateFigures) -> tuple[str, str]:
    """``(matplotlib line style, legend name)`` of a certificate."""
    key = "dsrs" if certificate.kind == "dsrs" else (certificate.baseline or "same-run")
    return CERTIFICATE_STYLES.get(key, ("--", certificate.name))


def plot_comparison(
    comparison: Comparison,
    fmt: Literal["png", "svg"] = "png",
    *,
    markers: bool = False,
    title: str = "",
) -> bytes:
    """The comparison's curves as PNG (300 dpi) or SVG bytes."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    with matplotlib.rc_context(
        {"font.size": 8, "axes.titlesize": 8, "legend.fontsize": 7, "svg.fonttype": "none"}
    ):
        height = 2.4 + 0.16 * len(comparison.jobs)
        figure = Figure(figsize=(COLUMN_WIDTH_IN, height), layout="constrained")
        axes = figure.subplots()
        styles_used: dict[str, str] = {}
        for i, job in enumerate(comparison.jobs):
            colour = colours[i % len(colours)]
            for certificate in job.certificates:
                style, name = certificate_style(certificate)
                styles_used.setdefault(name, style)
                zorder, width, opacity = LAYERS.get(style, NP_LAYER)
                axes.step(
                    comparison.curve_radii,
                    certificate.curve,
                    style,
                    where="pre",
                    color=colour,
                    linewidth=width,
                    alpha=opacity,
                    zorder=zorder,
                    marker="." if markers else None,
                    markersize=3,
                )
        axes.set_xlabel("$\\ell_2$ radius")
        axes.set_ylabel("certified accuracy")
        axes.set_ylim(0.0, 1.02)
        axes.set_xlim(left=0.0, right=max(comparison.curve_radii, default=1.0))
        axes.grid(True, linewidth=0.3, alpha=0.5)
        if title:
            axes.set_title(title)
        handles = [
            Line2D([], [], color=colours[i % len(colours)], linewidth=2.0)
            for i in range(len(comparison.jobs))
        ] + [
            Line2D(
                [],
                [],
                color="0.2",
                linestyle=style,
                linewidth=LAYERS.get(style, NP_LAYER)[1],
                alpha=LAYERS.get(style, NP_LAYER)[2],
            )
            for style in styles_used.values()
        ]
        labels = [job.label for job in comparison.jobs] + list(styles_used)
        figure.legend(
            handles, labels, loc="outside lower center", ncols=2, frameon=False, handlelength=2.4
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=300, bbox_inches="tight")
    return buffer.getvalue()
