"""Tenants, their hashed API keys, and an owner on models, input sets and jobs.

Rows that exist before this revision keep ``owner_id`` NULL: they belong to the admin (or to
a service without auth). The content address of a model is unique per owner from now on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
OWNED = ("models", "input_sets", "jobs")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("max_jobs_in_flight", sa.Integer(), nullable=True),
        sa.Column("max_samples_per_job", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(32), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_api_keys_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_sha256", name="uq_api_keys_key_sha256"),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner_id", sa.String(32), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_owner_id_tenants", "tenants", ["owner_id"], ["id"]
            )
            if table == "models":
                batch.drop_constraint("uq_models_content_key", type_="unique")
                batch.create_unique_constraint(
                    "uq_models_owner_content_key", ["owner_id", "content_key"]
                )
    op.create_index("ix_models_owner_id", "models", ["owner_id"])
    op.create_index("ix_input_sets_owner_id", "input_sets", ["owner_id"])
    op.create_index("ix_jobs_owner_status", "jobs", ["owner_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_owner_status", table_name="jobs")
    op.drop_index("ix_input_sets_owner_id", table_name="input_sets")
    op.drop_index("ix_models_owner_id", table_name="models")
    for table in reversed(OWNED):
        with op.batch_alter_table(table) as batch:
            if table == "models":
                batch.drop_constraint("uq_models_owner_content_key", type_="unique")
                batch.create_unique_constraint("uq_models_content_key", ["content_key"])
            batch.drop_constraint(f"fk_{table}_owner_id_tenants", type_="foreignkey")
            batch.drop_column("owner_id")
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("tenants")
