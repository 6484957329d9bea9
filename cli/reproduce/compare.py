"""``dsrs reproduce`` against the published files found beside the sampling data: how
many radii agree, and which published files could not be recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsrs_cli.reproduce.plan import ModelPlan

__all__ = [
    "IDENTICAL_TOLERANCE",
    "RadiusAgreement",
    "compare_dsrs",
    "compare_np",
    "radius_agreement",
    "report_unmatched",
]

#: Two radii are the same radius when they differ by at most this much (the published files
#: print six to eight significant digits).
IDENTICAL_TOLERANCE = 1e-5


@dataclass(frozen=True)
class RadiusAgreement:
    """Our radii against published ones on the indices both have (in our order)."""

    common: list[int]
    differing: list[int]
    worst: float

    @property
    def identical(self) -> int:
        return len(self.common) - len(self.differing)


def radius_agreement(ours: dict[int, float], published: dict[int, float]) -> RadiusAgreement:
    """Which of the indices both have differ by more than :data:`IDENTICAL_TOLERANCE`."""
    common = [i for i in ours if i in published]
    differing = [i for i in common if abs(ours[i] - published[i]) > IDENTICAL_TOLERANCE]
    worst = max((abs(ours[i] - published[i]) for i in common), default=0.0)
    return RadiusAgreement(common, differing, worst)


def compare_np(console, published: Path, radii: dict[int, float]) -> None:
    from dsrs_cli.published.files import read_radius_file

    if not published.exists():
        return
    agreement = radius_agreement(radii, read_radius_file(published))
    console.print(
        f"  vs published: {agreement.identical}/{len(agreement.common)} NP radii within 1e-5 "
        f"(max |diff| {agreement.worst:.2e})"
    )


def compare_dsrs(console, published: Path, new: dict[int, float], results, unit: float) -> None:
    from dsrs_cli.published.files import read_radius_file

    if not published.exists():
        return
    ref = read_radius_file(published)
    agreement = radius_agreement(new, ref)
    common, differ, worst = agreement.common, agreement.differing, agreement.worst
    share = 100.0 * agreement.identical / max(len(common), 1)
    console.print(
        f"  vs published: {agreement.identical}/{len(common)} same radius "
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
