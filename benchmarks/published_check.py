"""Reference-folder check (issue 23, acceptance item 5): ``dsrs reproduce`` against the
published DSRS radius files, and every radius above the original's confirmed by an
independent reference.

Run: ``.venv/bin/python -m benchmarks.published_check [--workers 1] [--out DIR]``.

1. Recomputes every configuration of the data folder (default: the published MNIST subset,
   /work/shared/reference/dsrs-published/data, docs/math.md §2.4) with the code of
   ``dsrs reproduce`` (:func:`dsrs_cli.reproduce.run.run_plan`, the same discovery and grid
   units), once in ``original`` and once in ``exact`` search mode, into ``DIR/<mode>/``
   (``--reuse`` reads files already there instead).
2. Per published new-radius (and orig-radius) file: instances, how many are *identical*
   (``|ours − published| ≤ 1e-5``, the tolerance of ``dsrs reproduce``'s own comparison,
   cli/reproduce/compare.py, and of tests/cli/test_reproduce.py), their share, the largest
   ``|difference|`` and every radius *above* the published one.
3. Every ``exact``-mode radius above the published one (a *gain*) is recomputed with
   :func:`dsrs_core.counts_to_certificate.dsrs_radius_from_intervals` for its multipliers and
   confirmed by the polar QUADPACK reference (tests/references/polar_quadpack.py, no code
   shared with ``dsrs_core``): its dual bound at the engine's multipliers above
   ``1/2 + CONFIRM_SLACK·(1 + |λ1| + |λ2|)`` (the rule of benchmarks/soundness_scan.py);
   otherwise the reference's own best multipliers (Nelder–Mead, tests/references/truth.py).
   A radius from plain NP (the ``x+`` fall-back) is confirmed by the reference's exact NP
   value. ``--sample N --seed S`` confirms a random sample of N gains plus the ``--largest``
   gains instead of all of them.

Prints the tables; exits 1 when the identical share is below 99.5 % or a gain is
unconfirmed. Figures in docs/benchmarks.md ("Reference-folder check").
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from rich.console import Console

from benchmarks.soundness_scan import CONFIRM_SLACK
from dsrs_cli.published.files import (
    new_radius_name,
    orig_radius_name,
    parse_sampling_name,
    read_radius_file,
    read_sampling,
)
from dsrs_cli.reproduce.compare import radius_agreement
from dsrs_cli.reproduce.plan import DsrsConfig, ModelPlan, plan_model
from dsrs_cli.reproduce.run import run_plan
from dsrs_client.contract import DATASETS
from dsrs_core.config import NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals, np_fallback_radius
from dsrs_core.radius.dual_bound import Intervals
from dsrs_core.sampling.draw_plan import build_p_noise, build_q_noise, plan_q_draws
from tests.references.polar_quadpack import Setting, confirmed, dual_value, np_value
from tests.references.truth import best_dual

DEFAULT_DATA = Path("/work/shared/reference/dsrs-published/data")
#: Acceptance of issue 23: ``original`` mode reproduces at least this share.
REQUIRED_SHARE = 99.5
MODES = ("original", "exact")


@dataclass
class FileComparison:
    """One published radius file against ours."""

    model: str
    name: str
    instances: int = 0
    identical: int = 0
    max_diff: float = 0.0
    above: list[tuple[int, float, float]] = field(default_factory=list)
    missing: bool = False

    @property
    def share(self) -> float:
        return 100.0 * self.identical / max(self.instances, 1)


def plans(data: Path) -> list[ModelPlan]:
    """Every model folder of ``data/sampling`` that ``dsrs reproduce`` would process."""
    found = []
    for folder in sorted((data / "sampling").iterdir()):
        plan = plan_model(data, folder.name, None, None)
        if plan is not None:
            found.append(plan)
    return found


def recompute(data: Path, out: Path, mode: str, workers: int) -> float:
    """Write every radius file of ``data`` under ``out`` as ``dsrs reproduce --mode``
    does; return the CPU seconds of this process and its workers."""
    import resource

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    began = cpu()
    quiet = Console(file=io.StringIO())
    for plan in plans(data):
        run_plan(plan, data, out, mode, workers, False, quiet)
    return cpu() - began


def compare(data: Path, ours: Path, kind: str) -> list[FileComparison]:
    """Published ``kind`` files (``new-radius`` / ``orig-radius``) against ours."""
    rows = []
    for folder in sorted((data / kind).iterdir()):
        for path in sorted(folder.glob("*-rad-*.txt")):
            if path.name.startswith("time-"):
                continue
            row = FileComparison(folder.name, path.name)
            mine = ours / kind / folder.name / path.name
            if not mine.exists():
                row.missing = True
                rows.append(row)
                continue
            published, new = read_radius_file(path), read_radius_file(mine)
            agreement = radius_agreement(new, published)
            row.instances = len(agreement.common)
            row.identical = agreement.identical
            row.max_diff = agreement.worst
            row.above = sorted(
                (i, new[i], published[i]) for i in agreement.differing if new[i] > published[i]
            )
            rows.append(row)
    return rows


def print_comparison(rows: list[FileComparison], title: str, list_above: bool) -> None:
    print(f"\n{title}")
    print(f"{'file':72s} {'n':>5s} {'ident':>5s} {'%':>6s} {'max|diff|':>10s} {'above':>5s}")
    total = same = 0
    for row in rows:
        label = f"{row.model}/{row.name}"
        if row.missing:
            print(f"{label:72s} not recomputable (its Q sampling file is not in the folder)")
            continue
        total, same = total + row.instances, same + row.identical
        print(
            f"{label:72s} {row.instances:5d} {row.identical:5d} {row.share:6.2f} "
            f"{row.max_diff:10.3g} {len(row.above):5d}"
        )
        if list_above:
            for index, mine, published in row.above:
                print(f"    index {index}: ours {mine:.6g} > published {published:.6g}")
    print(f"{'all recomputed files':72s} {total:5d} {same:5d} {100.0 * same / max(total, 1):6.2f}")


def configs_by_file(plan: ModelPlan) -> dict[str, DsrsConfig]:
    named = {}
    for config in plan.dsrs:
        p_file = parse_sampling_name(config.p_name)
        assert p_file is not None
        named[new_radius_name(p_file, config.q_param, config.thresholded)] = config
    return named


@cache
def _sampling(path: Path) -> dict[int, tuple[float, float]]:
    return read_sampling(path)


@cache
def _radii(path: Path) -> dict[int, float]:
    return read_radius_file(path)


def confirm(
    plan: ModelPlan, config: DsrsConfig, data: Path, out: Path, index: int, mode: str
) -> dict:
    """Recompute one radius of ``mode`` with its multipliers and ask the reference."""
    sampling = data / "sampling" / plan.model
    (pl, pu) = _sampling(sampling / config.p_name)[index]
    (ql, qu) = _sampling(sampling / config.q_name)[index]
    p_file = parse_sampling_name(config.p_name)
    assert p_file is not None
    start = _radii(out / "orig-radius" / plan.model / orig_radius_name(p_file))[index]
    spec = NoiseSpec("general-gaussian", float(plan.sigma_text), plan.k)
    dimension = DATASETS[plan.dataset].dimension
    p = build_p_noise(spec, dimension)
    threshold = config.q_param if config.q_param in ("x", "x+") else float(config.q_param)
    qspec = QSpec(threshold=threshold) if config.thresholded else QSpec(sigma=float(threshold))
    search = RadiusSearch(method="grid", unit=config.unit, mode=mode, unit_scale="absolute")
    draw = plan_q_draws(qspec, pl, pu)
    setting = Setting(
        dimension,
        plan.k,
        float(plan.sigma_text),
        s_q=None if config.thresholded else float(config.q_param),
        pi=draw.percentile if config.thresholded and not draw.fallback else None,
    )
    began = time.process_time()
    if draw.fallback:  # plain NP at the pooled interval (§4.3(e)): the reference's NP value
        fallback = np_fallback_radius(p, ql, search, start)
        radius, multipliers = max(fallback.radius, start), None
        lower = ql if fallback.radius > start else pl
        value = np_value(setting, radius, lower) if radius > 0 else float("nan")
        how = "NP value"
    else:
        q = build_q_noise(p, qspec, draw.percentile)
        found = dsrs_radius_from_intervals(p, q, Intervals(pl, pu, ql, qu), search, start)
        radius, multipliers = max(found.radius, start), found.multipliers
        if found.improved and multipliers is not None:
            l1, l2 = multipliers
            p_hat, q_hat = (pl if l1 >= 0 else pu), (ql if l2 >= 0 else qu)
            value = dual_value(setting, radius, l1, l2, p_hat, q_hat)
            how = "engine multipliers"
            if not confirmed(value, CONFIRM_SLACK * (1 + abs(l1) + abs(l2))):
                value, multipliers = best_dual(setting, radius, multipliers, (pl, pu, ql, qu))
                how = "reference's own multipliers"
        else:
            value = np_value(setting, radius, pl) if radius > 0 else float("nan")
            how = "NP value"
    scale = 1.0 + (abs(multipliers[0]) + abs(multipliers[1]) if multipliers else 0.0)
    verdict = confirmed(value, CONFIRM_SLACK * scale)
    return {
        "radius": radius,
        "value": value,
        "how": how,
        "confirmed": verdict is True,
        "seconds": time.process_time() - began,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dsrs-published-check"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="compare files already in --out")
    parser.add_argument("--sample", type=int, default=0, help="confirm N random gains (0: all)")
    parser.add_argument("--largest", type=int, default=50, help="with --sample: also the largest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--above-only", action="store_true", help="print the radii above the published only"
    )
    parser.add_argument(
        "--unpublished",
        action="store_true",
        help="instead: exact against original mode (files already in --out) on the "
        "configurations without a published file, and confirm the exact mode's gains",
    )
    args = parser.parse_args()
    import os

    print(f"data {args.data}, load average {os.getloadavg()[0]:.2f}", flush=True)
    if args.unpublished:
        return 1 if check_unpublished(args) else 0
    failed = False
    for mode in MODES:
        out = args.out / mode
        if not args.reuse:
            seconds = recompute(args.data, out, mode, args.workers)
            print(f"{mode}: recomputed in {seconds:.0f} CPU s ({args.workers} workers)")
        rows = compare(args.data, out, "new-radius")
        print_comparison(rows, f"DSRS radii, {mode} mode, vs published", mode == "original")
        if mode == "original":
            np_rows = compare(args.data, out, "orig-radius")
            print_comparison(np_rows, "NP radii vs published", True)
            failed |= confirm_np(args.data, np_rows)
            same = sum(r.identical for r in rows)
            total = sum(r.instances for r in rows)
            failed |= 100.0 * same / max(total, 1) < REQUIRED_SHARE
        failed |= confirm_gains(args, rows, out, mode)
    return 1 if failed else 0


def check_unpublished(args: argparse.Namespace) -> bool:
    """Exact mode against original mode where the data folder has no published radius
    file (e.g. the MNIST Q sigma 0.45 / 0.9 runs); True if a gain is not confirmed."""
    exact = args.out / "exact"
    published = {(r.model, r.name) for r in compare(args.data, exact, "new-radius")}
    rows = [
        row
        for row in compare(args.out / "original", exact, "new-radius")
        if (row.model, row.name) not in published
    ]
    print_comparison(rows, "DSRS radii without a published file: exact vs original mode", False)
    return confirm_gains(args, rows, exact, "exact", "original")


def confirm_np(data: Path, rows: list[FileComparison]) -> bool:
    """Every NP radius above the published one against the reference's exact NP value
    (its own NP set, found by ``brentq``); True if one is not above 1/2."""
    by_model = {plan.model: plan for plan in plans(data)}
    bad = 0
    for row in rows:
        if not row.above:
            continue
        plan = by_model[row.model]
        setting = Setting(DATASETS[plan.dataset].dimension, plan.k, float(plan.sigma_text))
        p_name = row.name.removeprefix("orig-rad-")
        lower = _sampling(data / "sampling" / row.model / p_name)
        for index, mine, published in row.above:
            value = np_value(setting, mine, lower[index][0])
            ok = confirmed(value, CONFIRM_SLACK) is True
            bad += not ok
            print(
                f"  NP {row.model}/{p_name} index {index}: {mine:.6g} > {published:.6g}, "
                f"reference NP value {value:.9f}{'' if ok else '  UNCONFIRMED'}"
            )
    return bad > 0


def confirm_gains(
    args: argparse.Namespace,
    rows: list[FileComparison],
    out: Path,
    mode: str,
    baseline: str = "published",
) -> bool:
    """Confirm the radii of ``mode`` above the published ones (all, or a sample plus the
    largest); True if one is not confirmed."""
    by_model = {plan.model: plan for plan in plans(args.data)}
    gains = [(row.model, row.name, i, m, pub) for row in rows for i, m, pub in row.above]
    chosen = list(range(len(gains)))
    if args.sample and args.sample < len(gains):
        rng = np.random.default_rng(args.seed)
        order = sorted(range(len(gains)), key=lambda j: gains[j][3] - gains[j][4], reverse=True)
        largest = order[: args.largest]
        sample = rng.choice(len(gains), size=args.sample, replace=False).tolist()
        chosen = largest + [j for j in sample if j not in largest]  # the largest first
        print(f"\n{mode}: confirming {len(chosen)} of {len(gains)} gains (seed {args.seed})")
    else:
        print(f"\n{mode}: confirming all {len(gains)} gains")
    print(
        f"{'file':60s} {'index':>5s} {mode:>10s} {baseline:>10s} {'gain':>9s} "
        f"{'ref value':>12s} how"
    )
    bad, seconds = 0, []
    for j in chosen:
        model, name, index, mine, published = gains[j]
        plan = by_model[model]
        res = confirm(plan, configs_by_file(plan)[name], args.data, out, index, mode)
        seconds.append(res["seconds"])
        ok = res["confirmed"] and abs(res["radius"] - mine) <= 1e-9
        bad += not ok
        print(
            f"{name[8:68]:60s} {index:5d} {mine:10.6g} {published:10.6g} "
            f"{mine - published:9.2e} {res['value']:12.9f} {res['how']}"
            f"{'' if ok else '  UNCONFIRMED'}",
            flush=True,
        )
    if seconds:
        print(
            f"{len(chosen) - bad}/{len(chosen)} confirmed; reference CPU s per gain: median "
            f"{np.median(seconds):.2f}, max {max(seconds):.2f}"
        )
    return bad > 0


if __name__ == "__main__":
    sys.exit(main())
