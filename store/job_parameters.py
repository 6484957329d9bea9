"""The stored form of a job's certification parameters and its translation to
:class:`dsrs_core.config.CertificationConfig` (which validates and says what is allowed)."""

from __future__ import annotations

from typing import Any

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch

__all__ = ["certification_config"]


def certification_config(parameters: dict[str, Any]) -> CertificationConfig:
    """Build (and so validate) the engine's config from a job's stored ``parameters``.

    ``parameters`` holds ``noise`` {family, sigma, k}, ``q`` (None, {sigma} or
    {threshold}), ``n_selection``, ``n``, ``alpha`` and ``radius_search``
    {method, unit, tolerance}. Raises :class:`dsrs_core.errors.InvalidParameterError`.
    """
    noise = parameters["noise"]
    q = parameters.get("q")
    search = parameters.get("radius_search") or {}
    return CertificationConfig(
        p=NoiseSpec(family=noise["family"], sigma=float(noise["sigma"]), k=int(noise.get("k", 0))),
        q=None if q is None else QSpec(sigma=q.get("sigma"), threshold=q.get("threshold")),
        n_selection=parameters["n_selection"],
        n=parameters["n"],
        alpha=float(parameters["alpha"]),
        search=RadiusSearch(**search),
    )
