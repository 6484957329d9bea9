"""Recompute the certificates of a finished job from its stored counts, without sampling.

Every stored result keeps its raw Monte-Carlo counts (``p_count``/``p_n``, ``q_count``/
``q_n``, the sampled Q percentile, the ``x+`` fall-back flag). The radii for another
``alpha``, radius grid or search mode follow from them by the engine's pure half,
:func:`dsrs_core.counts_to_certificate.certificate_from_counts` (numpy / scipy only): no model is
loaded and no forward pass is made.

What cannot change without sampling again: ``N``, the noise P, and Q itself (the counts
were drawn under them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING

from dsrs_client.contract import JobOut, JobParameters, SampleOut

if TYPE_CHECKING:
    from dsrs_client.sync_client import DsrsClient

__all__ = ["RecertifiedJob", "recertified_parameters", "recertify_job", "recertify_samples"]


@dataclass(frozen=True)
class RecertifiedJob:
    """A job's results recomputed with other certification settings.

    Attributes
    ----------
    job : JobOut
        The job as stored (its ``parameters`` are the original ones).
    parameters : JobParameters
        The parameters the new radii were computed with.
    dimension : int
        Input dimension ``d`` (from the model's input shape).
    original : list of SampleOut
        Stored results.
    samples : list of SampleOut
        The same inputs with new bounds, predictions, radii, ``alpha`` and ``reason``.
    """

    job: JobOut
    parameters: JobParameters
    dimension: int
    original: list[SampleOut]
    samples: list[SampleOut]


def recertified_parameters(
    parameters: JobParameters,
    *,
    alpha: float | None = None,
    method: str | None = None,
    unit: float | None = None,
    tolerance: float | None = None,
    mode: str | None = None,
    check: str | None = None,
) -> JobParameters:
    """A job's stored ``parameters`` with another alpha, radius search and/or check.

    Parameters
    ----------
    parameters : JobParameters
        ``JobOut.parameters`` of the stored job.
    alpha : float, optional
        New failure probability of the whole certificate.
    method, unit, tolerance, mode : optional
        New radius search: ``grid`` / ``precise``, grid unit, bisection tolerance,
        ``exact`` / ``original``.
    check : str, optional
        ``verified`` or ``proven`` (proof mode of the NP radii, docs/math.md §7.5).

    Returns
    -------
    JobParameters
        New parameters (validated); ``parameters`` is not modified.
    """
    search = parameters.radius_search.model_dump()
    for key, value in (
        ("method", method),
        ("unit", unit),
        ("tolerance", tolerance),
        ("mode", mode),
    ):
        if value is not None:
            search[key] = value
    updated = parameters.model_dump()
    updated["radius_search"] = search
    if alpha is not None:
        updated["alpha"] = alpha
    if check is not None:
        updated["check"] = check
    return JobParameters.model_validate(updated)


def recertify_samples(
    samples: Sequence[SampleOut], parameters: JobParameters, dimension: int
) -> list[SampleOut]:
    """Certificates of stored results under ``parameters``, from their counts only.

    Parameters
    ----------
    samples : sequence of SampleOut
        Stored results (their counts are used; their radii are ignored).
    parameters : JobParameters
        Job parameters (see :func:`recertified_parameters`).
    dimension : int
        Input dimension ``d``.

    Returns
    -------
    list of SampleOut
        One per input, in order, with recomputed ``p_lower`` … ``dsrs_radius``; with
        ``check: "proven"`` each NP radius is proven again (proof mode, in this process:
        seconds per input), else the proof fields are cleared (a stored proof was of the
        stored radius).

    Raises
    ------
    dsrs_core.errors.InvalidParameterError
        Parameters out of range (the message says what is allowed).
    """
    from dsrs_core.counts_to_certificate import certificate_from_counts
    from dsrs_core.evaluation.job_config import certification_config
    from dsrs_core.evaluation.proof_check import proof_row_fields, prove_certificate
    from dsrs_core.results import certificate_fields, counts_of_row

    config = certification_config(parameters)
    config.p.check_dimension(dimension)
    recertified = []
    for sample in samples:
        certificate = certificate_from_counts(counts_of_row(sample), config, dimension)
        proof = (
            prove_certificate(certificate, config, dimension)
            if parameters.check == "proven"
            else None
        )
        update = {**certificate_fields(certificate), **proof_row_fields(proof)}
        recertified.append(sample.model_copy(update=update))
    return recertified


def recertify_job(
    dsrs: DsrsClient,
    job_id: str,
    *,
    alpha: float | None = None,
    method: str | None = None,
    unit: float | None = None,
    tolerance: float | None = None,
    mode: str | None = None,
    check: str | None = None,
) -> RecertifiedJob:
    """Fetch a job's stored counts and recompute its certificates locally.

    Parameters
    ----------
    dsrs : DsrsClient
        Connected client.
    job_id : str
    alpha, method, unit, tolerance, mode, check : optional
        See :func:`recertified_parameters`.

    Returns
    -------
    RecertifiedJob
    """
    job = dsrs.get_job(job_id)
    model = dsrs.get_model(job.model_id)
    dimension = prod(model.input_shape)
    parameters = recertified_parameters(
        job.parameters,
        alpha=alpha,
        method=method,
        unit=unit,
        tolerance=tolerance,
        mode=mode,
        check=check,
    )
    original = dsrs.all_results(job_id)
    samples = recertify_samples(original, parameters, dimension)
    return RecertifiedJob(job, parameters, dimension, original, samples)
