"""Row ownership: a session scoped to a tenant sees only that tenant's rows.

:func:`scope_to_tenant` marks a session; every ORM ``SELECT`` it runs afterwards (including
``session.get``) gets ``owner_id = <tenant>`` on each owned table through SQLAlchemy's
``with_loader_criteria`` (the documented way to add a global WHERE clause). Code written
later is scoped without remembering to be: another tenant's id simply does not exist for it
(404), and a list never shows another tenant's rows. Per-sample rows are reached only
through their job. Sessions that are not marked (the admin, the workers, a service without
auth) see everything.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from dsrs_store.tables import InputSetRecord, JobRecord, ModelRecord

__all__ = ["OWNED_RECORDS", "TENANT_KEY", "install_tenant_scoping", "scope_to_tenant"]

#: Tables with an ``owner_id``.
OWNED_RECORDS = (ModelRecord, InputSetRecord, JobRecord)
#: Where a session keeps the tenant it is scoped to (``Session.info``).
TENANT_KEY = "dsrs_tenant_id"
#: ... and the criteria, built once per session rather than once per statement.
_CRITERIA_KEY = "dsrs_tenant_criteria"


def scope_to_tenant(session: Session, tenant_id: str) -> None:
    """From now on ``session`` reads only rows owned by ``tenant_id``."""
    session.info[TENANT_KEY] = tenant_id
    session.info[_CRITERIA_KEY] = tuple(
        with_loader_criteria(record, record.owner_id == tenant_id, include_aliases=True)
        for record in OWNED_RECORDS
    )


def install_tenant_scoping(factory: sessionmaker[Session]) -> None:
    """Add the ownership criteria to scoped sessions made by ``factory``."""
    event.listen(factory, "do_orm_execute", _add_owner_criteria)


def _add_owner_criteria(state: ORMExecuteState) -> None:
    criteria = state.session.info.get(_CRITERIA_KEY)
    if criteria is None or not state.is_select:
        return
    state.statement = state.statement.options(*criteria)
