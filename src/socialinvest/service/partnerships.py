"""Running partnerships: the ledger core (``socialinvest.ledger``) on the database (``store``).

Every write is one transaction: the partnership's row is locked, its state read into a
:class:`~socialinvest.ledger.Ledger` (``snapshot.load``), **one** operation of the core runs (its
rules, role checks and audit record are the core's), and what changed is written
(``store.partnerships.write_changes``) before the commit. A failure anywhere — a bad row of an
import, a refused role, a process killed — leaves nothing written. Two writers of one
partnership wait for each other (PostgreSQL ``FOR UPDATE``); a write that loses a race on a
unique key (the same approval or import twice) is retried once and then sees the other's result.

Who acts is a user of the web application; their organisation's partnership role (payer,
provider, investor, evaluator, auditor) is the ledger's :class:`Actor`. An organisation that is
not a party does not learn the partnership exists (:class:`NotFound`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialinvest.errors import Alternatives, InputError, Joined, msg
from socialinvest.ledger import snapshot
from socialinvest.ledger.audit import Head
from socialinvest.ledger.cpr import Keyring
from socialinvest.ledger.errors import LedgerError as LedgerError  # re-exported for the web
from socialinvest.ledger.errors import scrub as scrub  # for the web: never echo a CPR number
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor
from socialinvest.ledger.statements import Statement
from socialinvest.ledger.terms import Terms
from socialinvest.service.cases import load_text
from socialinvest.store import partnerships as store
from socialinvest.store.models import Case, CaseVersion, Organisation, User

T = TypeVar("T")
#: Which records an operation needs: (the partnership's row, its samples) → a condition on the
#: records table, or None for none.
Selection = Callable[[dict[str, Any], list[dict[str, Any]]], Any]
#: The core's refusals that are about who may do something (the web answers 403 for these).
ROLE_KEYS = frozenset({"role", "enrol_role", "own_record", "role_not_held"})
DEFAULT_MIN_COUNT = 5


class NotFound(Exception):
    """No such partnership, or the user's organisation is not a party to it."""


class Context:
    """A partnership as one user sees it: its row, the user's actor and roles, and the ledger —
    read from the database the first time ``ledger`` is asked for (a page that needs only
    aggregates, a statement or a re-forecast never reads every record; see ``partial``)."""

    def __init__(
        self,
        row: dict[str, Any],
        actor: Actor,
        roles: tuple[str, ...],
        *,
        ledger: Ledger | None = None,
        db: Session | None = None,
    ) -> None:
        self.row, self.actor, self.roles, self.db = row, actor, roles, db
        self._ledger = ledger

    @property
    def loaded(self) -> bool:
        return self._ledger is not None

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            assert self.db is not None
            data = store.load_state(self.db, self.row)
            self._ledger = snapshot.load(data, terms_of(self.db, self.row), keyring())
        return self._ledger

    @property
    def terms(self) -> Terms:
        """The terms with their dated amendments (as ``snapshot.load`` gives them)."""
        if self._ledger is not None or self.db is None:
            return self.ledger.terms
        from socialinvest.ledger.terms import Amendment

        found = store.rows_of(self.db, self.row["id"], "amendments")
        terms = terms_of(self.db, self.row)
        if not found:
            return terms
        return terms.with_amendments(tuple(Amendment.from_dict(d) for d in found))

    def partial(self, records: Selection) -> Ledger:
        """A ledger holding the participants, samples, approved statements, delivery costs and
        postings but, of the records, only those ``records`` selects (``partial_state``; the
        whole ledger once it is loaded)."""
        if self._ledger is not None or self.db is None:
            return self.ledger
        state = partial_state(self.db, self.row, records)
        return snapshot.load(state, self.terms, keyring())


def keyring() -> Keyring:
    """The pseudonymisation keys (key file or environment); refuses without one."""
    return Keyring.from_environment()


@lru_cache(maxsize=16)
def _terms(text: str, name: str, terms_json: str) -> Terms:
    t = json.loads(terms_json)
    return Terms.from_case(
        load_text(text, name),
        prices=t["prices"],
        eligibility=tuple(t["eligibility"]),
        settle_every=t["settle_every"],
    )


def terms_of(db: Session, row: dict[str, Any]) -> Terms:
    version = db.get(CaseVersion, row["version_id"])
    assert version is not None
    return _terms(version.text, f"case {row['case_id']} version {version.number}", row["terms"])


def _org(db: Session, user: User) -> Organisation:
    org = db.get(Organisation, user.organisation_id)
    assert org is not None
    return org


def actor_for(
    db: Session,
    row: dict[str, Any],
    user: User,
    role: str | None = None,
    prefer: Sequence[str] = (),
) -> tuple[Actor, tuple[str, ...]]:
    """The ledger actor of ``user`` in a partnership: ``role`` if given (and held), else the
    first of ``prefer`` their organisation holds, else its first role."""
    roles = tuple(store.roles_of(db, row["id"], user.organisation_id))
    if not roles:
        raise NotFound(row["id"])
    if role is not None:
        if role not in store.PARTY_ROLES:
            raise LedgerError("role_unknown", role=role)
        if role not in roles:
            raise LedgerError(
                "role_not_held", user=user.username, role=role, roles=", ".join(roles)
            )
        chosen = role
    else:
        chosen = next((r for r in prefer if r in roles), roles[0])
    org = _org(db, user)
    return Actor(user.username, org.name, chosen), roles  # type: ignore[arg-type]


def _context(
    db: Session,
    row: dict[str, Any],
    user: User,
    role: str | None,
    prefer: Sequence[str],
    state: dict[str, Any] | None = None,
) -> Context:
    actor, roles = actor_for(db, row, user, role, prefer)
    if state is None:  # read when first needed
        return Context(row, actor, roles, db=db)
    ledger = snapshot.load(state, terms_of(db, row), keyring())
    return Context(row, actor, roles, ledger=ledger, db=db)


def read(
    db: Session,
    partnership_id: int,
    user: User,
    role: str | None = None,
    prefer: Sequence[str] = (),
) -> Context:
    """The partnership for reading (no lock, nothing written)."""
    row = store.get(db, partnership_id)
    if row is None:
        raise NotFound(partnership_id)
    return _context(db, row, user, role, prefer)


def write(
    db: Session,
    partnership_id: int,
    user: User,
    operation: Callable[[Context], T],
    *,
    role: str | None = None,
    prefer: Sequence[str] = (),
    records: Selection | None = None,
) -> T:
    """Run one operation of the core on the partnership and persist it, in one transaction.
    ``records``: for an operation that changes only some records and creates none (deciding
    records, drawing a sample, approving), a function of the row and the samples giving the
    condition on the records table that selects them (None: no record); the ledger then holds
    only those records (``partial_state``)."""

    def run(row: dict[str, Any]) -> T:
        # read once: the core's input and the diff's base
        before = store.load_state(db, row) if records is None else partial_state(db, row, records)
        ctx = _context(db, row, user, role, prefer, before)
        result = operation(ctx)
        store.write_changes(db, row, before, snapshot.dump(ctx.ledger))
        return result

    return _transaction(db, partnership_id, run)


def partial_state(db: Session, row: dict[str, Any], records: Selection) -> dict[str, Any]:
    """The partnership's state with every list but the records and the audit trail, the records
    that ``records(row, samples)`` selects (none if it gives None), and the audit trail's last
    record (so new audit records continue the chain). The imports are left out: each lists the
    records it created (2.6 million ids at issue 12's size) and only the core's importer reads
    them, which never runs on a partial ledger (an import is set-based, ``_import``). Anything
    else is read whole (participants, samples, statements, postings: small beside the records)."""
    pid = row["id"]
    state = store.state_head(row)
    state["imports"] = []
    for kind in store.KINDS:
        if kind.name in ("records", "imports"):
            continue
        if kind.name == "audit":
            last = store.last_audit(db, pid)
            state["audit"] = [] if last is None else [last]
        else:
            state[kind.name] = store.rows_of(db, pid, kind.name)
    condition = records(row, state["samples"])
    found = [] if condition is None else store.rows_of(db, pid, "records", condition)
    state["records"] = found
    return state


def _transaction(db: Session, partnership_id: int, run: Callable[[dict[str, Any]], T]) -> T:
    """``run(the partnership's row, locked)`` in one transaction, committed if it returns; a
    write that loses a race on a unique key is tried once more (and then sees the other's)."""
    for attempt in (1, 2):
        try:
            row = store.lock(db, partnership_id)
            if row is None:
                raise NotFound(partnership_id)
            result = run(row)
            db.commit()
            return result
        except IntegrityError:
            db.rollback()
            if attempt == 2:
                raise
        except BaseException:
            db.rollback()
            raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------- creating


def _check_terms(
    version: CaseVersion,
    name: str,
    prices: dict[str, float],
    eligibility: Sequence[str],
    settle_every: int | None,
) -> tuple[Terms, str]:
    loaded = load_text(version.text, name)
    terms = Terms.from_case(
        loaded, prices=prices, eligibility=tuple(eligibility), settle_every=settle_every
    )
    terms_json = json.dumps(
        {
            "prices": prices,
            "eligibility": list(eligibility),
            "settle_every": terms.settle_every,
        },
        sort_keys=True,
    )
    return terms, terms_json


def create(
    db: Session,
    user: User,
    case: Case,
    version_number: int,
    *,
    key: str,
    name: str,
    parties: Sequence[tuple[Organisation, str]],
    prices: dict[str, float] | None = None,
    eligibility: Sequence[str] = (),
    settle_every: int | None = None,
    data_processors: Sequence[str] = (),
    demo: bool = False,
    min_count: int = DEFAULT_MIN_COUNT,
    ledger: Ledger | None = None,
    as_of: int | None = None,
) -> int:
    """A partnership from an **approved** case version with a contract section, pinned to that
    version; the user's organisation must be among the payers. ``ledger``: a ledger already
    built on the same terms (the demo, a restore) whose state is written as it is."""
    version = (
        db.query(CaseVersion)
        .filter(CaseVersion.case_id == case.id, CaseVersion.number == version_number)
        .first()
    )
    where = f"case {case.id} version {version_number}"
    if version is None:
        raise InputError(msg("cc_e_case_version"), field="version", value=version_number)
    if version.approved_at is None:
        raise InputError(
            msg("cc_e_approved_version"),
            field="version",
            value=version_number,
        )
    if min_count not in range(1, 11):
        raise InputError(msg("cc_e_min_count"), field="min_count", value=min_count)
    if not key.strip() or len(key) > 100:
        raise InputError(msg("cc_e_key_form"), field="key", value=key)
    if store.by_key(db, key) is not None:
        raise InputError(msg("cc_e_key_unused"), field="key", value=key)
    roles = [(org.id, role) for org, role in parties]
    for _, role in roles:
        if role not in store.PARTY_ROLES:
            raise InputError(", ".join(store.PARTY_ROLES), field="role", value=role)
    if (user.organisation_id, "payer") not in roles:
        raise InputError(msg("cc_e_creator_payer"), field="parties", has_value=False)
    prices = dict(prices or {})
    terms, terms_json = _check_terms(version, where, prices, eligibility, settle_every)
    org = _org(db, user)
    if ledger is None:
        ledger = Ledger.create(
            key,
            terms,
            keyring(),
            Actor(user.username, org.name, "payer"),
            demo=demo,
            data_processors=data_processors,
        )
    state = snapshot.dump(ledger)
    try:
        new_id = store.insert(
            db,
            {
                "key": key,
                "name": name,
                "case_id": case.id,
                "version_id": version.id,
                "version_digest": terms.version,
                "terms": terms_json,
                "demo": demo,
                "data_processors": json.dumps(sorted(data_processors)),
                "min_count": min_count,
                "posted_through": 0,
                "setoff": "{}",
                "audit_count": 0,
                "audit_hash": "",
                "as_of": as_of,
                "created_by_id": user.id,
            },
            roles,
        )
        row = store.get(db, new_id)
        assert row is not None
        store.write_changes(db, row, {}, state)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return new_id


# ---------------------------------------------------------------------- checks and reading


def current_period(ctx: Context, today: dt.date | None = None) -> int:
    """The period the partnership is in: today's, or the period a demo stands at (a demo lives
    in its own time)."""
    return period_now(ctx.row, ctx.terms, today)


def period_now(row: dict[str, Any], terms: Terms, today: dt.date | None = None) -> int:
    """:func:`current_period` from the partnership's row and terms."""
    if row.get("as_of") is not None:
        return int(row["as_of"])
    day = today or dt.date.today()
    return max(0, min(terms.n_periods, terms.period_of(day)))


def verify_integrity(db: Session, partnership_id: int) -> tuple[bool, str | None, str]:
    """``socialinvest ledger verify``: the audit chain against the head kept on the partnership
    row, then every row against the chain; (ok, entity, sentence)."""
    from socialinvest.ledger.integrity import verify_state

    row = store.get(db, partnership_id)
    if row is None:
        raise NotFound(partnership_id)
    ledger = snapshot.load(store.load_state(db, row), terms_of(db, row), keyring())
    head = Head(int(row["audit_count"]), str(row["audit_hash"]))
    check = verify_state(ledger, head)
    return check.ok, check.entity, check.describe()


def backup(db: Session, partnership_id: int) -> dict[str, Any]:
    """A whole partnership as JSON values: its row, parties (by organisation name), the pinned
    case version's text and the ledger's snapshot. Holds no CPR number and no key."""
    row = store.get(db, partnership_id)
    if row is None:
        raise NotFound(partnership_id)
    version = db.get(CaseVersion, row["version_id"])
    assert version is not None
    names = {o.id: o.name for o in db.query(Organisation).all()}
    return {
        "kind": "socialinvest partnership backup",
        "format": 1,
        "partnership": {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in row.items()
            if k not in ("id", "case_id", "version_id", "created_by_id")
        },
        "case_version": {"number": version.number, "digest": version.digest, "text": version.text},
        "parties": [[names[o], role] for o, role in store.party_list(db, partnership_id)],
        "state": store.load_state(db, row),
    }


def restore(db: Session, user: User, data: dict[str, Any], *, replace: bool = False) -> int:
    """A partnership read back from :func:`backup` (into the same or another database that
    holds the same case version, by its SHA-256, and the parties' organisations, by name). The
    state is checked against its own audit chain before anything is written."""
    from socialinvest.ledger.integrity import verify_state

    if data.get("kind") != "socialinvest partnership backup" or data.get("format") != 1:
        raise InputError(msg("cc_e_backup_kind"), field="kind", value=data.get("kind"))
    p = data["partnership"]
    version = (
        db.query(CaseVersion).filter(CaseVersion.digest == data["case_version"]["digest"]).first()
    )
    if version is None:
        raise InputError(
            msg("cc_e_backup_version"),
            field="case_version",
            value=data["case_version"]["digest"][:12],
        )
    orgs: list[tuple[int, str]] = []
    for org_name, role in data["parties"]:
        org = db.query(Organisation).filter(Organisation.name == org_name).first()
        if org is None:
            raise InputError(msg("cc_e_org_of_db"), field="parties", value=org_name)
        orgs.append((org.id, role))
    if (user.organisation_id, "payer") not in orgs:
        raise InputError(msg("cc_e_payer_user"), field="user", value=user.username)
    row0 = {"id": 0, "version_id": version.id, "case_id": version.case_id, "terms": p["terms"]}
    ledger = snapshot.load(data["state"], terms_of(db, row0), keyring())
    head = Head(int(p["audit_count"]), str(p["audit_hash"]))
    check = verify_state(ledger, head)
    if not check.ok:
        raise InputError(msg("cc_e_backup_chain"), field=check.entity, value=check.problem)
    try:
        old = store.by_key(db, p["key"])
        if old is not None:
            if not replace:
                raise InputError(msg("cc_e_key_not_in_db"), field="key", value=p["key"])
            store.delete_partnership(db, old["id"])
        new_id = store.insert(
            db,
            {
                **{k: v for k, v in p.items() if k != "created_at"},
                "created_at": dt.datetime.fromisoformat(p["created_at"]),
                "case_id": version.case_id,
                "version_id": version.id,
                "created_by_id": user.id,
                "posted_through": 0,
                "setoff": "{}",
            },
            orgs,
        )
        row = store.get(db, new_id)
        assert row is not None
        store.write_changes(db, row, {}, snapshot.dump(ledger))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return new_id


# ---------------------------------------------------------------------- operations (CLI and web)


def enrol(
    db: Session,
    partnership_id: int,
    user: User,
    cpr: str,
    enrolled: dt.date,
    cohort: str,
    eligibility: dict[str, bool] | None = None,
    role: str | None = None,
) -> int:
    """Enrol a citizen (the number is checked, turned into a pseudonym and forgotten); the
    participant's ledger id. ``eligibility`` default: every criterion declared met."""

    def op(ctx: Context) -> int:
        declared = (
            dict.fromkeys(ctx.ledger.terms.eligibility, True)
            if eligibility is None
            else eligibility
        )
        return ctx.ledger.enrol(ctx.actor, cpr, enrolled, cohort, declared).id

    return write(db, partnership_id, user, op, role=role, prefer=("payer", "provider"))


def enter_outcome(
    db: Session,
    partnership_id: int,
    user: User,
    participant: int,
    metric: str,
    period: int,
    value: float,
    source: str,
    reference: str,
    role: str | None = None,
) -> dict[str, Any]:
    def op(ctx: Context) -> dict[str, Any]:
        what, record = ctx.ledger.enter_outcome(
            ctx.actor,
            participant,
            metric,
            period,
            value,
            source,
            reference,
            as_of=current_period(ctx),
        )
        return {"result": what, "record": record.id, "status": record.status}

    return write(db, partnership_id, user, op, role=role, prefer=("provider", "payer"))


def import_outcomes(
    db: Session,
    partnership_id: int,
    user: User,
    name: str,
    data: bytes,
    role: str | None = None,
) -> dict[str, Any]:
    """Import a CSV or XLSX file of outcomes: all or nothing, idempotent (by its SHA-256).

    Set-based (``ledger.bulk`` and ``store.ledger_sets``): the rows are checked by the core's
    rules as arrays, met with the stored records in SQL and written with one statement; no
    record already stored is read into Python (docs/partnerships.md, "At scale")."""

    def op(row: dict[str, Any]) -> dict[str, Any]:
        actor, _ = actor_for(db, row, user, role, ("provider", "payer"))
        return _import(db, row, actor, name, data)

    return _transaction(db, partnership_id, op)


def _import(
    db: Session, row: dict[str, Any], actor: Actor, name: str, data: bytes
) -> dict[str, Any]:
    import hashlib
    from pathlib import Path

    import numpy as np

    from socialinvest.ledger import bulk
    from socialinvest.ledger.audit import AuditChain, AuditRecord
    from socialinvest.ledger.importer import ImportResult, row_error
    from socialinvest.ledger.ledger import now_utc
    from socialinvest.store import ledger_sets as sets

    pid = row["id"]
    digest = hashlib.sha256(data).hexdigest()
    sets.claim(db, pid)
    done = sets.import_of(db, pid, digest)
    if done is not None:  # as the core: the same file again changes nothing
        again = ImportResult(digest, name, done["rows"], (), (), done["rows"], True)
        return {**again.to_dict(), "records": []}
    Ledger._allow(actor, "import outcomes", "provider", "payer")
    terms = terms_of(db, row)
    as_of = period_now(row, terms)
    ids, intake, gone = sets.people_arrays(db, pid)
    left = np.full(len(ids), bulk.NONE, dtype=np.int64)
    if gone:
        at = np.searchsorted(ids, list(gone))
        left[at] = [terms.period_of(dt.date.fromisoformat(w)) for w in gone.values()]
    people = bulk.People(ids, intake, left)

    def participants() -> Ledger:
        state = store.state_head(row)
        state.update({k.name: [] for k in store.KINDS})
        state["participants"] = store.rows_of(db, pid, "participants")
        return snapshot.load(state, terms, keyring())

    rows, errors = bulk.check_file(terms, people, participants, Path(name), data, as_of=as_of)
    try:
        sets.stage(
            db,
            [
                rows.line.tolist(),
                rows.participant.tolist(),
                rows.metric,
                rows.period.tolist(),
                rows.value.tolist(),
                rows.source,
                rows.reference,
                rows.once.astype(int).tolist(),
            ],
        )
        at_line = {line: i for i, line in enumerate(rows.line.tolist())}
        once_errors = []
        for line, other in sets.once_elsewhere(db, pid):
            i = at_line[line]
            once_errors.append(
                row_error(
                    line,
                    LedgerError(
                        "once",
                        participant=int(rows.participant[i]),
                        metric=rows.metric[i],
                        period=other,
                    ),
                )
            )
        if once_errors:
            rows = rows.take(~np.isin(rows.line, [e.line for e in once_errors]))
        file_errors, repeat = bulk.in_file_rules(rows)
        bulk.refuse(name, errors, once_errors, file_errors)

        # new, unchanged, or a conflict with the value in force (Ledger.check_outcome's end)
        in_force = sets.current(db, pid)
        open_conflicts = sets.open_conflicts(db, pid) if in_force else set()
        skip: list[int] = []
        conflicts: list[tuple[int, int]] = []
        write = np.zeros(len(rows.line), dtype=bool)
        conflict_of: list[int | None] = []
        unchanged = int(repeat.sum())
        if not in_force and not unchanged:  # the usual case: every row is a new record
            write[:] = True
            conflict_of = [None] * len(rows.line)
        checked = zip(rows.line.tolist(), repeat.tolist(), rows.value.tolist(), strict=True)
        for i, (line, again, value) in enumerate(checked if in_force or unchanged else ()):
            if again:
                skip.append(line)
                continue
            found = in_force.get(line)
            if found is not None and (found[1] == value or (found[0], value) in open_conflicts):
                skip.append(line)
                unchanged += 1
                continue
            write[i] = True
            conflict_of.append(None if found is None else found[0])
            if found is not None:
                conflicts.append((line, found[0]))
        sets.mark(db, skip, conflicts)
        first = sets.last_record_id(db, pid) + 1
        new = rows.take(write)
        ids = np.arange(first, first + len(new.line), dtype=np.int64)
        status = ["entered" if c is None else "conflict" for c in conflict_of]
        stamp = now_utc().astimezone(dt.UTC).isoformat(timespec="seconds")
        written = sets.insert_staged(
            db, pid, first - 1, import_id=digest, entered_by=actor.user, who=str(actor), at=stamp
        )
        assert written in (len(ids), -1), (written, len(ids))
    finally:
        sets.unstage(db)
    created = ids.tolist()
    flagged = [int(r) for r, c in zip(created, conflict_of, strict=True) if c is not None]
    made = bulk.created_digest(new, ids, status, conflict_of, actor.user, digest)
    after = bulk.import_audit(digest, name, rows.total, created, flagged, unchanged, made)
    head = store.last_audit(db, pid)
    chain = AuditChain([] if head is None else [AuditRecord.from_dict(head)])
    record = chain.append(stamp, str(actor), "import", f"import:{digest[:16]}", None, after)
    store.append(
        db,
        pid,
        "imports",
        [
            {
                "sha256": digest,
                "file": name,
                "rows": rows.total,
                "created": created,
                "flagged": flagged,
                "unchanged": unchanged,
                "by": str(actor),
                "at": stamp,
            }
        ],
    )
    store.append(db, pid, "audit", [record.to_dict()])
    store.set_head(db, pid, record.seq, record.hash)
    result = ImportResult(digest, name, rows.total, tuple(created), tuple(flagged), unchanged)
    return {**result.to_dict(), "records": created}


def decide(
    db: Session,
    partnership_id: int,
    user: User,
    records: Sequence[int],
    decision: str,
    reason: str = "",
    role: str | None = None,
) -> list[dict[str, Any]]:
    """The evaluator verifies or rejects records (or a payer/evaluator disputes them): all of
    them or, if one is refused, none."""
    if decision not in ("verify", "reject", "dispute"):
        raise InputError(
            msg("cc_e_either", choices=Joined(("verify", "reject", "dispute"), "or")),
            field="decision",
            value=decision,
        )

    def op(ctx: Context) -> list[dict[str, Any]]:
        out = []
        for rid in records:
            if decision == "verify":
                r = ctx.ledger.verify(ctx.actor, rid, reason=reason or None)
            elif decision == "reject":
                r = ctx.ledger.reject(ctx.actor, rid, reason)
            else:
                r = ctx.ledger.dispute(ctx.actor, rid, reason)
            out.append({"record": r.id, "status": r.status})
        return out

    def these(row: dict[str, Any], samples: list[dict[str, Any]]) -> Any:
        """The records decided, and those they contradict (a verified one supersedes it)."""
        named = store.records.c.id.in_(list(records))
        found = store.rows_of(db, row["id"], "records", named)
        earlier = [r["conflicts_with"] for r in found if r["conflicts_with"] is not None]
        return named | store.records.c.id.in_(earlier) if earlier else named

    prefer = ("evaluator",) if decision != "dispute" else ("payer", "evaluator")
    return write(db, partnership_id, user, op, role=role, prefer=prefer, records=these)


def draw_sample(
    db: Session,
    partnership_id: int,
    user: User,
    size: int,
    seed: int,
    through_period: int | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    from socialinvest.store import ledger_sets as sets

    def op(ctx: Context) -> dict[str, Any]:
        through = ctx.terms.n_periods if through_period is None else through_period
        awaiting = sets.awaiting(db, partnership_id, through)
        s = ctx.ledger.draw_sample(
            ctx.actor, size, seed, through_period=through_period, awaiting=awaiting
        )
        return {"sample": s.id, "population": len(s.population), "sampled": list(s.sampled)}

    # the records awaiting verification are read as ids; none is loaded
    return write(
        db,
        partnership_id,
        user,
        op,
        role=role,
        prefer=("evaluator",),
        records=lambda row, samples: None,
    )


def record_delivery_costs(
    db: Session,
    partnership_id: int,
    user: User,
    period: int,
    amount: float,
    role: str | None = None,
) -> None:
    def op(ctx: Context) -> None:
        ctx.ledger.record_delivery_costs(ctx.actor, period, amount)

    write(db, partnership_id, user, op, role=role, prefer=("provider",))


def statement_view(ctx: Context, index: int, lang: str = "en") -> dict[str, Any]:
    """Settlement ``index`` (approved, or drafted now) as the actor may see it; every line
    explained in words for the roles that see lines."""
    from socialinvest.ledger.explain import explain, explain_cohort
    from socialinvest.ledger.status import may_see_rows, statement_for
    from socialinvest.output.numbers import LOCALES

    if lang not in LOCALES:  # before anything is drafted; a KeyError deep in formatting else
        raise InputError(
            msg("cc_e_either", choices=Alternatives(tuple(sorted(LOCALES)))),
            field="lang",
            value=lang,
        )
    st = statement(ctx, index, keyed=False)
    view = statement_for(ctx.actor, st)
    if may_see_rows(ctx.actor):
        said = {id(line): explain(line, lang) for line in st.lines}  # once a line
        view["explained"] = [{"payer": line.payer, "text": said[id(line)]} for line in st.lines]
        for name, lines in st.by_payer().items():  # the same lines, in the same order
            for shown, line in zip(view["payers"][name]["lines"], lines, strict=True):
                shown["explained"] = said[id(line)]
        for cohort in view.get("cohorts", []):  # threshold lines: one per cohort assessment
            cohort["explained"] = explain_cohort(cohort, lang)
    return view


def statement(ctx: Context, index: int, *, keyed: bool = True) -> Statement:
    """Settlement ``index``: the approved statement, or a draft. Unless the ledger is loaded
    already, drafted from arrays of the records that may be paid, read with one query
    (``ledger.draft.statement_from_arrays``: the core's units, pricing and lines).
    ``keyed=False``: without the amounts a later statement compares with (a draft shown)."""
    if ctx.loaded or ctx.db is None:
        return ctx.ledger.statement(index)
    ledger = ctx.partial(_sampled)
    return _drafter(ctx.db, ctx.row, ledger, keyed=keyed)(index)


def _sampled(row: dict[str, Any], samples: list[dict[str, Any]]) -> Any:
    """The records in a sample's draw (what a sample's rate needs)."""
    sampled = sorted({r for s in samples for r in s["sampled"]})
    return store.records.c.id.in_(sampled) if sampled else None


def _drafter(
    db: Session, row: dict[str, Any], ledger: Ledger, *, keyed: bool = True
) -> Callable[[int], Statement]:
    """Drafts a statement of ``ledger`` (holding the sampled records, not the others) from the
    records that may be paid, read as arrays."""
    from socialinvest.ledger.draft import PaidRecords, statement_from_arrays
    from socialinvest.store import ledger_sets as sets

    pid, terms = row["id"], ledger.terms
    lines = [pay.metric or "" for pay in terms.contract.payments]

    def paid_in(participant: int, line: int, payment_period: int) -> tuple[int, ...]:
        return sets.records_paid_in(
            db,
            pid,
            participant,
            lines[line],
            terms.contract.lag_periods,
            terms.n_periods,
            payment_period,
        )

    def draft(index: int) -> Statement:
        if index in ledger.statements and ledger.statements[index].status == "approved":
            return ledger.statements[index]
        _, last = ledger.span_in_order(index)
        cols = sets.paid_arrays(db, pid, list(terms.contract.metrics), last)
        paid = PaidRecords(
            cols["id"],
            cols["participant"],
            cols["metric"],
            cols["period"],
            cols["value"],
            cols["verified"] == 1,
        )
        return statement_from_arrays(ledger, index, paid, paid_in, keyed=keyed)

    return draft


def approve(
    db: Session, partnership_id: int, user: User, index: int, role: str | None = None
) -> dict[str, Any]:
    """The payer approves settlement ``index``: it is locked and its money posted."""

    def op(ctx: Context) -> dict[str, Any]:
        draft = _drafter(db, ctx.row, ctx.ledger)
        st = ctx.ledger.approve(ctx.actor, index, draft=draft)
        return {
            "settlement": st.index,
            "status": st.status,
            "totals": {payer: st.total_ore(payer) / 100 for payer in ctx.ledger.terms.payers},
        }

    # the ledger holds the sampled records only; the statement is drafted from arrays
    return write(
        db,
        partnership_id,
        user,
        op,
        role=role,
        prefer=("payer",),
        records=_sampled,
    )


def status_view(ctx: Context, as_of: int | None = None) -> dict[str, Any]:
    """Enrolment against plan, participants, records and payments (small counts suppressed
    below the partnership's threshold, for every role), with the journal's balances; for the
    roles that see participants, the threshold lines' cohort assessments of the approved
    settlements (``threshold_cohorts``, in settlement order)."""
    from socialinvest.ledger.status import status

    if as_of is not None and not 1 <= as_of <= ctx.ledger.terms.n_periods:
        raise LedgerError("as_of", value=as_of, n=ctx.ledger.terms.n_periods)
    period = current_period(ctx) if as_of is None else as_of
    out = status(ctx.ledger, period, min_count=int(ctx.row["min_count"]))
    out["partnership"] = {
        "id": ctx.row["id"],
        "key": ctx.row["key"],
        "name": ctx.row["name"],
        "demo": bool(ctx.row["demo"]),
        "role": ctx.actor.role,
        "roles": list(ctx.roles),
        "settlements": ctx.ledger.terms.n_settlements,
        "settle_every": ctx.ledger.terms.settle_every,
        "periods": ctx.ledger.terms.n_periods,
        "posted_through": ctx.ledger.posted_through,
    }
    from socialinvest.ledger.status import may_see_rows

    if may_see_rows(ctx.actor):  # they count a cohort's participants: not for investors
        out["threshold_cohorts"] = [
            {"settlement": i, **c}
            for i, st in sorted(ctx.ledger.statements.items())
            if st.status == "approved"
            for c in st.cohorts
        ]
    balances = ctx.ledger.journal.balances()
    out["balances"] = {k: v / 100 for k, v in sorted(balances.items())}
    out["balances_sum"] = sum(balances.values()) / 100
    return out


def forecast_view(
    ctx: Context, *, draws: int = 1000, seed: int = 1, target_rate: float | None = None
) -> dict[str, Any]:
    """The re-forecast conditioned on what has been observed (``ledger.forecast``)."""
    from socialinvest.ledger.forecast import reforecast

    as_of = current_period(ctx)
    observed, realised = observations(ctx, as_of)
    fc = reforecast(
        _terms_now(ctx),
        observed,
        realised,
        as_of=as_of,
        paid_through=posted_through(ctx),
        draws=draws,
        seed=seed,
        target_rate=target_rate,
    )
    return fc.to_dict()


def posted_through(ctx: Context) -> int:
    """The waterfall is posted for periods 1 … this."""
    return ctx.ledger.posted_through if ctx.loaded else int(ctx.row["posted_through"])


def observations(ctx: Context, as_of: int) -> tuple[list[Any], Any]:
    """The re-forecast's observations and realised payments (``ledger.forecast.observe``); read
    with two queries and a ``GROUP BY`` unless the ledger is loaded already."""
    from socialinvest.ledger.forecast import SUCCESS_STATUSES, observe, observe_from
    from socialinvest.store import ledger_sets as sets

    if ctx.loaded or ctx.db is None:
        return observe(ctx.ledger, as_of)
    db, pid, terms = ctx.db, ctx.row["id"], ctx.terms
    people = [
        (n, intake, None if withdrawn is None else dt.date.fromisoformat(withdrawn))
        for n, intake, withdrawn in sets.people(db, pid)
    ]
    first = sets.first_successes(db, pid, as_of, SUCCESS_STATUSES, terms.prep.success_metric)
    payments = [
        (int(p["period"]), int(p["amount"]))
        for p in store.rows_of(db, pid, "postings", store.postings.c.kind == "payment")
    ]
    return observe_from(terms, people, first, payments, as_of)


def participant_rows(ctx: Context) -> list[dict[str, Any]]:
    """Participant rows (short pseudonyms); refused for investors."""
    from socialinvest.ledger.status import participant_rows as rows

    return rows(ctx.ledger, ctx.actor)


def record_rows(ctx: Context, status: str | None = None) -> list[dict[str, Any]]:
    """Outcome records with evidence and history; refused for investors."""
    from socialinvest.ledger.status import may_see_rows

    if not may_see_rows(ctx.actor):
        raise LedgerError(
            "role",
            user=ctx.actor.user,
            role=ctx.actor.role,
            action="see outcome records",
            roles="payer, provider, evaluator or auditor",
        )
    return [
        {**r.audit_view(), "history_length": len(r.history)}
        for r in ctx.ledger.records.values()
        if status is None or r.status == status
    ]


def enrol_many(
    db: Session,
    partnership_id: int,
    user: User,
    rows: Sequence[tuple[str, dt.date, str]],
    role: str | None = None,
) -> list[int]:
    """Enrol several citizens (CPR number, enrolment date, cohort) in one transaction: all of
    them, or none if one is refused (the sentence names its row, never the number)."""

    def op(ctx: Context) -> list[int]:
        declared = dict.fromkeys(ctx.ledger.terms.eligibility, True)
        ids = []
        for i, (cpr, day, cohort) in enumerate(rows, start=1):
            try:
                ids.append(ctx.ledger.enrol(ctx.actor, cpr, day, cohort, declared).id)
            except LedgerError as error:
                if error.key in ROLE_KEYS or len(rows) == 1:
                    raise
                known = error.values.get("participant")
                if error.key == "duplicate" and isinstance(known, int) and known in ids:
                    # enrolled from an earlier row of this file, and rolled back with it: its
                    # participant number is given to somebody else later, so name the row
                    first = ids.index(known) + 1
                    raise InputError(
                        statement=msg("cc_e_enrol_same_citizen", row=i, first=first)
                    ) from None
                raise InputError(statement=msg("cc_e_enrol_row", row=i, error=error)) from None
        return ids

    return write(db, partnership_id, user, op, role=role, prefer=("payer", "provider"))


def read_enrolments(name: str, data: bytes) -> list[tuple[str, dt.date, str]]:
    """Rows of an enrolment file: CSV (comma or semicolon) with a header ``cpr, enrolled,
    cohort`` (the date as YYYY-MM-DD). A bad row is named by its line, never by its number."""
    import csv
    import io

    from socialinvest.ledger.errors import scrub

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(msg("cc_e_utf8_csv"), file=name, has_value=False) from None
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != ["cpr", "enrolled", "cohort"]:
        raise InputError(msg("cc_e_enrol_header"), file=name, line=1, has_value=False)
    for column, head in enumerate(header[3:], start=4):
        if head:  # a column nobody reads must not look as if it counted (e.g. eligibility)
            raise InputError(
                file=name,
                line=1,
                statement=msg("lr_enrol_extra_column", column=column, name=scrub(head)),
            )
    out = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        extra = next((i for i, c in enumerate(cells[3:], start=4) if c.strip()), None)
        if extra is not None:
            raise InputError(
                file=name, line=line, statement=msg("lr_enrol_extra_cell", column=extra)
            )
        if len(cells) < 3:
            raise InputError(msg("cc_e_enrol_columns"), file=name, line=line, has_value=False)
        try:
            day = dt.date.fromisoformat(cells[1].strip())
        except ValueError:
            raise InputError(
                msg("cc_e_date"),
                file=name,
                line=line,
                field="enrolled",
                value=scrub(cells[1]),
            ) from None
        out.append((cells[0].strip(), day, cells[2].strip()))
    return out


# ---------------------------------------------------------------------- renegotiation


def _terms_now(ctx: Context) -> Terms:
    """The terms in force for what is still to come (the latest dated amendment's prices and
    caps from the first settlement not approved yet), for the re-forecast."""
    if ctx.loaded or ctx.db is None:
        locked = [i for i, st in ctx.ledger.statements.items() if st.status == "approved"]
    else:  # the stored statements are the approved ones
        locked = store.statement_indexes(ctx.db, ctx.row["id"])
    terms = ctx.terms
    return terms.current(min(max(locked, default=0) + 1, terms.n_settlements))


def _positions(fc: Any) -> dict[str, Any]:
    """The figures the renegotiation view compares, from a re-forecast."""
    d = fc.to_dict()
    parties = {}
    for p in d["parties"]:
        entry: dict[str, Any] = {"role": p["role"], "total": p["total"]["mean"]}
        if p["role"] == "payer":
            entry["net"] = p["net"]["mean"]
            entry["prob_pays_more_than_saves"] = p["prob_pays_more_than_saves"]
        elif p["role"] == "investor":
            entry["irr"] = p["irr_distribution"]
            entry["prob_target"] = p["prob_target"]
            entry["prob_loss"] = p["prob_loss"]
        parties[p["name"]] = entry
    return {
        "outcome_payments": d["outcome_payments"]["forecast"],
        "success_rate": d["success_rate"]["updated"],
        "parties": parties,
    }


def renegotiate(
    db: Session,
    ctx: Context,
    *,
    price: float | None = None,
    contract_cap: float | None = None,
    intake: Sequence[int] | None = None,
    periods: int | None = None,
    draws: int = 1000,
    seed: int = 1,
) -> dict[str, Any]:
    """Every party's position before and after a change of terms (the first payment line's
    price, the contract cap, the intake per contract year, the number of periods), both
    re-forecast from the same observations and the payments made so far, from the terms in
    force (after any dated amendment). Nothing is written: an agreed change becomes a dated
    amendment (``service.amendments.amend``; docs/partnerships.md, "Amendments")."""
    import numpy as np
    import yaml

    from socialinvest.ledger.forecast import reforecast

    version = db.get(CaseVersion, ctx.row["version_id"])
    assert version is not None
    data = yaml.safe_load(version.text)
    c = data["contract"]
    agreed = json.loads(ctx.row["terms"])
    prices = dict(agreed["prices"])
    now = _terms_now(ctx)  # the terms in force, after any dated amendment
    for pay, in_force in zip(c["payments"], now.prices, strict=True):
        if pay.get("price") == "solve":
            prices[pay["name"]] = in_force
        else:
            pay["price"] = in_force
    for cap in ("person_cap", "contract_cap"):
        value = getattr(now.contract, cap)
        if value is None:
            c.pop(cap, None)
        else:
            c[cap] = value
    first = c["payments"][0]
    changes: dict[str, Any] = {}
    if price is not None:
        if price < 0:
            raise InputError(msg("cc_e_price"), field="price", value=price)
        changes["price"] = {
            "line": first["name"],
            "before": now.prices[0],
            "after": price,
        }
        if first.get("price") == "solve":
            prices[first["name"]] = price
        else:
            first["price"] = price
    if contract_cap is not None:
        if contract_cap <= 0:
            raise InputError(msg("cc_e_cap"), field="contract_cap", value=contract_cap)
        changes["contract_cap"] = {"before": c.get("contract_cap"), "after": contract_cap}
        c["contract_cap"] = contract_cap
    if intake is not None:
        if not intake or any(n < 0 for n in intake):
            raise InputError(msg("cc_e_intake"), field="intake", value=list(intake))
        changes["intake"] = {"before": list(now.planned_intake), "after": list(intake)}
        c["participants"] = {"cohorts": list(intake)}
    if periods is not None:
        as_of = current_period(ctx)
        if periods < max(1, as_of):
            raise InputError(msg("cc_e_periods_run", n=as_of), field="periods", value=periods)
        changes["periods"] = {"before": c["periods"], "after": periods}
        c["periods"] = periods
    if not changes:
        raise InputError(msg("cc_e_one_change"), has_value=False)
    new_terms = Terms.from_case(
        load_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "renegotiation"),
        prices=prices,
        eligibility=tuple(agreed["eligibility"]),
        settle_every=agreed["settle_every"],
    )
    as_of = current_period(ctx)
    observed, realised = observations(ctx, as_of)
    through = posted_through(ctx)
    before = reforecast(
        now,
        observed,
        realised,
        as_of=as_of,
        paid_through=through,
        draws=draws,
        seed=seed,
    )
    realised2 = np.zeros(new_terms.n_periods)
    k = min(len(realised), new_terms.n_periods)
    realised2[:k] = realised[:k]
    after = reforecast(
        new_terms,
        observed,
        realised2,
        as_of=min(as_of, new_terms.n_periods),
        paid_through=min(through, new_terms.n_periods),
        draws=draws,
        seed=seed,
    )
    return {
        "as_of_period": as_of,
        "draws": draws,
        "changes": changes,
        "before": _positions(before),
        "after": _positions(after),
    }


def statement_xlsx(view: dict[str, Any], partnership: str, lang: str = "da") -> bytes:
    """A settlement statement (``statement_view``) as an XLSX workbook: a sheet per payer with a
    line per pseudonym and payment line, each amount explained; totals only for investors."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    da = lang == "da"
    heads = (
        [
            "Pseudonym",
            "Betalingslinje",
            "Art",
            "Resultatperiode(r)",
            "Betalingsperiode(r)",
            "Poster",
            "Enheder",
            "Pris (kr.)",
            "Værdi før lofter (kr.)",
            "Personloft skar (kr.)",
            "Kontraktloft skar (kr.)",
            "Beløb (kr.)",
            "Forklaring",
        ]
        if da
        else [
            "Pseudonym",
            "Payment line",
            "Kind",
            "Outcome period(s)",
            "Payment period(s)",
            "Records",
            "Units",
            "Price (DKK)",
            "Value before caps (DKK)",
            "Person cap cut (DKK)",
            "Contract cap cut (DKK)",
            "Amount (DKK)",
            "Explanation",
        ]
    )
    wb = Workbook()
    first = True
    for payer, block in view["payers"].items():
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = payer[:31]
        title = "Afregning" if da else "Settlement"
        a, b = view["periods"]
        ws.append([f"{partnership}: {title} {view['index']} ({a}–{b}), {view['status']}"])
        ws["A1"].font = Font(bold=True)
        ws.append(["Total" if not da else "I alt", block["total"]])
        ws.append([])
        if "lines" not in block:
            ws.append(["Investorer ser kun totaler." if da else "Investors see totals only."])
            continue
        ws.append(heads)
        for cell in ws[4]:
            cell.font = Font(bold=True)
        for line in block["lines"]:
            ws.append(
                [
                    line["pseudonym"],
                    line["line"],
                    line["kind"],
                    ", ".join(str(x) for x in line["outcome_periods"]),
                    ", ".join(str(x) for x in line["payment_periods"]),
                    ", ".join(str(x) for x in line["records"]),
                    line["units"],
                    line["price"],
                    line["value"],
                    line["person_cap_cut"],
                    line["contract_cap_cut"],
                    line["amount_ore"] / 100,
                    line.get("explained", ""),
                ]
            )
        _cohort_rows(ws, view.get("cohorts", []), lang)
    if first:  # nothing to pay in this settlement: say so (not an empty sheet)
        ws = wb.active
        assert ws is not None
        a, b = view["periods"]
        title = "Afregning" if da else "Settlement"
        ws.append([f"{partnership}: {title} {view['index']} ({a}–{b}), {view['status']}"])
        ws["A1"].font = Font(bold=True)
        ws.append(["I alt" if da else "Total", 0.0])
        ws.append([])
        ws.append(
            ["Ingen betalinger i denne afregning." if da else "No payments in this settlement."]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cohort_rows(ws: Any, cohorts: list[dict[str, Any]], lang: str) -> None:
    """The threshold lines' cohort assessments under a payer's lines (all payers together):
    a row per cohort with its outcomes, baseline, threshold, improvement and amount."""
    if not cohorts:
        return
    from openpyxl.styles import Font

    from socialinvest.output.messages import text

    ws.append([])
    ws.append([text(lang, "th_heading")])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    keys = (
        "line", "cohort", "intake", "period", "payment", "size", "successes", "baseline",
        "threshold", "gain", "met", "value", "cap", "amount", "explained",
    )  # fmt: skip
    ws.append([text(lang, f"th_col_{k}") for k in keys])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for c in cohorts:
        ws.append(
            [
                c["name"],
                c["cohort"],
                c["intake_period"],
                c["period"],
                c["payment_period"],
                c["members"],
                c["successes"],
                c["baseline"],
                c["threshold"],
                c["gain"],
                text(lang, "th_yes" if c["met"] else "th_no"),
                round(c["value"], 2),
                round(c["contract_cap_cut"], 2),
                round(c["amount"], 2),
                c.get("explained", ""),
            ]
        )
