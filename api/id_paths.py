"""Ids in URL paths: the full id or a unique prefix of it (tables show 8 characters).

Each route that takes a model, input set or job id in its path declares it with one of the
types below; the prefix is resolved (within the caller's tenant) by
:func:`dsrs_store.repository.resolve_id` before the route runs, so that the route, its
caches and its queries all see the full id. An ambiguous prefix answers 409 naming the
candidates; an unknown one 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from dsrs_api.dependencies import SessionDep
from dsrs_store import repository

__all__ = ["InputSetId", "JobId", "ModelId"]

_HELP = "The {}'s id, or a unique prefix of it"


def _model_id(
    session: SessionDep, model_id: Annotated[str, Path(description=_HELP.format("model"))]
) -> str:
    return repository.resolve_id(session, "model", model_id)


def _input_set_id(
    session: SessionDep,
    input_set_id: Annotated[str, Path(description=_HELP.format("input set"))],
) -> str:
    return repository.resolve_id(session, "input set", input_set_id)


def _job_id(
    session: SessionDep, job_id: Annotated[str, Path(description=_HELP.format("job"))]
) -> str:
    return repository.resolve_id(session, "job", job_id)


ModelId = Annotated[str, Depends(_model_id)]
InputSetId = Annotated[str, Depends(_input_set_id)]
JobId = Annotated[str, Depends(_job_id)]
