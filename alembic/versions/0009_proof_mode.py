"""Proof mode (job option ``check: "proven"``, docs/math.md §7.5): per input, the outcome
of the NP radius's proof, the proven radius, the enclosure of the dual bound minus 1/2, the
proof's CPU seconds and its reason.

All nullable: NULL for rows of ``check: "verified"`` jobs and rows written before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("check_outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("proven_np_radius", sa.Float(), nullable=True))
        batch.add_column(sa.Column("proof_margin_lower", sa.Float(), nullable=True))
        batch.add_column(sa.Column("proof_margin_upper", sa.Float(), nullable=True))
        batch.add_column(sa.Column("proof_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("proof_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        for column in (
            "proof_reason",
            "proof_seconds",
            "proof_margin_upper",
            "proof_margin_lower",
            "proven_np_radius",
            "check_outcome",
        ):
            batch.drop_column(column)
