"""Narrow outcome records (issue 12's scale): a record as its import entered it keeps its
evidence and the record it contradicts as columns, what it shares with the import's other
records once in ``ledger_entries``, and ``data`` NULL (the store rebuilds the same dict); a
record changed after entry keeps ``data`` whole, as every record did before. Existing rows keep
their ``data`` (still valid: a row with ``data`` is read from it), so nothing is rewritten.
The records' index is by metric and period first (an import's rows, one period of one metric,
are inserted and looked up in one place of it instead of across all of it).

Revision ID: 0006_narrow_records
Revises: 0005_ledger_scale
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_narrow_records"
down_revision = "0005_ledger_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("import_id", sa.String(length=64), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_ledger_entries_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", "entry", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_records") as batch:
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reference", sa.Text(), nullable=True))
        batch.add_column(sa.Column("conflicts_with", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("entry", sa.Integer(), nullable=True))
        batch.alter_column("data", existing_type=sa.Text(), nullable=True)
    # by metric and period first (an import's rows sit together in the index)
    op.drop_index("ix_ledger_records_key", table_name="ledger_records")
    op.create_index(
        "ix_ledger_records_period",
        "ledger_records",
        ["partnership_id", "metric", "period", "participant"],
    )


def downgrade() -> None:
    # a narrow record's data, written out whole first (as the store reads it)
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT r.partnership_id, r.id, r.status, r.source, r.reference, r.conflicts_with, "
            "e.import_id, e.entered_by, e.who, e.at FROM ledger_records r JOIN ledger_entries e "
            "ON e.partnership_id = r.partnership_id AND e.entry = r.entry WHERE r.data IS NULL"
        )
    ).all()
    import json

    for p, rid, status, source, reference, cw, import_id, entered_by, who, at in rows:
        data = {
            "conflicts_with": cw,
            "evidence": {"entered_by": entered_by, "reference": reference, "source": source},
            "history": [
                {"action": "entered", "at": at, "reason": None, "status": status, "who": who}
            ],
            "id": rid,
            "import_id": import_id,
        }
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        bind.execute(
            sa.text("UPDATE ledger_records SET data = :d WHERE partnership_id = :p AND id = :i"),
            {"d": text, "p": p, "i": rid},
        )
    op.drop_index("ix_ledger_records_period", table_name="ledger_records")
    op.create_index(
        "ix_ledger_records_key",
        "ledger_records",
        ["partnership_id", "participant", "metric", "period"],
    )
    with op.batch_alter_table("ledger_records") as batch:
        batch.alter_column("data", existing_type=sa.Text(), nullable=False)
        batch.drop_column("entry")
        batch.drop_column("conflicts_with")
        batch.drop_column("reference")
        batch.drop_column("source")
    op.drop_table("ledger_entries")
