"""A job's results as the original DSRS ``data/`` tree (docs/math.md §2.4):
``sampling/<model>/`` (P and Q intervals), ``orig-radius/<model>/`` (NP radii and times)
and, with Q, ``new-radius/<model>/`` (DSRS radii, gains and times), written by
:mod:`dsrs_cli.published.files`. A proof-mode job (``check: "proven"``) adds
``proven-radius/<model>/`` in the ``orig-radius`` format: the NP radii proof mode proved (0
where none was: not proven, not covered) and the proof's CPU seconds (docs/math.md §7.5).
``alpha`` in file names is the level of each interval (alpha/2 with Q, as the published
0.0005 files)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsrs_cli.published.files import (
    SamplingFile,
    file_radius,
    new_radius_name,
    orig_radius_name,
    write_new_radius,
    write_orig_radius,
    write_sampling,
)
from dsrs_client.contract import JobParameters, SampleOut

__all__ = ["DsrsFileSet", "write_dsrs_tree"]


@dataclass(frozen=True)
class DsrsFileSet:
    """Paths written by :func:`write_dsrs_tree` (None when the job has no Q, or no
    equal-budget baseline: then NP's files at 2N draws and the full alpha are not written)."""

    p_sampling: Path
    orig_radius: Path
    orig_time: Path
    q_sampling: Path | None
    new_radius: Path | None
    new_time: Path | None
    equal_budget_sampling: Path | None = None
    equal_budget_orig_radius: Path | None = None
    proven_radius: Path | None = None


def _name(value: Any) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _safe_folder(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name) or "model"


def write_dsrs_tree(
    samples: Sequence[SampleOut], parameters: JobParameters, model_name: str, root: Path
) -> DsrsFileSet:
    """Write the original's ``sampling``, ``orig-radius`` and ``new-radius`` files for one
    job under ``root`` (one sub-folder per kind, then ``model_name``), with the writers of
    :mod:`dsrs_cli.published.files`."""
    from dsrs_core.sampling.confidence import split_alpha

    noise, q = parameters.noise, parameters.q
    family = noise.family
    k = "None" if family == "gaussian" else str(noise.k)
    sigma, n = _name(float(noise.sigma)), str(parameters.n)
    alpha_p, alpha_q = split_alpha(float(parameters.alpha), q is not None)
    folder = _safe_folder(model_name)
    sampling, orig, new = (
        root / kind / folder for kind in ("sampling", "orig-radius", "new-radius")
    )
    ordered = sorted(samples, key=lambda s: s.dataset_index)
    seconds = {s.dataset_index: s.elapsed_s for s in ordered}

    p_file = SamplingFile(family, k, sigma, n, _name(alpha_p), None)
    p_path = write_sampling(
        sampling, p_file, sigma, [(s.dataset_index, s.p_lower, s.p_upper) for s in ordered]
    )
    orig_name = orig_radius_name(p_file)
    orig_radii = {s.dataset_index: file_radius(s, "np") for s in ordered}
    write_orig_radius(orig, orig_name, orig_radii, seconds)
    proven_path = None
    if parameters.check == "proven":
        proven = root / "proven-radius" / folder
        write_orig_radius(
            proven,
            orig_name,
            {s.dataset_index: file_radius(s, "np-proven") for s in ordered},
            {s.dataset_index: s.proof_seconds or 0.0 for s in ordered},
        )
        proven_path = proven / orig_name
    if q is None:
        return DsrsFileSet(
            p_path,
            orig / orig_name,
            orig / f"time-{orig_name}",
            None,
            None,
            None,
            proven_radius=proven_path,
        )

    assert alpha_q is not None
    if q.sigma is not None:
        b = _name(float(q.sigma))
        q_file, q_std = SamplingFile(family, k, b, n, _name(alpha_q), None), b
    else:
        b = _name(q.threshold)
        q_file, q_std = SamplingFile(family, k, sigma, n, _name(alpha_q), b), sigma
    q_path = write_sampling(
        sampling, q_file, q_std, [(s.dataset_index, s.q_lower, s.q_upper) for s in ordered]
    )
    new_name = new_radius_name(p_file, b, thresholded=q.sigma is None)
    new_radii = {s.dataset_index: file_radius(s, "dsrs") for s in ordered}
    write_new_radius(new, new_name, new_radii, orig_radii, seconds)
    equal_sampling = equal_orig = None
    pooled_baseline = parameters.baseline == "equal-budget"  # sequential-np is not pooled
    if pooled_baseline and ordered and all(s.baseline_np_radius is not None for s in ordered):
        # The paper's NP baseline files: 2N draws under P at the full alpha.
        from dsrs_core.sampling.confidence import clopper_pearson

        alpha = float(parameters.alpha)
        pooled = SamplingFile(family, k, sigma, str(2 * parameters.n), _name(alpha), None)
        intervals = [
            (
                s.dataset_index,
                *clopper_pearson(
                    s.p_count + (s.baseline_extra_count or 0),
                    s.p_n + (s.baseline_extra_n or 0),
                    alpha,
                ),
            )
            for s in ordered
        ]
        equal_sampling = write_sampling(sampling, pooled, sigma, intervals)
        equal_name = orig_radius_name(pooled)
        equal_radii = {s.dataset_index: file_radius(s, "np-equal-budget") for s in ordered}
        write_orig_radius(orig, equal_name, equal_radii, seconds)
        equal_orig = orig / equal_name
    return DsrsFileSet(
        p_path,
        orig / orig_name,
        orig / f"time-{orig_name}",
        q_path,
        new / new_name,
        new / f"time-{new_name}",
        equal_sampling,
        equal_orig,
        proven_path,
    )
