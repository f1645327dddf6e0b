"""Running partnerships in the database: the tables of issue 12 and their repository functions.

The ledger's state (``ledger.snapshot``: one list of plain dicts per table) is kept one row per
object: participants (pseudonym only, never a CPR number), outcome records with their evidence and
history, verification samples, imports (their SHA-256 is unique per partnership, so the same file
twice is one import), approved statements (never updated), delivery costs, postings (double entry,
append only) and the audit records (hash chain, append only). The partnership row holds the pinned
case version, the agreed terms, the parties' roles live in ``partnership_parties``, and the audit
chain's head (count and last hash) is kept on the partnership row, so deleting audit records at
the end of the chain is found too.

This module knows tables and dicts, not the ledger's objects (the store layer may not import the
ledger); ``service.partnerships`` loads a ledger from :func:`load_state`, calls one operation and
writes what changed with :func:`write_changes` in the same transaction, under :func:`lock`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from socialinvest.store.models import Base

PARTY_ROLES = ("payer", "provider", "investor", "evaluator", "auditor")
md = Base.metadata


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


partnerships = sa.Table(
    "partnerships",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),  # the ledger's partnership id
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("case_versions.id"), nullable=False),
    sa.Column("version_digest", sa.String(64), nullable=False),
    sa.Column("terms", sa.Text, nullable=False),  # JSON: prices, eligibility, settle_every
    sa.Column("demo", sa.Boolean, nullable=False, default=False),
    sa.Column("data_processors", sa.Text, nullable=False, default="[]"),
    sa.Column("min_count", sa.Integer, nullable=False, default=5),
    sa.Column("posted_through", sa.Integer, nullable=False, default=0),
    sa.Column("setoff", sa.Text, nullable=False, default="{}"),
    sa.Column("audit_count", sa.Integer, nullable=False, default=0),
    # a demo lives in its own time: the period it stands at (null: today's period)
    sa.Column("as_of", sa.Integer, nullable=True),
    sa.Column("audit_hash", sa.String(64), nullable=False, default=""),
    sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, default=_now),
)

parties = sa.Table(
    "partnership_parties",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "partnership_id",
        sa.Integer,
        sa.ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.UniqueConstraint("partnership_id", "organisation_id", "role"),
)


def _partnership_key() -> sa.Column[Any]:
    """The first part of a ledger table's key: its partnership (rows go with it)."""
    return sa.Column(
        "partnership_id",
        sa.Integer,
        sa.ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    )


def _rows_table(
    name: str, key: sa.Column[Any], *extra: sa.Column[Any], data_null: bool = False
) -> sa.Table:
    return sa.Table(
        name,
        md,
        _partnership_key(),
        key,
        *extra,
        sa.Column("data", sa.Text, nullable=data_null),
    )


participants = _rows_table(
    "ledger_participants",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("pseudonym", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    # what a set-based import checks rows against (docs/partnerships.md, "At scale")
    sa.Column("intake_period", sa.Integer, nullable=True),
    sa.Column("withdrawn", sa.String(10), nullable=True),  # ISO date
)
records = _rows_table(
    "ledger_records",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("participant", sa.Integer, nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("period", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    # a record as its import entered it (never changed since) is kept narrow: its evidence and
    # the contradicted record as columns, what it shares with its import's other records in
    # ``ledger_entries``, and ``data`` NULL (rebuilt by ``rows_of``); the first change writes
    # ``data`` whole (docs/architecture.md, "Narrow records")
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("reference", sa.Text, nullable=True),
    sa.Column("conflicts_with", sa.Integer, nullable=True),
    sa.Column("entry", sa.Integer, nullable=True),
    data_null=True,
)
# what every record an import entered shares: the import, who entered them, when
entries = sa.Table(
    "ledger_entries",
    md,
    _partnership_key(),
    sa.Column("entry", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("import_id", sa.String(64), nullable=False),
    sa.Column("entered_by", sa.Text, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)
# the records of a metric and period together: an import's rows (one period, one metric a
# file, usually) are inserted and looked up in one place of the index, not across all of it
sa.Index(
    "ix_ledger_records_period",
    records.c.partnership_id,
    records.c.metric,
    records.c.period,
    records.c.participant,
)
samples = _rows_table(
    "ledger_samples", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
)
imports = _rows_table("ledger_imports", sa.Column("sha256", sa.String(64), primary_key=True))
statements = _rows_table(
    "ledger_statements", sa.Column("index", sa.Integer, primary_key=True, autoincrement=False)
)
delivery_costs = _rows_table(
    "ledger_delivery_costs", sa.Column("period", sa.Integer, primary_key=True, autoincrement=False)
)
postings = _rows_table(
    "ledger_postings",
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("destination", sa.String(200), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # øre
)
# dated amendments of the terms (both versions kept: the original terms on the partnership row,
# every amendment here, never updated)
amendments = _rows_table(
    "ledger_amendments",
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("effective", sa.Integer, nullable=False),
)
audit = _rows_table(
    "ledger_audit",
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


@dataclass(frozen=True)
class Kind:
    """How one list of a ledger snapshot is kept: its table, the key of a row, the columns
    copied out of the row's dict (for queries; the dict is kept whole in ``data``), and whether
    a row may ever change."""

    name: str  # the snapshot's list
    table: sa.Table
    key: str  # the dict's key field (also the table's key column)
    columns: tuple[str, ...]
    append_only: bool


KINDS = (
    Kind(
        "participants",
        participants,
        "id",
        ("pseudonym", "status", "intake_period", "withdrawn"),
        False,
    ),
    Kind("records", records, "id", ("participant", "metric", "period", "value", "status"), False),
    Kind("samples", samples, "id", (), True),
    Kind("imports", imports, "sha256", (), True),
    Kind("statements", statements, "index", (), True),
    Kind("delivery_costs", delivery_costs, "period", (), False),
    Kind("postings", postings, "seq", ("kind", "source", "destination", "amount"), True),
    Kind("amendments", amendments, "number", ("effective",), True),
    Kind("audit", audit, "seq", ("hash",), True),
)


class AppendOnly(Exception):
    """An operation tried to change a row that is never changed (a bug, not a user error)."""


def _as_dict(kind: Kind, item: Any) -> dict[str, Any]:
    if kind.name == "delivery_costs":  # the snapshot keeps [period, amount]
        return {"period": int(item[0]), "amount": float(item[1])}
    return dict(item)


def _as_item(kind: Kind, row: dict[str, Any]) -> Any:
    if kind.name == "delivery_costs":
        return [row["period"], row["amount"]]
    return row


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def get(db: Session, partnership_id: int) -> dict[str, Any] | None:
    row = db.execute(sa.select(partnerships).where(partnerships.c.id == partnership_id)).first()
    return None if row is None else dict(row._mapping)


def by_key(db: Session, key: str) -> dict[str, Any] | None:
    row = db.execute(sa.select(partnerships).where(partnerships.c.key == key)).first()
    return None if row is None else dict(row._mapping)


def lock(db: Session, partnership_id: int) -> dict[str, Any] | None:
    """The partnership's row, locked until the transaction ends (PostgreSQL: ``FOR UPDATE``, so
    operations on one partnership run one at a time; SQLite has one writer at a time anyway and
    the unique keys refuse a second write of the same approval or import)."""
    row = db.execute(
        sa.select(partnerships).where(partnerships.c.id == partnership_id).with_for_update()
    ).first()
    return None if row is None else dict(row._mapping)


def insert(db: Session, values: dict[str, Any], roles: list[tuple[int, str]]) -> int:
    """A new partnership row and its parties; its id."""
    new_id = int(
        db.execute(
            sa.insert(partnerships).values(**values).returning(partnerships.c.id)
        ).scalar_one()
    )
    for organisation_id, role in roles:
        db.execute(
            sa.insert(parties).values(
                partnership_id=new_id, organisation_id=organisation_id, role=role
            )
        )
    return new_id


def roles_of(db: Session, partnership_id: int, organisation_id: int) -> list[str]:
    """The partnership roles an organisation holds (empty: it is not a party)."""
    rows = db.execute(
        sa.select(parties.c.role).where(
            parties.c.partnership_id == partnership_id,
            parties.c.organisation_id == organisation_id,
        )
    ).all()
    return sorted((r[0] for r in rows), key=PARTY_ROLES.index)


def party_list(db: Session, partnership_id: int) -> list[tuple[int, str]]:
    rows = db.execute(
        sa.select(parties.c.organisation_id, parties.c.role)
        .where(parties.c.partnership_id == partnership_id)
        .order_by(parties.c.id)
    ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def visible_to(db: Session, organisation_id: int) -> list[dict[str, Any]]:
    """The partnerships an organisation is a party to."""
    ids = sa.select(parties.c.partnership_id).where(parties.c.organisation_id == organisation_id)
    rows = db.execute(
        sa.select(partnerships).where(partnerships.c.id.in_(ids)).order_by(partnerships.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def load_state(db: Session, row: dict[str, Any]) -> dict[str, Any]:
    """The partnership's state in the shape of ``ledger.snapshot.dump`` (format 1)."""
    state = state_head(row)
    for kind in KINDS:
        state[kind.name] = rows_of(db, row["id"], kind.name)
    return state


def state_head(row: dict[str, Any]) -> dict[str, Any]:
    """The scalars of a partnership's state (``load_state`` without the lists)."""
    return {
        "format": 1,
        "partnership": row["key"],
        "terms_version": row["version_digest"],
        "demo": bool(row["demo"]),
        "data_processors": json.loads(row["data_processors"]),
        "posted_through": int(row["posted_through"]),
        "setoff": json.loads(row["setoff"]),
    }


def kind_of(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


def rows_of(db: Session, partnership_id: int, name: str, where: Any = None) -> list[dict[str, Any]]:
    """The rows of one list of the state (optionally only those ``where`` selects), in key
    order, as ``load_state`` gives them."""
    kind = kind_of(name)
    t = kind.table
    if kind.name == "records":
        e = entries
        query = sa.select(t, e.c.import_id, e.c.entered_by, e.c.who, e.c.at).select_from(
            t.outerjoin(e, (e.c.partnership_id == t.c.partnership_id) & (e.c.entry == t.c.entry))
        )
    else:
        query = sa.select(t)
    query = query.where(t.c.partnership_id == partnership_id)
    if where is not None:
        query = query.where(where)
    items = []
    for r in db.execute(query.order_by(t.c[kind.key])).all():
        m = r._mapping
        d = json.loads(m["data"]) if m["data"] is not None else _as_entered(m)
        d[kind.key] = m[kind.key]
        for c in kind.columns:  # the columns are what counts (a query reads them)
            d[c] = m[c]
        items.append(_as_item(kind, d))
    return items


def _as_entered(m: Any) -> dict[str, Any]:
    """A narrow record's dict (``data`` NULL: as its import entered it), as the JSON the import
    would have written."""
    return {
        "conflicts_with": m["conflicts_with"],
        "evidence": {
            "entered_by": m["entered_by"],
            "reference": m["reference"],
            "source": m["source"],
        },
        "history": [
            {
                "action": "entered",
                "at": m["at"],
                "reason": None,
                "status": m["status"],
                "who": m["who"],
            }
        ],
        "id": m["id"],
        "import_id": m["import_id"],
    }


def _values(kind: Kind, partnership_id: int, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "partnership_id": partnership_id,
        kind.key: d[kind.key],
        **{c: d[c] for c in kind.columns},
        "data": _encode({f: v for f, v in d.items() if f not in kind.columns}),
    }


def append(db: Session, partnership_id: int, name: str, items: list[Any]) -> None:
    """Insert new rows of one list of the state (as ``write_changes`` writes them)."""
    kind = kind_of(name)
    if items:
        db.execute(
            sa.insert(kind.table), [_values(kind, partnership_id, _as_dict(kind, x)) for x in items]
        )


def last_audit(db: Session, partnership_id: int) -> dict[str, Any] | None:
    """The last audit record (the chain's head), as ``load_state`` gives it."""
    top = sa.select(sa.func.max(audit.c.seq)).where(audit.c.partnership_id == partnership_id)
    found = rows_of(db, partnership_id, "audit", audit.c.seq == top.scalar_subquery())
    return found[0] if found else None


def statement_indexes(db: Session, partnership_id: int) -> list[int]:
    """The indexes of the stored (approved) statements."""
    t = statements
    rows = db.execute(sa.select(t.c.index).where(t.c.partnership_id == partnership_id)).scalars()
    return [int(i) for i in rows]


def set_head(db: Session, partnership_id: int, count: int, head: str) -> None:
    db.execute(
        sa.update(partnerships)
        .where(partnerships.c.id == partnership_id)
        .values(audit_count=count, audit_hash=head)
    )


def write_changes(
    db: Session, row: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
) -> dict[str, int]:
    """Write the difference between two states of one partnership (new rows inserted, changed
    rows of the mutable tables updated) and its scalars and audit head; how many rows of each
    kind were written. Raises :class:`AppendOnly` if an append-only row changed or vanished."""
    pid = row["id"]
    written: dict[str, int] = {}
    for kind in KINDS:
        old = {str(d[kind.key]): d for d in (_as_dict(kind, x) for x in before.get(kind.name, []))}
        new_rows = [_as_dict(kind, x) for x in after[kind.name]]
        new = {str(d[kind.key]): d for d in new_rows}
        if set(old) - set(new):
            raise AppendOnly(f"{kind.name}: rows vanished")
        inserts: list[dict[str, Any]] = []
        n = 0
        for k, d in new.items():
            values = _values(kind, pid, d)
            if k not in old:
                inserts.append(values)
            elif old[k] != d:
                if kind.append_only:
                    raise AppendOnly(f"{kind.name} {k} changed")
                t = kind.table
                db.execute(
                    sa.update(t)
                    .where(t.c.partnership_id == pid, t.c[kind.key] == d[kind.key])
                    .values(**{c: values[c] for c in (*kind.columns, "data")})
                )
                n += 1
        if inserts:
            db.execute(sa.insert(kind.table), inserts)
        written[kind.name] = n + len(inserts)
    audit_rows = after["audit"]
    db.execute(
        sa.update(partnerships)
        .where(partnerships.c.id == pid)
        .values(
            data_processors=_encode(after["data_processors"]),
            posted_through=int(after["posted_through"]),
            setoff=_encode(after["setoff"]),
            audit_count=audit_rows[-1]["seq"] if audit_rows else 0,
            audit_hash=audit_rows[-1]["hash"] if audit_rows else "",
        )
    )
    return written


def delete_partnership(db: Session, partnership_id: int) -> None:
    """Remove a partnership and all its rows (only for a restore over it, never in normal use)."""
    for kind in KINDS:
        db.execute(sa.delete(kind.table).where(kind.table.c.partnership_id == partnership_id))
    db.execute(sa.delete(entries).where(entries.c.partnership_id == partnership_id))
    db.execute(sa.delete(parties).where(parties.c.partnership_id == partnership_id))
    db.execute(sa.delete(partnerships).where(partnerships.c.id == partnership_id))
