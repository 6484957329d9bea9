"""``dsrs reproduce`` against the published files found beside the sampling data: how
many radii agree, and which published files could not be recomputed."""

from __future__ import annotations

from pathlib import Path

from dsrs_cli.reproduce.plan import ModelPlan

__all__ = ["compare_dsrs", "compare_np", "report_unmatched"]


def compare_np(console, published: Path, radii: dict[int, float]) -> None:
    from dsrs_cli.published.files import read_radius_file

    if not published.exists():
        return
    ref = read_radius_file(published)
    common = [i for i in radii if i in ref]
    worst = max((abs(radii[i] - ref[i]) for i in common), default=0.0)
    within = sum(abs(radii[i] - ref[i]) <= 1e-5 for i in common)
    console.print(
        f"  vs published: {within}/{len(common)} NP radii within 1e-5 (max |diff| {worst:.2e})"
    )


def compare_dsrs(console, published: Path, new: dict[int, float], results, unit: float) -> None:
    from dsrs_cli.published.files import read_radius_file

    if not published.exists():
        return
    ref = read_radius_file(published)
    common = [i for i in new if i in ref]
    differ = [i for i in common if abs(new[i] - ref[i]) > 1e-5]
    worst = max((abs(new[i] - ref[i]) for i in common), default=0.0)
    share = 100.0 * (len(common) - len(differ)) / max(len(common), 1)
    console.print(
        f"  vs published: {len(common) - len(differ)}/{len(common)} same radius "
        f"({share:.1f}%), max |diff| {worst:.4g} ({worst / unit:.2f} units)"
    )
    for i in differ[:20]:
        console.print(
            f"    index {i}: ours {new[i]:.6g}, published {ref[i]:.6g} — {results[i].reason}"
        )
    if len(differ) > 20:
        console.print(f"    … {len(differ) - 20} more")


def report_unmatched(console, data: Path, plan: ModelPlan) -> None:
    """Published new-radius files of this model that no sampling data here can recompute."""
    from dsrs_cli.published.files import new_radius_name, parse_sampling_name

    made = set()
    for config in plan.dsrs:
        p_file = parse_sampling_name(config.p_name)
        assert p_file is not None
        made.add(new_radius_name(p_file, config.q_param, config.thresholded))
    folder = data / "new-radius" / plan.model
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("new-rad-*.txt")):
        if path.name not in made:
            console.print(
                f"[yellow]not recomputed[/] new-radius/{plan.model}/{path.name}: "
                "its Q sampling file is not in the data folder"
            )
