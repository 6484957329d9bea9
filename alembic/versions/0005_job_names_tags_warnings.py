"""Job names, tags and warnings; the value range of each input set.

``jobs.name`` (optional) and ``jobs.tags`` (a JSON list of strings) let users find their
jobs; ``jobs.warnings`` keeps what was suspicious about a job when it was submitted (inputs
outside [0, 1], σ_Q ≥ σ). ``input_sets.value_min`` / ``value_max`` are computed at upload;
rows that exist before this revision keep NULL (range unknown, no warning).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("name", sa.String(200), nullable=True))
        jobs.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        jobs.add_column(sa.Column("warnings", sa.JSON(), nullable=True))
    op.create_index("ix_jobs_name", "jobs", ["name"])
    with op.batch_alter_table("input_sets") as input_sets:
        input_sets.add_column(sa.Column("value_min", sa.Float(), nullable=True))
        input_sets.add_column(sa.Column("value_max", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("input_sets") as input_sets:
        input_sets.drop_column("value_max")
        input_sets.drop_column("value_min")
    op.drop_index("ix_jobs_name", table_name="jobs")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("warnings")
        jobs.drop_column("tags")
        jobs.drop_column("name")
