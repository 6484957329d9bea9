"""The sequential jobs' same-cost NP baseline: the look its run stopped at.

``samples.baseline_look`` (nullable): for a job with ``baseline: sequential-np`` the index of
the look at which the baseline's own sequential NP run stopped (its draws and agreeing
draws are ``baseline_extra_n`` / ``baseline_extra_count``, docs/sequential.md §7); NULL
otherwise, which is what every row written before this revision is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("baseline_look", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("baseline_look")
