"""The engine's config from a job's typed parameters: the one translation of the contract's
:class:`dsrs_client.contract.JobParameters` into :class:`~dsrs_core.config.CertificationConfig`,
used by the API (to validate a request), the worker and the command line.

The engine does not import the contract (pydantic): it reads the parameters' attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch, SequentialSpec

if TYPE_CHECKING:
    from dsrs_client.contract import JobParameters

__all__ = ["certification_config"]


def certification_config(parameters: JobParameters) -> CertificationConfig:
    """Build (and so validate) the engine's config of ``parameters``.

    Raises
    ------
    dsrs_core.errors.InvalidParameterError
        A value out of range; the message says what is allowed.
    """
    noise, q, search = parameters.noise, parameters.q, parameters.radius_search
    sequential = parameters.sequential
    return CertificationConfig(
        p=NoiseSpec(family=noise.family, sigma=noise.sigma, k=noise.k),
        q=None if q is None else QSpec(sigma=q.sigma, threshold=q.threshold),
        n_selection=parameters.n_selection,
        n=parameters.n,
        alpha=parameters.alpha,
        search=RadiusSearch(
            method=search.method, unit=search.unit, tolerance=search.tolerance, mode=search.mode
        ),
        sequential=None
        if sequential is None
        else SequentialSpec(
            target_radii=tuple(sequential.target_radii),
            tolerance=sequential.tolerance,
            first_look=sequential.first_look,
            growth=sequential.growth,
            final_share=sequential.final_share,
        ),
    )
