"""Non-finite model outputs: per input, how many noisy draws had NaN or infinite logits.

``samples.non_finite`` (nullable): such draws count for no class (so against the class
certified); the job's status sums them and warns. NULL for rows written before they were
counted.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("non_finite", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("non_finite")
