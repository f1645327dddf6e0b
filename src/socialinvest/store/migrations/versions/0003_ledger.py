"""Running partnerships (issue 12): partnerships, their parties and the ledger's tables.

Revision ID: 0003_ledger
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_ledger"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rows(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f(f"fk_{name}_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", columns[0].name, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("version_digest", sa.String(length=64), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("data_processors", sa.Text(), nullable=False),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("posted_through", sa.Integer(), nullable=False),
        sa.Column("setoff", sa.Text(), nullable=False),
        sa.Column("audit_count", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Integer(), nullable=True),
        sa.Column("audit_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_partnerships_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["case_versions.id"],
            name=op.f("fk_partnerships_version_id_case_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_partnerships_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
        sa.UniqueConstraint("key", name=op.f("uq_partnerships_key")),
    )
    op.create_index(op.f("ix_partnerships_case_id"), "partnerships", ["case_id"])
    op.create_table(
        "partnership_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_partnership_parties_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partnership_parties_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership_parties")),
        sa.UniqueConstraint(
            "partnership_id",
            "organisation_id",
            "role",
            name=op.f("uq_partnership_parties_partnership_id"),
        ),
    )
    op.create_index(
        op.f("ix_partnership_parties_partnership_id"), "partnership_parties", ["partnership_id"]
    )
    _rows(
        "ledger_participants",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("pseudonym", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
    )
    _rows(
        "ledger_records",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("participant", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
    )
    _rows("ledger_samples", sa.Column("id", sa.Integer(), nullable=False, autoincrement=False))
    _rows("ledger_imports", sa.Column("sha256", sa.String(length=64), nullable=False))
    _rows(
        "ledger_statements", sa.Column("index", sa.Integer(), nullable=False, autoincrement=False)
    )
    _rows(
        "ledger_delivery_costs",
        sa.Column("period", sa.Integer(), nullable=False, autoincrement=False),
    )
    _rows(
        "ledger_postings",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
    )
    _rows(
        "ledger_audit",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "ledger_audit",
        "ledger_postings",
        "ledger_delivery_costs",
        "ledger_statements",
        "ledger_imports",
        "ledger_samples",
        "ledger_records",
        "ledger_participants",
        "partnership_parties",
        "partnerships",
    ):
        op.drop_table(name)
