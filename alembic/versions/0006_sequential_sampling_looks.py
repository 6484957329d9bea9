"""Sequential sampling: the look at which each run of an input stopped.

``samples.p_look`` / ``samples.q_look`` (nullable): for a job with sequential sampling the
index of the look at which the P run and the Q run stopped (``p_n`` / ``q_n`` are then the
draws used, and the intervals are recomputed at that look's level, docs/sequential.md);
NULL for fixed-N rows, which is what every row written before this revision is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("p_look", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("q_look", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("q_look")
        batch.drop_column("p_look")
