"""Chunk leases (who holds a chunk, its heartbeat, how many workers died on it) and one
model per content address among the admin's models (NULL owner).

Admin models uploaded twice before this revision (NULL owners were distinct in
``uq_models_owner_content_key``) keep the oldest row's content address; the later
duplicates get their id (twice: 64 characters, unique) as content address instead, so the
unique index can be built and no job loses its model.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
ADMIN_ONLY = sa.text("owner_id IS NULL")


def upgrade() -> None:
    op.execute(
        """
        UPDATE models SET content_key = id || id
        WHERE owner_id IS NULL AND EXISTS (
            SELECT 1 FROM models AS older
            WHERE older.owner_id IS NULL AND older.content_key = models.content_key
              AND (older.created_at < models.created_at
                   OR (older.created_at = models.created_at AND older.id < models.id))
        )
        """
    )
    op.create_index(
        "uq_models_admin_content_key",
        "models",
        ["content_key"],
        unique=True,
        sqlite_where=ADMIN_ONLY,
        postgresql_where=ADMIN_ONLY,
    )
    op.create_table(
        "chunk_leases",
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", TIMESTAMP, nullable=False),
        sa.Column("requeued_at", TIMESTAMP, nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_chunk_leases_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "chunk_index", name="pk_chunk_leases"),
    )
    op.create_index(
        "ix_chunk_leases_finished_heartbeat", "chunk_leases", ["finished", "heartbeat_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_chunk_leases_finished_heartbeat", table_name="chunk_leases")
    op.drop_table("chunk_leases")
    op.drop_index("uq_models_admin_content_key", table_name="models")
