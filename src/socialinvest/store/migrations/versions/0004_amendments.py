"""Dated amendments of a running partnership's terms (issue 12): one append-only row each.

Revision ID: 0004_amendments
Revises: 0003_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_amendments"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_amendments",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("effective", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_ledger_amendments_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", "number", name=op.f("pk_ledger_amendments")),
    )


def downgrade() -> None:
    op.drop_table("ledger_amendments")
