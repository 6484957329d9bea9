"""Delete models, input sets and jobs: never what a job still needs.

The caller's session is tenant-scoped (``dsrs_store.tenancy``), so another tenant's id is
simply not found (404). The rules:

* a job can be deleted once it is final (succeeded, failed, cancelled); its per-sample
  rows go with it;
* an input set cannot be deleted while a queued or running job reads it;
* a model cannot be deleted while any job refers to it (a queued or running job needs it;
  a finished job's results are *about* it): the message lists the jobs to delete first.

Rows are deleted and committed first, files afterwards: a failure in between leaves an
unreferenced file, never a row without its file. A model file is shared by every owner who
uploaded the same bytes, and is removed only with its last row.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dsrs_client.contract import FINAL_STATUSES
from dsrs_settings.api import ApiSettings
from dsrs_store import repository
from dsrs_store.errors import ConflictError
from dsrs_store.tables import JobRecord

__all__ = ["delete_input_set", "delete_job", "delete_model"]

IN_FLIGHT = ("queued", "running")


def delete_job(session: Session, job_id: str) -> None:
    job = repository.get_job(session, job_id, defer_inputs=True)
    if job.status not in FINAL_STATUSES:
        raise ConflictError(
            f"job {job.id} is {job.status}; cancel it first (POST /v1/jobs/{job.id}/cancel, "
            "dsrs jobs cancel), then delete it"
        )
    repository.delete_job(session, job)
    session.commit()


def delete_input_set(session: Session, settings: ApiSettings, input_set_id: str) -> None:
    input_set = repository.get_input_set(session, input_set_id)
    users = repository.jobs_using(session, input_set_id=input_set.id, statuses=IN_FLIGHT)
    if users:
        raise ConflictError(
            f"input set {input_set.id} is used by {_listing(users)}; wait for "
            f"{'it' if len(users) == 1 else 'them'} to finish or cancel first"
        )
    directory = settings.storage_dir / input_set.storage_path
    repository.delete_input_set(session, input_set)
    session.commit()
    shutil.rmtree(directory, ignore_errors=True)


def delete_model(session: Session, settings: ApiSettings, model_id: str) -> None:
    model = repository.get_model(session, model_id)
    users = repository.jobs_using(session, model_id=model.id)
    running = [job for job in users if job.status in IN_FLIGHT]
    if running:
        raise ConflictError(
            f"model {model.id} is used by {_listing(running)}; wait for "
            f"{'it' if len(running) == 1 else 'them'} to finish or cancel first"
        )
    if users:
        raise ConflictError(
            f"model {model.id} has the results of {_listing(users)}; delete "
            f"{'that job' if len(users) == 1 else 'those jobs'} first (their results go "
            "with them)"
        )
    path, storage_path = settings.storage_dir / model.storage_path, model.storage_path
    repository.delete_model(session, model)
    last_user = repository.stored_file_users(session, storage_path) == 0
    session.commit()
    if last_user:
        path.unlink(missing_ok=True)


def _listing(jobs: Sequence[JobRecord]) -> str:
    shown = ", ".join(f"{job.id[:8]} ({job.status})" for job in jobs[:5])
    more = f" and {len(jobs) - 5} more" if len(jobs) > 5 else ""
    return f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}: {shown}{more}"
