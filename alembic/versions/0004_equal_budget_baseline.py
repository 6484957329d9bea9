"""The equal-budget NP baseline of a DSRS job (job option ``baseline: equal-budget``).

Per sample: the extra N draws under P (``baseline_extra_count`` of ``baseline_extra_n``
agree with the counted class), the pooled lower bound at the full alpha and the NP radius
certified from it (dsrs_core.evaluation.equal_budget). NULL for jobs without that baseline.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("baseline_extra_count", sa.Integer()),
    ("baseline_extra_n", sa.Integer()),
    ("baseline_p_lower", sa.Float()),
    ("baseline_np_radius", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
