"""What ``dsrs reproduce`` recomputes: per model folder of the original's ``data/`` tree,
its NP sampling files and the DSRS configurations (P file, Q file, Q parameter, grid
unit), discovered from the files or given explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

__all__ = ["DATASETS", "DISTS", "DsrsConfig", "ModelPlan", "explicit_plan", "plan_model"]

#: Datasets and distributions of the original's file names.
DATASETS = ("mnist", "cifar10", "imagenet", "tinyimagenet")
DISTS = ("general-gaussian", "general-gaussian-th")


@dataclass(frozen=True)
class DsrsConfig:
    """One new-radius file to produce: P file + Q parameter + grid unit."""

    model: str
    dataset: str
    p_name: str
    q_name: str
    q_param: str
    thresholded: bool
    unit: float


@dataclass(frozen=True)
class ModelPlan:
    model: str
    dataset: str
    k: int
    sigma_text: str
    np_files: tuple[str, ...]
    dsrs: tuple[DsrsConfig, ...]


def _float_text(value: str) -> str:
    """A number as Python prints floats (the original's file names: ``1.0``, ``0.25``)."""
    return str(float(value))


def _default_unit(q_param: str, thresholded: bool, sigma: float) -> float:
    """Published grid units (docs/math.md §5): x/x+ 0.01; s_Q files 0.05 except s = 0.25."""
    if thresholded and q_param in ("x", "x+", "x2", "x2+"):
        return 0.01
    return 0.01 if abs(sigma - 0.25) < 1e-12 else 0.05


def _infer_unit(published: Path, fallback: float) -> float:
    """Largest of 0.05 / 0.01 on whose grid every improved published radius lies."""
    if not published.exists():
        return fallback
    lines = [line.split() for line in published.read_text().splitlines() if line.strip()]
    improved = [float(f[1]) for f in lines if len(f) >= 3 and float(f[2]) > 1e-12]
    if not improved:
        return fallback
    for unit in (0.05, 0.01):
        if all(abs(r / unit - round(r / unit)) < 1e-6 for r in improved):
            return unit
    return fallback


def plan_model(data: Path, model: str, dataset: str | None, k: int | None) -> ModelPlan | None:
    from dsrs_cli.published.files import parse_model_name, parse_sampling_name

    parsed = parse_model_name(model)
    if parsed is None and (dataset is None or k is None):
        return None
    dataset = dataset or (parsed.dataset if parsed else None)
    files = [
        (f.name, parse_sampling_name(f.name))
        for f in sorted((data / "sampling" / model).glob("*.txt"))
    ]
    files = [(n, s) for n, s in files if s is not None and s.dist == "general-gaussian"]
    if not files:
        return None
    if parsed is not None:
        sigma = float(parsed.sigma)
        k_value = int(parsed.k)
    else:
        assert k is not None
        k_value = k
        sigma = min(float(s.sigma) for _, s in files if s.threshold is None)
    p_files = [
        (n, s) for n, s in files if s.threshold is None and abs(float(s.sigma) - sigma) < 1e-9
    ]
    if not p_files:
        return None
    sigma_text = p_files[0][1].sigma
    np_files = tuple(n for n, _ in p_files)
    dsrs: list[DsrsConfig] = []
    for p_name, p in p_files:
        for q_name, q in files:
            if (q.n, q.alpha, q.k) != (p.n, p.alpha, p.k) or q_name == p_name:
                continue
            if q.threshold is not None and q.sigma == p.sigma:
                param, th = q.threshold, True
            elif q.threshold is None:
                param, th = q.sigma, False
            else:
                continue
            from dsrs_cli.published.files import new_radius_name

            published = data / "new-radius" / model / new_radius_name(p, param, th)
            unit = _infer_unit(published, _default_unit(param, th, sigma))
            dsrs.append(DsrsConfig(model, dataset, p_name, q_name, param, th, unit))
    return ModelPlan(model, dataset, k_value, sigma_text, np_files, tuple(dsrs))


def explicit_plan(
    data: Path,
    model: str,
    dataset: str,
    dist: str,
    k: int,
    sigma: str,
    q: str,
    n: int,
    alpha: str,
    unit: float | None,
) -> ModelPlan:
    from dsrs_cli.published.files import new_radius_name, parse_sampling_name

    s_text, a_text = _float_text(sigma), _float_text(alpha)
    p_name = f"general-gaussian-{k}-{s_text}-{n}-{a_text}.txt"
    thresholded = dist == "general-gaussian-th"
    if thresholded:
        param = q if q in ("x", "x+") else _float_text(q)
        q_name = f"general-gaussian-{k}-{s_text}-{n}-{a_text}-{param}.txt"
    else:
        param = _float_text(q)
        q_name = f"general-gaussian-{k}-{param}-{n}-{a_text}.txt"
    folder = data / "sampling" / model
    for name in (p_name, q_name):
        if not (folder / name).is_file():
            raise typer.BadParameter(f"sampling file not found: {folder / name}")
    p = parse_sampling_name(p_name)
    assert p is not None
    if unit is None:
        published = data / "new-radius" / model / new_radius_name(p, param, thresholded)
        unit = _infer_unit(published, _default_unit(param, thresholded, float(sigma)))
    config = DsrsConfig(model, dataset, p_name, q_name, param, thresholded, unit)
    return ModelPlan(model, dataset, k, s_text, (p_name,), (config,))
