"""Ledger at scale (issue 12): an index of outcome records by participant, metric and period, so
a set-based import finds the records a staged row meets without reading the partnership's table;
each participant's intake period and withdrawal date as columns (copied from the row's JSON), so
an import checks rows against them without parsing every participant's JSON.

Revision ID: 0005_ledger_scale
Revises: 0004_amendments
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005_ledger_scale"
down_revision = "0004_amendments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_participants") as batch:
        batch.add_column(sa.Column("intake_period", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withdrawn", sa.String(length=10), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT partnership_id, id, data FROM ledger_participants"))
    for partnership_id, pid, data in rows.all():
        d = json.loads(data)
        bind.execute(
            sa.text(
                "UPDATE ledger_participants SET intake_period = :i, withdrawn = :w "
                "WHERE partnership_id = :p AND id = :n"
            ),
            {"i": d["intake_period"], "w": d.get("withdrawn"), "p": partnership_id, "n": pid},
        )
    op.create_index(
        "ix_ledger_records_key",
        "ledger_records",
        ["partnership_id", "participant", "metric", "period"],
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_records_key", table_name="ledger_records")
    with op.batch_alter_table("ledger_participants") as batch:
        batch.drop_column("withdrawn")
        batch.drop_column("intake_period")
