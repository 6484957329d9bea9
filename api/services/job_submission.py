"""Validate a job request, store the job, then hand its chunks to the dispatcher.

Every check happens before anything is written: a refused request leaves no row. The job
row is committed before the first chunk message is sent, so a worker always finds it.
"""

from __future__ import annotations

import secrets
from math import prod
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.errors import DispatchError, InvalidRequestError, QuotaExceededError
from dsrs_api.services.dispatch import JobDispatcher
from dsrs_api.services.job_warnings import job_warnings
from dsrs_client.contract import BUILTIN_SPLITS, InputsIn, JobCreate, builtin_split
from dsrs_core.evaluation.job_config import certification_config
from dsrs_core.radius.np_proof import FLINT_MISSING, proof_available
from dsrs_settings.api import ApiSettings
from dsrs_store import repository
from dsrs_store.chunks import chunk_count
from dsrs_store.dataset_files import DATASETS_DIR_LAYOUT, missing_files, split_size_on_disk
from dsrs_store.tables import InputSetRecord, JobRecord, ModelRecord
from dsrs_store.tenants import forward_passes_in_flight, jobs_in_flight, lock_tenant

__all__ = ["submit_job"]


def submit_job(
    session: Session,
    settings: ApiSettings,
    dispatcher: JobDispatcher,
    request: JobCreate,
    *,
    owner_id: str | None = None,
) -> JobRecord:
    model = repository.get_model(session, request.model_id)
    parameters = request.parameters()
    config = certification_config(parameters)
    config.p.check_dimension(prod(model.input_shape))
    if parameters.check == "proven" and not proof_available():
        # The API and the workers run from one installation (the Dockerfile's image); the proof
        # itself runs only in the worker (docs/math.md §7.5).
        raise InvalidRequestError(f"check 'proven' is not available here: {FLINT_MISSING}")
    draws = parameters.draws_per_input(request.mode)
    if draws > settings.max_draws_per_sample:
        raise InvalidRequestError(
            f"{draws} draws per sample exceed the limit of {settings.max_draws_per_sample} "
            "(DSRS_MAX_DRAWS_PER_SAMPLE)"
        )
    # batch_size and seed are within the contract's bounds (JobCreate checked them)
    seed = secrets.randbits(63) if request.seed is None else request.seed
    inputs = _inputs(session, settings, request, model)
    _check_total(settings, len(inputs["indices"]))
    if owner_id is not None:
        _check_quota(session, settings, owner_id, len(inputs["indices"]), draws)
    input_set = (
        None
        if request.inputs.input_set_id is None
        else repository.get_input_set(session, request.inputs.input_set_id)
    )
    job = repository.add_job(
        session,
        owner_id=owner_id,
        name=request.name,
        tags=list(request.tags),
        warnings=job_warnings(
            request, input_set, prod(model.input_shape), settings.plan_cpu_budget_s
        ),
        model_id=model.id,
        mode=request.mode,
        inputs=inputs,
        parameters=parameters,
        seed=seed,
        total=len(inputs["indices"]),
        chunk_size=settings.chunk_size,
    )
    session.commit()
    try:
        dispatcher.enqueue(job.id, chunk_count(job.total, job.chunk_size))
    except DispatchError as error:
        repository.mark_failed(session, job.id, str(error))
        session.commit()
        raise
    return job


def _inputs(
    session: Session, settings: ApiSettings, request: JobCreate, model: ModelRecord
) -> dict[str, Any]:
    spec = request.inputs
    if spec.dataset is not None:
        split = builtin_split(spec.dataset, spec.split)
        if split is None:
            allowed = ", ".join(f"{d}/{s}" for d, s in BUILTIN_SPLITS)
            raise InvalidRequestError(f"unknown dataset split; allowed: {allowed}")
        missing = missing_files(settings.datasets_dir, spec.dataset)
        if missing:
            raise InvalidRequestError(
                f"dataset {spec.dataset!r} is not on this server: no "
                f"{settings.datasets_dir / missing[0]} ('digits' is always there).\n"
                f"{DATASETS_DIR_LAYOUT}"
            )
        on_disk = split_size_on_disk(settings.datasets_dir, spec.dataset, spec.split)
        if on_disk is not None and on_disk != split.size:
            raise InvalidRequestError(
                f"the {spec.dataset} {spec.split} files under {settings.datasets_dir} hold "
                f"{on_disk} inputs, not the standard {split.size}: place torchvision's own "
                f"files there.\n{DATASETS_DIR_LAYOUT}"
            )
        _check_shape(list(split.input_shape), model)
        indices = _indices(spec, split.size)
        return {
            "source": "builtin",
            "dataset": spec.dataset,
            "split": spec.split,
            "indices": indices,
        }
    assert spec.input_set_id is not None
    input_set = repository.get_input_set(session, spec.input_set_id)
    _check_shape(input_set.sample_shape, model)
    if request.mode == "evaluate" and not input_set.has_labels:
        raise InvalidRequestError(
            "mode 'evaluate' needs labels; this input set has none (upload an .npz or "
            "safetensors file with a 'labels' array, or use mode 'predict')"
        )
    indices = _indices(spec, input_set.count)
    _check_labels(settings, input_set, indices, model.num_classes)
    return {
        "source": "upload",
        "input_set_id": input_set.id,
        "storage_path": input_set.storage_path,
        "indices": indices,
    }


def _check_shape(shape: list[int], model: ModelRecord) -> None:
    if list(shape) != list(model.input_shape):
        hint = ""
        if list(shape[1:]) == list(model.input_shape[1:]) and model.input_shape[0] == 1:
            hint = (
                "; the model takes one channel: upload the images as grayscale "
                "(dsrs inputs upload --grayscale, or read_image_folder(..., grayscale=True))"
            )
        raise InvalidRequestError(
            f"inputs have shape {tuple(shape)} but model {model.id} takes "
            f"{tuple(model.input_shape)}{hint}"
        )


def _indices(spec: InputsIn, size: int) -> list[int]:
    if spec.indices is not None:
        indices = list(spec.indices)
        bad = [i for i in indices if not 0 <= i < size]
        if bad:
            raise InvalidRequestError(f"indices must lie in [0, {size - 1}]; got {bad[:5]}")
        if len(set(indices)) != len(indices):
            raise InvalidRequestError("indices must not repeat")
    else:
        stop = size if spec.stop is None else spec.stop
        if not (0 <= spec.start < size and spec.start < stop <= size and spec.step >= 1):
            raise InvalidRequestError(
                f"need 0 <= start < stop <= {size} and step >= 1; got start={spec.start}, "
                f"stop={spec.stop}, step={spec.step}"
            )
        indices = list(range(spec.start, stop, spec.step))
    if not indices:
        raise InvalidRequestError("a job needs at least one input")
    return indices


def _check_labels(
    settings: ApiSettings, input_set: InputSetRecord, indices: list[int], num_classes: int
) -> None:
    if not input_set.has_labels:
        return
    labels = np.load(
        settings.storage_dir / input_set.storage_path / "labels.npy", allow_pickle=False
    )[indices]
    if labels.size and int(labels.max()) >= num_classes:
        raise InvalidRequestError(
            f"labels must lie in [0, {num_classes - 1}] for this model; got {int(labels.max())}"
        )


def _check_total(settings: ApiSettings, total: int) -> None:
    if total > settings.max_samples_per_job:
        raise InvalidRequestError(
            f"{total} inputs exceed the limit of {settings.max_samples_per_job} per job "
            "(DSRS_MAX_SAMPLES_PER_JOB)"
        )


def _check_quota(
    session: Session, settings: ApiSettings, owner_id: str, total: int, draws: int
) -> None:
    """429 when the tenant would pass a quota: inputs per job, jobs in flight, forward
    passes per job or in flight (``total`` inputs of ``draws`` forward passes each at most).
    The tenant row stays locked until the job is committed, so concurrent submissions of
    one tenant are counted one after the other."""
    tenant = lock_tenant(session, owner_id)
    max_samples = tenant.max_samples_per_job or settings.tenant_max_samples_per_job
    if total > max_samples:
        raise QuotaExceededError(
            f"{total} inputs exceed this tenant's quota of {max_samples} inputs per job; "
            "split the inputs over several jobs"
        )
    max_jobs = tenant.max_jobs_in_flight or settings.tenant_max_jobs_in_flight
    in_flight = jobs_in_flight(session, owner_id)
    if in_flight >= max_jobs:
        raise QuotaExceededError(
            f"this tenant already has {in_flight} jobs queued or running (quota "
            f"{max_jobs}); wait for one to finish or cancel one"
        )
    passes = total * draws
    per_job = settings.tenant_max_forward_passes_per_job
    if passes > per_job:
        raise QuotaExceededError(
            f"this job may cost {passes:,} forward passes ({total:,} inputs x {draws:,} draws "
            f"per input), over this tenant's quota of {per_job:,} per job "
            "(DSRS_TENANT_MAX_FORWARD_PASSES_PER_JOB); use fewer inputs or draws"
        )
    held = forward_passes_in_flight(session, owner_id)
    concurrent = settings.tenant_max_forward_passes_in_flight
    if held + passes > concurrent:
        raise QuotaExceededError(
            f"this tenant's queued and running jobs may still cost {held:,} forward passes; "
            f"this job's {passes:,} more would pass the quota of {concurrent:,} in flight "
            "(DSRS_TENANT_MAX_FORWARD_PASSES_IN_FLIGHT); wait for a job to finish or "
            "cancel one"
        )
