"""Set-based reads and writes of a stored ledger (issue 12's scale): what an import, a statement
or a re-forecast needs, asked of the tables with SQL instead of reading every record.

An import's checked rows go into a temporary staging table (PostgreSQL: ``COPY``; SQLite: one
``executemany``), are met with the records already there by SQL joins (on the index of records
by metric, period and participant), and the new ones are written with one ``INSERT … SELECT``
that numbers them, narrow (``data`` NULL: see ``partnerships.records``). Everything runs inside the
caller's transaction, so a refusal or a killed process leaves nothing.

This module knows tables and plain values, not the ledger's objects (the store may not import
the ledger); ``service.partnerships`` decides what the rows mean with the ledger's rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from socialinvest.store.partnerships import entries, imports, participants

ACTIVE = ("entered", "verified", "disputed")
STAGE = "ledger_stage"
STAGE_COLUMNS = ("line", "participant", "metric", "period", "value", "source", "reference", "once")


def is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _raw(db: Session) -> Any:
    """The driver's connection of the session's transaction (psycopg or sqlite3)."""
    return db.connection().connection.driver_connection


def claim(db: Session, partnership_id: int) -> None:
    """SQLite: take the database's write lock now (waiting for another writer), before anything
    is read, so the reads that follow see the other writer's commit (PostgreSQL: the row is
    already locked ``FOR UPDATE``)."""
    if not is_postgres(db):
        db.execute(
            sa.text("UPDATE partnerships SET audit_count = audit_count WHERE id = :p"),
            {"p": partnership_id},
        )


def import_of(db: Session, partnership_id: int, sha256: str) -> dict[str, Any] | None:
    """The import of a file with this SHA-256, if it was imported before."""
    data = db.execute(
        sa.select(imports.c.data).where(
            imports.c.partnership_id == partnership_id, imports.c.sha256 == sha256
        )
    ).scalar_one_or_none()
    return None if data is None else dict(json.loads(data))


def people(db: Session, partnership_id: int) -> list[tuple[int, int, str | None]]:
    """(id, intake period, withdrawal date or None) of every participant, by id (columns: no
    participant's JSON is read)."""
    c = participants.c
    rows = db.execute(
        sa.select(c.id, c.intake_period, c.withdrawn)
        .where(c.partnership_id == partnership_id)
        .order_by(c.id)
    ).all()
    return [(int(r[0]), int(r[1]), r[2]) for r in rows]


def people_arrays(
    db: Session, partnership_id: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], dict[int, str]]:
    """:func:`people` as arrays (id, intake period; by id) and the withdrawal date of each
    participant who withdrew (PostgreSQL: each column as one array in binary form)."""
    c = participants.c
    gone = {
        int(n): str(w)
        for n, w in db.execute(
            sa.select(c.id, c.withdrawn).where(
                c.partnership_id == partnership_id, c.withdrawn.is_not(None)
            )
        ).all()
    }
    if not is_postgres(db):
        known = people(db, partnership_id)
        ids = np.array([k[0] for k in known], dtype=np.int64)
        return ids, np.array([k[1] for k in known], dtype=np.int64), gone
    sent = db.execute(
        sa.text(
            "SELECT array_send(array_agg(id ORDER BY id)), "
            "array_send(array_agg(intake_period ORDER BY id)) FROM ledger_participants "
            "WHERE partnership_id = :p"
        ),
        {"p": partnership_id},
    ).one()
    n, i = (_array(None if x is None else bytes(x), ">i4").astype(np.int64) for x in sent)
    return n, i, gone


def stage(db: Session, columns: Sequence[Sequence[Any]]) -> None:
    """A temporary table of an import's rows (``STAGE_COLUMNS``, one sequence per column), gone
    at the end of the transaction (PostgreSQL) or dropped by :func:`unstage` (SQLite)."""
    text = _copy_text(columns) if is_postgres(db) else None
    # a tuple per row only where it is needed (SQLite, or a cell COPY must escape)
    rows = list(zip(*columns, strict=True)) if text is None and columns and len(columns[0]) else []
    cols = (
        "line INTEGER PRIMARY KEY, participant INTEGER NOT NULL, metric TEXT NOT NULL, "
        "period INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL, source TEXT NOT NULL, "
        "reference TEXT NOT NULL, once INTEGER NOT NULL, skip INTEGER NOT NULL DEFAULT 0, "
        "conflicts_with INTEGER"
    )
    names = ", ".join(STAGE_COLUMNS)
    raw = _raw(db)
    if is_postgres(db):
        # the lookups are many small index probes: compiling them (JIT) costs more than it saves
        db.execute(sa.text("SET LOCAL jit = off"))
        db.execute(sa.text(f"CREATE TEMPORARY TABLE {STAGE} ({cols}) ON COMMIT DROP"))
        with raw.cursor() as cur, cur.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
            if text is not None:
                copy.write(text.encode("utf-8"))
            else:
                for r in rows:
                    copy.write_row(r)
    else:
        db.execute(sa.text(f"DROP TABLE IF EXISTS temp.{STAGE}"))
        db.execute(sa.text(f"CREATE TEMPORARY TABLE {STAGE} ({cols})"))
        marks = ", ".join("?" for _ in STAGE_COLUMNS)
        raw.executemany(f"INSERT INTO temp.{STAGE} ({names}) VALUES ({marks})", rows)


_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_text(columns: Sequence[Sequence[Any]]) -> str | None:
    """The rows in COPY's text format, joined in C (no Python call per row), or None when a
    text cell holds a backslash, tab or line break (then COPY escapes each row itself)."""
    cells = [col if col and isinstance(col[0], str) else list(map(str, col)) for col in columns]
    for col in cells:
        if _SPECIAL.search("".join(col)):
            return None
    if not cells or not cells[0]:
        return ""
    return "\n".join(map("\t".join, zip(*cells, strict=True))) + "\n"


def unstage(db: Session) -> None:
    if not is_postgres(db):
        db.execute(sa.text(f"DROP TABLE IF EXISTS temp.{STAGE}"))


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # constants of this module only


def once_elsewhere(db: Session, partnership_id: int) -> list[tuple[int, int]]:
    """(line, period) for each staged once-only outcome whose participant already has one
    recorded in another period (entered, verified, disputed or in conflict; the first by id)."""
    status = f"r.status IN ({_in((*ACTIVE, 'conflict'))})"
    params: dict[str, Any] = {"p": partnership_id}
    if is_postgres(db):  # the once-only metrics' records (few), read once, met in one join
        once = db.execute(sa.text(f"SELECT DISTINCT metric FROM {STAGE} WHERE once = 1"))
        metrics = [str(m) for m in once.scalars()]
        if not metrics:
            return []
        params.update({f"m{i}": m for i, m in enumerate(metrics)})
        named = ", ".join(f":m{i}" for i in range(len(metrics)))
        query = (
            "WITH o AS MATERIALIZED (SELECT r.id, r.participant, r.metric, r.period FROM "
            f"ledger_records r WHERE r.partnership_id = :p AND {status} AND r.metric IN "
            f"({named})) SELECT DISTINCT ON (s.line) s.line, o.period FROM {STAGE} s JOIN o ON "
            "o.participant = s.participant AND o.metric = s.metric AND o.period <> s.period "
            "WHERE s.once = 1 ORDER BY s.line, o.id"
        )
    else:
        query = (
            f"SELECT line, other FROM (SELECT s.line AS line, (SELECT r.period FROM "
            f"ledger_records r WHERE r.partnership_id = :p AND r.participant = s.participant "
            f"AND r.metric = s.metric AND r.period <> s.period AND {status} "
            f"ORDER BY r.id LIMIT 1) AS other "
            f"FROM {STAGE} s WHERE s.once = 1) x WHERE other IS NOT NULL ORDER BY line"
        )
    rows = db.execute(sa.text(query), params).all()
    return [(int(r[0]), int(r[1])) for r in rows]


def current(db: Session, partnership_id: int) -> dict[int, tuple[int, float]]:
    """Line → (id, value) of the record in force (entered, verified or disputed; the first by
    id) at each staged row's participant, metric and period, where there is one: a lookup per
    staged row on the records' index (the partnership's other records are never read)."""
    match = (
        "r.partnership_id = :p AND r.participant = s.participant AND r.metric = s.metric "
        f"AND r.period = s.period AND r.status IN ({_in(ACTIVE)})"
    )
    if is_postgres(db):
        query = (
            f"SELECT s.line, r.id, r.value FROM {STAGE} s CROSS JOIN LATERAL (SELECT r.id, "
            f"r.value FROM ledger_records r WHERE {match} ORDER BY r.id LIMIT 1) r"
        )
    else:
        query = (
            "SELECT x.line, x.cur, (SELECT r.value FROM ledger_records r WHERE "
            "r.partnership_id = :p AND r.id = x.cur) FROM (SELECT s.line AS line, "
            f"(SELECT MIN(r.id) FROM ledger_records r WHERE {match}) AS cur FROM {STAGE} s) x "
            "WHERE x.cur IS NOT NULL"
        )
    rows = db.execute(sa.text(query), {"p": partnership_id}).all()
    return {int(line): (int(rid), float(value)) for line, rid, value in rows}


def open_conflicts(db: Session, partnership_id: int) -> set[tuple[int, float]]:
    """(the record contradicted, the value) of every record in conflict, not yet decided."""
    rows = db.execute(
        sa.text(
            "SELECT value, conflicts_with, data FROM ledger_records WHERE partnership_id = :p "
            "AND status = 'conflict'"
        ),
        {"p": partnership_id},
    ).all()
    return {
        (int(c if d is None else json.loads(d)["conflicts_with"]), float(v)) for v, c, d in rows
    }


def last_record_id(db: Session, partnership_id: int) -> int:
    return int(
        db.execute(
            sa.text("SELECT COALESCE(MAX(id), 0) FROM ledger_records WHERE partnership_id = :p"),
            {"p": partnership_id},
        ).scalar_one()
    )


def mark(db: Session, skip: Sequence[int], conflicts: Sequence[tuple[int, int]]) -> None:
    """Staged lines not to write (repeats and unchanged rows), and those to write as conflicts
    with an earlier record (line, record id)."""
    if skip:
        db.execute(
            sa.text(f"UPDATE {STAGE} SET skip = 1 WHERE line = :line"),
            [{"line": line} for line in skip],
        )
    if conflicts:
        db.execute(
            sa.text(f"UPDATE {STAGE} SET conflicts_with = :c WHERE line = :line"),
            [{"line": line, "c": c} for line, c in conflicts],
        )


def insert_staged(
    db: Session,
    partnership_id: int,
    after: int,
    *,
    import_id: str,
    entered_by: str,
    who: str,
    at: str,
) -> int:
    """Write the staged rows not skipped as records ``after`` + 1, + 2, … in line order, narrow
    (evidence and the record contradicted as columns, ``data`` NULL; what they share — the
    import, who entered them, when — once in ``ledger_entries``); how many."""
    entry = int(
        db.execute(
            sa.text(
                "SELECT COALESCE(MAX(entry), 0) + 1 FROM ledger_entries WHERE partnership_id = :p"
            ),
            {"p": partnership_id},
        ).scalar_one()
    )
    db.execute(
        sa.insert(entries).values(
            partnership_id=partnership_id,
            entry=entry,
            import_id=import_id,
            entered_by=entered_by,
            who=who,
            at=at,
        )
    )
    done = db.execute(
        sa.text(
            "INSERT INTO ledger_records (partnership_id, id, participant, metric, period, value, "
            "status, source, reference, conflicts_with, entry, data) SELECT :p, :after + "
            "ROW_NUMBER() OVER (ORDER BY s.line), s.participant, s.metric, s.period, s.value, "
            "CASE WHEN s.conflicts_with IS NULL THEN 'entered' ELSE 'conflict' END, s.source, "
            f"s.reference, s.conflicts_with, :entry, NULL FROM {STAGE} s WHERE s.skip = 0"
        ),
        {"p": partnership_id, "after": after, "entry": entry},
    )
    return int(getattr(done, "rowcount", 0))


PAID_FIELDS = ("id", "participant", "metric", "period", "value", "verified")


def _array(data: bytes | None, kind: str) -> npt.NDArray[Any]:
    """A one-dimensional array without NULLs in PostgreSQL's binary form (``array_send``):
    a header (dimensions, flags, element type, length and lower bound), then each element as
    its length and its big-endian value; read by NumPy as it is."""
    if data is None:  # array_agg of no rows
        return np.zeros(0, dtype=kind)
    start = 12 + 8 * int.from_bytes(data[0:4], "big")
    element = np.dtype([("size", ">i4"), ("value", kind)])
    out: npt.NDArray[Any] = np.frombuffer(data, dtype=element, offset=start)["value"]
    return out


def paid_arrays(
    db: Session, partnership_id: int, metrics: Sequence[str], through: int
) -> dict[str, npt.NDArray[Any]]:
    """The records that may be paid (verified or entered) of outcome periods up to ``through``,
    by id, as arrays: id, participant, metric (its index in ``metrics``; -1 for another),
    period, value, verified (0: entered). PostgreSQL sends each column as one array in binary
    form, read by NumPy as it is (no Python object per record)."""
    cases = " ".join(f"WHEN :m{i} THEN {i}" for i in range(len(metrics)))
    params: dict[str, Any] = {f"m{i}": m for i, m in enumerate(metrics)}
    params.update(p=partnership_id, through=through)
    columns = {
        "id": "id",
        "participant": "participant",
        "metric": f"CASE metric {cases} ELSE -1 END" if metrics else "-1",
        "period": "period",
        "value": "value",
        "verified": "CASE WHEN status = 'verified' THEN 1 ELSE 0 END",
    }
    where = (
        "FROM ledger_records WHERE partnership_id = :p AND period <= :through "
        "AND status IN ('verified', 'entered')"
    )
    out: dict[str, npt.NDArray[Any]] = {}
    if is_postgres(db) and len(metrics) < 255:
        db.execute(sa.text("SET LOCAL jit = off"))
        # three arrays, not six (each array_agg costs per element): participant, period, metric
        # and verified packed into one bigint (period < 2^16: checked below; metric + 1 < 2^8)
        packed = (
            f"((CAST(participant AS int8) * 65536 + period) * 256 + ({columns['metric']}) + 1) "
            f"* 2 + {columns['verified']}"
        )
        row = (
            db.execute(
                sa.text(
                    "SELECT array_send(array_agg(id)), array_send(array_agg(value)), "
                    f"array_send(array_agg({packed})), MIN(LEAST(period, participant)) {where}"
                ),
                params,
            ).one()
            if through < 65536
            else (None, None, None, -1)
        )
        if row[3] is None or int(row[3]) >= 0:  # (no rows, or) every value fits its bits
            ids, values, keys = (None if x is None else bytes(x) for x in row[:3])
            out["id"] = _array(ids, ">i4").astype(np.int64)
            out["value"] = _array(values, ">f8").astype(np.float64)
            key = _array(keys, ">i8").astype(np.int64)
            out["verified"] = key & 1
            out["metric"] = ((key >> 1) & 255) - 1
            out["period"] = (key >> 9) & 65535
            out["participant"] = key >> 25
            order = np.argsort(out["id"], kind="stable")
            return {name: out[name][order] for name in PAID_FIELDS}
    if is_postgres(db):  # the six columns as they are
        db.execute(sa.text("SET LOCAL jit = off"))
        aggregates = ", ".join(
            f"array_send(array_agg(CAST({sql} AS {'float8' if name == 'value' else 'int4'})))"
            for name, sql in columns.items()
        )  # one scan: every aggregate sees the rows in the same order
        row = db.execute(sa.text(f"SELECT {aggregates} {where}"), params).one()
        for name, data in zip(columns, row, strict=True):
            raw = _array(None if data is None else bytes(data), ">f8" if name == "value" else ">i4")
            out[name] = raw.astype(np.float64 if name == "value" else np.int64)
        order = np.argsort(out["id"], kind="stable")
        return {name: values[order] for name, values in out.items()}
    rows = db.execute(
        sa.text(f"SELECT {', '.join(columns.values())} {where} ORDER BY id"), params
    ).all()
    table = np.array(rows, dtype=np.float64).reshape(-1, len(columns))
    for i, name in enumerate(columns):
        out[name] = table[:, i] if name == "value" else table[:, i].astype(np.int64)
    return out


def records_paid_in(
    db: Session,
    partnership_id: int,
    participant: int,
    metric: str,
    lag: int,
    periods: int,
    payment_period: int,
) -> tuple[int, ...]:
    """Every record (whatever its status) of a participant and metric whose payment falls in
    ``payment_period`` (outcome period + lag, at most the last period), by id."""
    rows = db.execute(
        sa.text(
            "SELECT id FROM ledger_records WHERE partnership_id = :p AND participant = :n "
            "AND metric = :m AND period BETWEEN :lo AND :hi "  # the index's range
            "AND (CASE WHEN period + :lag < :t THEN period + :lag ELSE :t END) = :pp ORDER BY id"
        ),
        {
            "lo": payment_period - lag,
            "hi": payment_period - lag if payment_period < periods else 2**31 - 1,
            "p": partnership_id,
            "n": participant,
            "m": metric,
            "lag": lag,
            "t": periods,
            "pp": payment_period,
        },
    ).scalars()
    return tuple(int(r) for r in rows)


def first_successes(
    db: Session, partnership_id: int, as_of: int, statuses: Sequence[str], metric: str | None
) -> dict[int, int]:
    """Participant → the first outcome period (up to ``as_of``) of a record in ``statuses``
    with a positive value (in ``metric``, if given): one ``GROUP BY``."""
    where = "" if metric is None else " AND metric = :m"
    rows = db.execute(
        sa.text(
            "SELECT participant, MIN(period) FROM ledger_records WHERE partnership_id = :p "
            f"AND status IN ({_in(statuses)}) AND value > 0 AND period <= :as_of{where} "
            "GROUP BY participant"
        ),
        {"p": partnership_id, "as_of": as_of, "m": metric},
    ).all()
    return {int(r[0]): int(r[1]) for r in rows}


def awaiting(db: Session, partnership_id: int, through: int) -> list[int]:
    """The ids of the records entered and not yet decided, of outcome periods up to
    ``through``."""
    rows = db.execute(
        sa.text(
            "SELECT id FROM ledger_records WHERE partnership_id = :p AND status = 'entered' "
            "AND period <= :t ORDER BY id"
        ),
        {"p": partnership_id, "t": through},
    ).scalars()
    return [int(r) for r in rows]
