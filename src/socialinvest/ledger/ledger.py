"""A running partnership's ledger, in memory: every operation checks who may do it, changes the
records, and appends an audit record. A store (database) persists the same dataclasses and
replays nothing: it saves what an operation returns and the new audit records (docs/ledger.md).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialinvest.contract.finance import run_waterfall
from socialinvest.contract.partnership import capital_stack
from socialinvest.ledger import sampling
from socialinvest.ledger.audit import AuditChain, AuditRecord, ChainCheck, Head, verify_chain
from socialinvest.ledger.cpr import Keyring, short
from socialinvest.ledger.draft import ADJUSTMENT_THRESHOLD as ADJUSTMENT_THRESHOLD
from socialinvest.ledger.draft import build
from socialinvest.ledger.errors import HIDDEN, LedgerError, scrub
from socialinvest.ledger.postings import Journal, ore, waterfall_postings
from socialinvest.ledger.records import (
    Actor,
    Evidence,
    ImportRecord,
    OutcomeRecord,
    Participant,
    RecordEvent,
    RecordStatus,
    Role,
    Sample,
)
from socialinvest.ledger.sampling import RejectionRate
from socialinvest.ledger.settlement import Amounts, CohortAssessment, Units, compute_amounts
from socialinvest.ledger.statements import Statement, StatementLine
from socialinvest.ledger.terms import ONCE, Amendment, Terms

ACTIVE: tuple[RecordStatus, ...] = ("entered", "verified", "disputed")
MAX_MONEY = 1e13  # kr.: an amended price or cap, as a case's amounts (case/contract.py Money)
MAX_INTAKE = 10_000_000  # an amended planned intake per cohort, as a run's simulated persons


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Ledger:
    partnership: str  # the partnership's id (part of every pseudonym's HMAC input)
    terms: Terms
    keyring: Keyring
    demo: bool = False
    data_processors: frozenset[str] = frozenset()  # provider organisations enrolling for the payer
    participants: dict[int, Participant] = field(default_factory=dict)
    records: dict[int, OutcomeRecord] = field(default_factory=dict)
    samples: dict[int, Sample] = field(default_factory=dict)
    imports: dict[str, ImportRecord] = field(default_factory=dict)
    statements: dict[int, Statement] = field(default_factory=dict)
    delivery_costs: dict[int, float] = field(default_factory=dict)  # period → kr.
    journal: Journal = field(default_factory=Journal)
    posted_through: int = 0  # the waterfall is posted for periods 1 … this
    setoff: dict[str, int] = field(
        default_factory=dict
    )  # payer → clawback still to set off (øre ≤ 0)
    audit: AuditChain = field(default_factory=AuditChain)
    clock: Callable[[], dt.datetime] = now_utc
    # derived from ``records`` (not persisted): record ids by (participant, metric)
    _by_person: dict[tuple[int, str], list[int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_key: dict[tuple[int, str, int], list[int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _indexed: int = field(default=0, init=False, repr=False, compare=False)
    _by_pseudonym: dict[str, int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    # ------------------------------------------------------------------ helpers
    def _stamp(self, at: dt.datetime | None) -> str:
        return (at or self.clock()).astimezone(dt.UTC).isoformat(timespec="seconds")

    def _log(
        self, at: str, actor: Actor | str, action: str, entity: str, before: Any, after: Any
    ) -> AuditRecord:
        return self.audit.append(at, str(actor), action, entity, before, after)

    @staticmethod
    def _allow(actor: Actor, action: str, *roles: Role) -> None:
        if actor.role not in roles:
            raise LedgerError(
                "role", user=actor.user, role=actor.role, action=action, roles=" or ".join(roles)
            )

    def _pseudonyms(self) -> dict[str, int]:
        """Participant id by pseudonym (an index rebuilt when the participants change)."""
        if len(self._by_pseudonym) != len(self.participants):
            self._by_pseudonym = {p.pseudonym: p.id for p in self.participants.values()}
        return self._by_pseudonym

    def _participant(self, pid: int) -> Participant:
        if pid not in self.participants:
            raise LedgerError("no_participant", participant=pid)
        return self.participants[pid]

    def _record(self, rid: int) -> OutcomeRecord:
        if rid not in self.records:
            raise LedgerError("no_record", record=rid)
        return self.records[rid]

    def _may_enrol(self, actor: Actor, action: str) -> None:
        if actor.role == "provider" and actor.organisation in self.data_processors:
            return
        if actor.role != "payer":
            raise LedgerError("enrol_role", user=actor.user, action=action)

    def may_change_participants(self, actor: Actor, action: str) -> None:
        """Refuse, in the core's words, an ``actor`` who may not enrol participants or change
        them (``action``: "exit", "withdraw", "anonymise"): only the payer, or a provider that is
        its data processor. For callers that ask before anything is entered."""
        self._may_enrol(actor, action)

    def may_amend(self, actor: Actor) -> None:
        """Refuse, in the core's words, an ``actor`` who may not approve an amendment (only the
        payer may). For callers that ask before anything is entered."""
        self._allow(actor, "approve an amendment", "payer")

    @classmethod
    def create(
        cls,
        partnership: str,
        terms: Terms,
        keyring: Keyring,
        actor: Actor,
        *,
        demo: bool = False,
        data_processors: Iterable[str] = (),
        at: dt.datetime | None = None,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> Ledger:
        if actor.role != "payer":
            raise LedgerError(
                "role", user=actor.user, role=actor.role, action="create", roles="payer"
            )
        ledger = cls(partnership, terms, keyring, demo, frozenset(data_processors), clock=clock)
        ledger._log(
            ledger._stamp(at),
            actor,
            "create",
            f"partnership:{partnership}",
            None,
            {
                **terms.describe(),
                "demo": demo,
                "data_processors": sorted(ledger.data_processors),
                "key_id": keyring.current.id,
            },
        )
        return ledger

    # ------------------------------------------------------------------ participants
    def enrol(
        self,
        actor: Actor,
        cpr: str,
        enrolled: dt.date,
        cohort: str,
        eligibility: dict[str, bool],
        *,
        at: dt.datetime | None = None,
        where: str = "",
    ) -> Participant:
        """Enrol a citizen by CPR number; only its pseudonym is kept."""
        self._may_enrol(actor, "enrol")
        candidates = self.keyring.candidates(self.partnership, cpr, demo=self.demo, where=where)
        if HIDDEN in str(scrub(cohort)):  # columns swapped or shifted: never store that number
            raise LedgerError("cohort_like_cpr", where=f"{where}: " if where else "")
        known = self._pseudonyms()
        for pseudonym in candidates:
            if pseudonym in known:
                raise LedgerError(
                    "duplicate", where=f"{where}: " if where else "", participant=known[pseudonym]
                )
        period = self.terms.period_of(enrolled)
        if not 1 <= period <= self.terms.n_periods:
            raise LedgerError(
                "enrol_date",
                date=enrolled.isoformat(),
                first=self.terms.dates[0].isoformat(),
                n=self.terms.n_periods,
            )
        criteria = set(self.terms.eligibility)
        if set(eligibility) != criteria:
            missing = sorted(criteria - set(eligibility)) or sorted(set(eligibility) - criteria)
            raise LedgerError(
                "eligibility_keys",
                criterion=missing[0],
                expected=", ".join(self.terms.eligibility) or "none",
            )
        unmet = [k for k in self.terms.eligibility if not eligibility[k]]
        if unmet:
            raise LedgerError("not_eligible", criterion=unmet[0])
        if not cohort.strip():
            raise LedgerError("cohort_empty")
        pid = len(self.participants) + 1  # never deleted: ids are 1 … n
        p = Participant(
            id=pid,
            pseudonym=self.keyring.pseudonym(self.partnership, cpr, demo=self.demo),
            enrolled=enrolled,
            intake_period=period,
            cohort=cohort.strip(),
            eligibility=dict(eligibility),
            enrolled_by=actor.user,
        )
        self.participants[pid] = p
        self._by_pseudonym[p.pseudonym] = pid
        self._log(self._stamp(at), actor, "enrol", f"participant:{pid}", None, p.audit_view())
        return p

    def find(self, cpr: str, *, where: str = "") -> Participant | None:
        """The participant enrolled with this CPR number, if any (by its pseudonyms)."""
        candidates = self.keyring.candidates(self.partnership, cpr, demo=self.demo, where=where)
        known = self._pseudonyms()
        pid = next((known[c] for c in candidates if c in known), None)
        return None if pid is None else self.participants[pid]

    def exit(
        self, actor: Actor, pid: int, day: dt.date, reason: str, *, at: dt.datetime | None = None
    ) -> Participant:
        self._may_enrol(actor, "exit")
        if HIDDEN in str(scrub(reason)):  # free text is stored and shown: never a CPR number
            raise LedgerError("reason_like_cpr")
        p = self._participant(pid)
        if p.status != "active":
            raise LedgerError("not_active", participant=pid, status=p.status)
        self._within_the_contract(p, day)
        before = p.audit_view()
        p.status, p.exit_date, p.exit_reason = "exited", day, reason
        self._log(self._stamp(at), actor, "exit", f"participant:{pid}", before, p.audit_view())
        return p

    def _within_the_contract(self, p: Participant, day: dt.date) -> None:
        """An exit or withdrawal is dated on or after the enrolment and before the contract's
        end (a date far in the future would silently stop every later outcome)."""
        if day < p.enrolled:
            raise LedgerError("exit_before_enrol", participant=p.id, date=day.isoformat())
        if day >= self.terms.end:
            raise LedgerError(
                "date_after_contract",
                participant=p.id,
                date=day.isoformat(),
                end=(self.terms.end - dt.timedelta(days=1)).isoformat(),
            )

    def withdraw(
        self, actor: Actor, pid: int, day: dt.date, *, at: dt.datetime | None = None
    ) -> Participant:
        """The citizen withdraws: no outcome after ``day`` may be recorded; earlier ones stay."""
        self._may_enrol(actor, "withdraw")
        p = self._participant(pid)
        if p.status == "withdrawn":
            raise LedgerError("not_active", participant=pid, status=p.status)
        self._within_the_contract(p, day)
        before = p.audit_view()
        p.status, p.withdrawn = "withdrawn", day
        self._log(self._stamp(at), actor, "withdraw", f"participant:{pid}", before, p.audit_view())
        return p

    def anonymise(
        self, actor: Actor, pid: int, day: dt.date, *, at: dt.datetime | None = None
    ) -> Participant:
        """Replace the pseudonym by a random value nothing links to the person; every record,
        statement, posting and audit record stays (they name the participant by id only)."""
        self._may_enrol(actor, "anonymise")
        p = self._participant(pid)
        if p.anonymised is not None:
            raise LedgerError("already_anonymised", participant=pid)
        before = p.audit_view()
        self._by_pseudonym.pop(p.pseudonym, None)
        p.pseudonym = "anon:" + os.urandom(32).hex()
        self._by_pseudonym[p.pseudonym] = pid
        p.anonymised = day
        self._log(self._stamp(at), actor, "anonymise", f"participant:{pid}", before, p.audit_view())
        return p

    def rekey(self, actor: Actor, mapping: dict[str, str], *, at: dt.datetime | None = None) -> int:
        """Apply a rotation mapping (old pseudonym → new, from ``Keyring.rekey_mapping``);
        returns how many participants were re-keyed."""
        self._may_enrol(actor, "rekey")
        changed = 0
        for p in self.participants.values():
            if p.pseudonym in mapping:
                p.pseudonym = mapping[p.pseudonym]
                changed += 1
        self._by_pseudonym = {p.pseudonym: p.id for p in self.participants.values()}
        self._log(
            self._stamp(at),
            actor,
            "rekey",
            f"partnership:{self.partnership}",
            None,
            {"key_id": self.keyring.current.id, "participants": changed},
        )
        return changed

    # ------------------------------------------------------------------ outcome records
    def _reindex(self) -> None:
        """The indexes of records by participant and metric, and by key (rebuilt when the
        records were loaded or changed from outside)."""
        if self._indexed != len(self.records):
            self._by_person.clear()
            self._by_key.clear()
            for r in self.records.values():
                self._by_person.setdefault((r.participant, r.metric), []).append(r.id)
                self._by_key.setdefault(r.key, []).append(r.id)
            self._indexed = len(self.records)

    def _of(self, participant: int, metric: str) -> list[OutcomeRecord]:
        """The participant's records of a metric."""
        self._reindex()
        return [self.records[i] for i in self._by_person.get((participant, metric), [])]

    def _at(self, key: tuple[int, str, int]) -> list[OutcomeRecord]:
        """The records of one participant, metric and period."""
        self._reindex()
        return [self.records[i] for i in self._by_key.get(key, [])]

    def _current(self, key: tuple[int, str, int]) -> OutcomeRecord | None:
        return next((r for r in self._at(key) if r.status in ACTIVE), None)

    def check_outcome(
        self,
        participant: int,
        metric: str,
        period: int,
        value: float,
        source: str,
        reference: str,
        *,
        as_of: int | None = None,
    ) -> tuple[str, OutcomeRecord | None]:
        """Check one outcome without changing anything: ("new", None), ("unchanged", record)
        or ("conflict", the record it contradicts); a LedgerError says what is wrong."""
        p = self._participant(participant)
        if metric not in self.terms.contract.metrics:
            raise LedgerError(
                "no_metric", metric=metric, metrics=", ".join(self.terms.contract.metrics)
            )
        m = self.terms.metric(metric)
        if not isinstance(period, int) or not 1 <= period <= self.terms.n_periods:
            raise LedgerError("period", period=period, n=self.terms.n_periods)
        if as_of is not None and period > as_of:
            raise LedgerError("period_future", period=period, now=as_of)
        relative = period - p.intake_period + 1
        if relative < 1:
            raise LedgerError(
                "before_intake", period=period, participant=participant, intake=p.intake_period
            )
        if m.window is not None and not m.window.first <= relative <= m.window.last:
            raise LedgerError(
                "window", period=period, metric=metric, first=m.window.first, last=m.window.last
            )
        if m.kind == "state_at" and relative != m.at:
            raise LedgerError(
                "state_at",
                period=period,
                metric=metric,
                at=m.at,
                expected=p.intake_period + (m.at or 1) - 1,
            )
        if p.withdrawn is not None and period > self.terms.period_of(p.withdrawn):
            raise LedgerError("withdrawn", participant=participant, date=p.withdrawn.isoformat())
        if not isinstance(value, int | float) or not np.isfinite(value):
            raise LedgerError("value_number", value=value)
        if m.kind == "time_in" and not 0 <= value <= m.units_per_period:
            raise LedgerError(
                "value_units", value=f"{value:g}", metric=metric, most=f"{m.units_per_period:g}"
            )
        if m.kind in ONCE and value != 1:
            raise LedgerError("value_once", value=f"{value:g}", metric=metric)
        if m.kind == "entries" and (value < 0 or value != int(value)):
            raise LedgerError("value_count", value=f"{value:g}", metric=metric)
        if not source.strip() or not reference.strip():
            raise LedgerError("evidence")
        if HIDDEN in str(scrub(source)) or HIDDEN in str(scrub(reference)):
            raise LedgerError("evidence_like_cpr")  # stored and shown as it is: never a number
        if m.kind in ONCE:
            other = next(
                (
                    r
                    for r in self._of(participant, metric)
                    if r.period != period and r.status in (*ACTIVE, "conflict")
                ),
                None,
            )
            if other is not None:
                raise LedgerError(
                    "once", participant=participant, metric=metric, period=other.period
                )
        current = self._current((participant, metric, period))
        if current is None:
            return ("new", None)
        if current.value == value:
            return ("unchanged", current)
        open_conflict = next(
            (
                r
                for r in self.records.values()
                if r.conflicts_with == current.id and r.status == "conflict" and r.value == value
            ),
            None,
        )
        if open_conflict is not None:
            return ("unchanged", open_conflict)
        return ("conflict", current)

    def enter_outcome(
        self,
        actor: Actor,
        participant: int,
        metric: str,
        period: int,
        value: float,
        source: str,
        reference: str,
        *,
        at: dt.datetime | None = None,
        as_of: int | None = None,
        import_id: str | None = None,
        log: bool = True,
        checked: tuple[str, OutcomeRecord | None] | None = None,
        stamp: str | None = None,
    ) -> tuple[str, OutcomeRecord]:
        """Record an outcome: ("new", record), ("unchanged", the existing record) or
        ("conflict", a new record flagged for the evaluator; the earlier value is kept).
        ``log=False``, ``checked`` (the result of ``check_outcome`` just before, with nothing
        changed in between) and ``stamp`` (one time for all rows) only for an import, which
        writes one audit record for all its rows."""
        self._allow(actor, "enter outcomes", "provider", "payer")
        kind, existing = checked or self.check_outcome(
            participant, metric, period, value, source, reference, as_of=as_of
        )
        if kind == "unchanged":
            assert existing is not None
            return (kind, existing)
        stamp = stamp or self._stamp(at)
        rid = len(self.records) + 1  # never deleted: ids are 1 … n
        status: RecordStatus = "conflict" if kind == "conflict" else "entered"
        r = OutcomeRecord(
            id=rid,
            participant=participant,
            metric=metric,
            period=period,
            value=float(value),
            evidence=Evidence(source.strip(), reference.strip(), actor.user),
            status=status,
            conflicts_with=existing.id if existing is not None else None,
            import_id=import_id,
            history=[RecordEvent(stamp, str(actor), "entered", status)],
        )
        self._reindex()  # bring the indexes up to date first
        self.records[rid] = r
        self._by_person.setdefault((participant, metric), []).append(rid)
        self._by_key.setdefault(r.key, []).append(rid)
        self._indexed += 1
        if log:
            self._log(stamp, actor, "enter_outcome", f"record:{rid}", None, r.audit_view())
        return (kind, r)

    def _decide(
        self,
        actor: Actor,
        rid: int,
        action: str,
        to: RecordStatus,
        reason: str | None,
        at: dt.datetime | None,
        allowed: tuple[str, ...],
    ) -> OutcomeRecord:
        r = self._record(rid)
        if r.status not in allowed:
            raise LedgerError("record_status", record=rid, status=r.status, action=action)
        stamp = self._stamp(at)
        before = r.audit_view()
        r.status = to
        r.history.append(RecordEvent(stamp, str(actor), action, to, reason))
        self._log(stamp, actor, action, f"record:{rid}", before, r.audit_view())
        if to == "verified" and r.conflicts_with is not None:
            old = self.records[r.conflicts_with]
            if old.status in ACTIVE:
                ob = old.audit_view()
                old.status = "superseded"
                old.history.append(
                    RecordEvent(stamp, str(actor), "superseded", "superseded", f"record {rid}")
                )
                self._log(stamp, actor, "supersede", f"record:{old.id}", ob, old.audit_view())
        return r

    def _evaluator(self, actor: Actor, rid: int, action: str) -> None:
        self._allow(actor, action, "evaluator")
        if self._record(rid).evidence.entered_by == actor.user:
            raise LedgerError("own_record", user=actor.user, record=rid)

    def verify(
        self, actor: Actor, rid: int, *, reason: str | None = None, at: dt.datetime | None = None
    ) -> OutcomeRecord:
        self._evaluator(actor, rid, "verify")
        return self._decide(
            actor, rid, "verified", "verified", reason, at, ("entered", "disputed", "conflict")
        )

    def reject(
        self, actor: Actor, rid: int, reason: str, *, at: dt.datetime | None = None
    ) -> OutcomeRecord:
        self._evaluator(actor, rid, "reject")
        if not reason.strip():
            raise LedgerError("reason")
        if HIDDEN in str(scrub(reason)):  # free text is stored and shown: never a CPR number
            raise LedgerError("reason_like_cpr")
        return self._decide(
            actor, rid, "rejected", "rejected", reason, at, ("entered", "disputed", "conflict")
        )

    def dispute(
        self, actor: Actor, rid: int, reason: str, *, at: dt.datetime | None = None
    ) -> OutcomeRecord:
        """A payer or the evaluator disputes a record: it is not paid until the evaluator
        verifies or rejects it again; its history keeps every step."""
        self._allow(actor, "dispute", "payer", "evaluator")
        if not reason.strip():
            raise LedgerError("reason")
        if HIDDEN in str(scrub(reason)):  # free text is stored and shown: never a CPR number
            raise LedgerError("reason_like_cpr")
        return self._decide(actor, rid, "disputed", "disputed", reason, at, ("entered", "verified"))

    # ------------------------------------------------------------------ samples
    def _in_a_sample(self) -> set[int]:
        return {rid for s in self.samples.values() for rid in s.population}

    def draw_sample(
        self,
        actor: Actor,
        size: int,
        seed: int,
        *,
        through_period: int | None = None,
        at: dt.datetime | None = None,
        awaiting: Iterable[int] | None = None,
    ) -> Sample:
        """Draw ``size`` of the records awaiting verification (outcome periods up to
        ``through_period``) that belong to no earlier sample. ``awaiting``: the ids of the
        records entered (not yet decided) of those periods, from a store that does not load
        its records; the sample's population is those in no earlier sample."""
        self._allow(actor, "draw a sample", "evaluator")
        taken = self._in_a_sample()
        if awaiting is None:
            awaiting = (
                r.id
                for r in self.records.values()
                if r.status == "entered" and (through_period is None or r.period <= through_period)
            )
        population = sorted(rid for rid in awaiting if rid not in taken)
        if size < 1 or not population:
            raise LedgerError("sample_empty", size=size, available=len(population))
        sid = len(self.samples) + 1
        stamp = self._stamp(at)
        s = Sample(
            sid,
            tuple(population),
            tuple(sampling.draw(population, size, seed)),
            seed,
            str(actor),
            stamp,
        )
        self.samples[sid] = s
        self._log(
            stamp,
            actor,
            "draw_sample",
            f"sample:{sid}",
            None,
            {"population": list(s.population), "sampled": list(s.sampled), "seed": seed},
        )
        return s

    def sample_rate(self, sid: int, confidence: float = 0.95) -> RejectionRate | None:
        """The sample's rejection rate once every sampled record is verified or rejected
        (a sampled record that was verified, then disputed, waits again)."""
        s = self.samples[sid]
        statuses = [self.records[rid].status for rid in s.sampled]
        decided = [x for x in statuses if x in ("verified", "rejected", "superseded")]
        if len(decided) < len(statuses):
            return None
        rejected = sum(1 for x in statuses if x == "rejected")
        return sampling.rejection_rate(rejected, len(statuses), confidence)

    # ------------------------------------------------------------------ settlement
    def units(self, through_period: int | None = None) -> dict[tuple[int, int, int], Units]:
        """Paid units by (participant, line, outcome period): verified records in full, records
        not sampled from a decided sample at its acceptance rate (the statement's own figures)."""
        a, paid_records, accepted = self._unit_arrays(through_period or self.terms.n_periods)
        row = {pid: i for i, pid in enumerate(a.people)}
        out: dict[tuple[int, int, int], Units] = {}
        for (pid, line), recs in sorted(paid_records.items()):
            by_period: dict[int, list[int]] = defaultdict(list)
            for rid, period in recs:
                by_period[period].append(rid)
            for period, rids in sorted(by_period.items()):
                n, t = row[pid], period - 1
                acc = next((accepted[r][1].acceptance for r in rids if r in accepted), 1.0)
                sampled = float(a.sampled[n, line, t])
                out[(pid, line, period)] = Units(
                    float(a.units[n, line, t]) - sampled * acc, sampled, acc, tuple(rids)
                )
        return out

    def _sample_accepted(self) -> dict[int, tuple[int, RejectionRate]]:
        """Record id → (sample id, its decided rate) for the records a decided sample accepts:
        in its population, not sampled, still awaiting verification."""
        out: dict[int, tuple[int, RejectionRate]] = {}
        records = self.records
        for sid, s in self.samples.items():
            rate = self.sample_rate(sid)
            if rate is None:
                continue
            value = (sid, rate)
            for rid in set(s.population).difference(s.sampled):
                if records[rid].status == "entered":
                    out[rid] = value
        return out

    def _unit_arrays(
        self, through_period: int
    ) -> tuple[
        Amounts, dict[tuple[int, int], list[tuple[int, int]]], dict[int, tuple[int, RejectionRate]]
    ]:
        """The priced units of every participant (rows in id order), the paid records of each
        (participant, line) as (record id, outcome period), and the sample-accepted records."""
        accepted = self._sample_accepted()
        people = tuple(sorted(self.participants))
        row = {pid: i for i, pid in enumerate(people)}
        shape = (len(people), len(self.terms.prices), self.terms.n_periods)
        units, sampled = np.zeros(shape), np.zeros(shape)
        lines_of: dict[str, list[int]] = defaultdict(list)
        for i, pay in enumerate(self.terms.contract.payments):
            if pay.metric:
                lines_of[pay.metric].append(i)
        paid_records: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        by_sample = {sid: rate.acceptance for sid, rate in set(accepted.values())}
        factor = {rid: by_sample[sid] for rid, (sid, _) in accepted.items()}
        cells: list[tuple[int, int, int]] = []
        paid_units: list[float] = []
        sampled_units: list[float] = []
        for r in self.records.values():
            if r.period > through_period:
                continue
            if r.status == "verified":
                u, s = r.value, 0.0
            elif r.id in factor:
                s = r.value
                u = s * factor[r.id]
            else:
                continue
            n = row[r.participant]
            for line in lines_of.get(r.metric, ()):
                cells.append((n, line, r.period - 1))
                paid_units.append(u)
                sampled_units.append(s)
                paid_records[(r.participant, line)].append((r.id, r.period))
        if cells:
            index = tuple(np.array(cells, dtype=np.int64).T)
            np.add.at(units, index, np.array(paid_units))
            np.add.at(sampled, index, np.array(sampled_units))
        intake = np.array([self.participants[p].intake_period for p in people], dtype=np.int64)
        a = compute_amounts(self.terms, people, units, sampled, intake)
        return a, paid_records, accepted

    def statement(self, index: int) -> Statement:
        """The draft statement of settlement period ``index`` (every earlier one approved)."""
        if index in self.statements and self.statements[index].status == "approved":
            return self.statements[index]
        first, last = self.span_in_order(index)
        a, paid_records, accepted = self._unit_arrays(through_period=last)
        pp_of = a.payment_period.tolist()  # by outcome period (0-based)
        in_span = {
            key: tuple(rid for rid, period in recs if first <= pp_of[period - 1] <= last)
            for key, recs in paid_records.items()
        }
        st = build(self, index, a, in_span, accepted, self._records_paid_in, paid_records)
        self.statements[index] = st
        return st

    def span_in_order(self, index: int) -> tuple[int, int]:
        """The periods of settlement ``index``, if every earlier one is approved."""
        span = self.terms.settlement_span(index)
        for j in range(1, index):
            if self.statements.get(j) is None or self.statements[j].status != "approved":
                raise LedgerError("settle_in_order", index=index, earlier=j)
        return span

    @staticmethod
    def _cohort_members(
        a: Amounts,
        assessed: list[CohortAssessment],
        paid_records: Mapping[tuple[int, int], list[tuple[int, int]]],
    ) -> list[tuple[CohortAssessment, int, int, float, tuple[int, ...]]]:
        """Each assessed cohort's members with a line on the statement: (assessment, participant
        id, row, the units it counts in S, the records counted). A member is shown when it has
        units counted or a share of the amount."""
        row = {pid: i for i, pid in enumerate(a.people)}
        out: list[tuple[CohortAssessment, int, int, float, tuple[int, ...]]] = []
        for x in assessed:
            for pid in x.members:
                n = row[pid]
                counted = float(a.units[n, x.line, : x.period].sum())
                if counted <= 0 and a.amount[n, x.line, x.period - 1] == 0:
                    continue
                records = tuple(
                    rid for rid, period in paid_records.get((pid, x.line), []) if period <= x.period
                )
                out.append((x, pid, n, counted, records))
        return out

    def _records_paid_in(self, pid: int, line: int, payment_period: int) -> tuple[int, ...]:
        """Every record (whatever its status now) of a participant and payment line whose
        payment falls in ``payment_period``: what an adjustment corrects."""
        metric = self.terms.contract.payments[line].metric
        lag, n = self.terms.contract.lag_periods, self.terms.n_periods
        return tuple(
            r.id for r in self._of(pid, metric or "") if min(r.period + lag, n) == payment_period
        )

    def _line(
        self,
        payer: str,
        share: float,
        pid: int,
        line: str,
        kind: str,
        accepted: Mapping[int, tuple[int, RejectionRate]],
        *,
        outcome_periods: tuple[int, ...],
        payment_periods: tuple[int, ...],
        records: tuple[int, ...],
        units: float,
        price: float,
        value: float,
        person_cut: float,
        contract_cut: float,
        amount: float,
        sampled: float,
        terms_version: int = 0,
        cohort: dict[str, Any] | None = None,
    ) -> StatementLine:
        p = self.participants[pid]
        sample = None
        if sampled > 0:
            for rid in records:
                if rid in accepted:
                    sid, rate = accepted[rid]
                    sample = {"sample": sid, **rate.to_dict()}
                    break
        return StatementLine(
            payer=payer,
            participant=pid,
            pseudonym="anonymised" if p.anonymised else short(p.pseudonym),
            line=line,
            kind=kind,
            outcome_periods=outcome_periods,
            payment_periods=payment_periods,
            records=tuple(sorted(records)),
            units=units,
            price=price,
            value=share * value,
            person_cap_cut=share * person_cut,
            contract_cap_cut=share * contract_cut,
            sample=sample,
            amount=share * amount,
            amount_ore=ore(share * amount),
            terms_version=terms_version,
            cohort=cohort,
        )

    def approve(
        self,
        actor: Actor,
        index: int,
        *,
        at: dt.datetime | None = None,
        draft: Callable[[int], Statement] | None = None,
    ) -> Statement:
        """The payer approves a settlement: it is locked, its payments are posted, and the
        waterfall (drawdowns, delivery funding, at maturity the distributions) is posted up to
        the end of its period. Later corrections become adjustment lines of the next one.
        ``draft``: drafts the statement in place of :meth:`statement` (a store that does not
        load its records: ``draft.statement_from_arrays``)."""
        self._allow(actor, "approve a settlement", "payer")
        if index in self.statements and self.statements[index].status == "approved":
            raise LedgerError("already_approved", index=index)
        st = self.statement(index) if draft is None else draft(index)
        self.statements[index] = st
        stamp = self._stamp(at)
        st.status, st.approved_by, st.approved_at = "approved", str(actor), stamp
        self._post_settlement(st)
        self._post_waterfall(st.last_period)
        self._log(
            stamp,
            actor,
            "approve_settlement",
            f"settlement:{index}",
            None,
            {
                "periods": [st.first_period, st.last_period],
                "totals": {payer: st.total_ore(payer) for payer in self.terms.payers},
                "lines": len(st.lines),
            },
        )
        st.audit_head = self.audit.head
        return st

    # ------------------------------------------------------------------ amendments
    def amend(
        self,
        actor: Actor,
        effective: int,
        *,
        reference: str,
        agreed_by: Iterable[str],
        prices: dict[str, float] | None = None,
        person_cap: float | None = None,
        contract_cap: float | None = None,
        planned_intake: Iterable[int] | None = None,
        at: dt.datetime | None = None,
    ) -> Amendment:
        """The payer approves a dated amendment of the terms, agreed and signed by the parties
        (``agreed_by``: the organisations whose agreement it records; ``reference``: the signed
        document). It prices settlement period ``effective`` and every later one; approved
        (locked) statements are never re-priced, so ``effective`` must be after the last
        approved one. ``None``: that term is unchanged. The duration is not amendable here (the
        ledger's calendar, lag to maturity and waterfall are pinned to the contract's)."""
        self.may_amend(actor)
        n = self.terms.n_settlements
        if not isinstance(effective, int) or not 1 <= effective <= n:
            raise LedgerError("amend_effective", value=effective, n=n)
        locked = max((i for i, st in self.statements.items() if st.status == "approved"), default=0)
        if effective <= locked:
            raise LedgerError("amend_locked", value=effective, locked=locked)
        latest = self.terms.amendments[-1].effective if self.terms.amendments else 1
        if self.terms.amendments and effective < latest:
            raise LedgerError("amend_order", value=effective, latest=latest)
        reference = reference.strip()
        if not reference or len(reference) > 300:
            raise LedgerError("amend_reference")
        if HIDDEN in str(scrub(reference)):
            raise LedgerError("amend_reference_cpr")
        agreed = tuple(sorted({a.strip() for a in agreed_by if a.strip()}))
        if not agreed:
            raise LedgerError("amend_agreed_by")
        base = self.terms.in_force(effective)
        names = [pay.name for pay in self.terms.contract.payments]
        new_prices = list(base.prices)
        for name, price in (prices or {}).items():
            if name not in names:
                raise LedgerError("amend_line", line=name, lines=", ".join(names))
            if (
                not isinstance(price, int | float)
                or not np.isfinite(price)
                or not 0 <= price <= MAX_MONEY
            ):
                raise LedgerError("amend_price", line=name, value=price)
            new_prices[names.index(name)] = float(price)
        caps = {"person_cap": base.person_cap, "contract_cap": base.contract_cap}
        for field_name, cap in (("person_cap", person_cap), ("contract_cap", contract_cap)):
            if cap is None:
                continue
            if not isinstance(cap, int | float) or not np.isfinite(cap) or not 0 < cap <= MAX_MONEY:
                raise LedgerError("amend_cap", field=field_name, value=cap)
            caps[field_name] = float(cap)
        intake = base.planned_intake
        if planned_intake is not None:
            given = tuple(planned_intake)
            if len(given) != len(base.planned_intake) or any(
                not isinstance(x, int) or not 0 <= x <= MAX_INTAKE for x in given
            ):
                raise LedgerError(
                    "amend_intake",
                    value=",".join(str(x) for x in given),
                    n=len(base.planned_intake),
                )
            intake = tuple(int(x) for x in given)
        if (
            tuple(new_prices) == base.prices
            and caps["person_cap"] == base.person_cap
            and caps["contract_cap"] == base.contract_cap
            and intake == base.planned_intake
        ):
            raise LedgerError("amend_nothing", version=base.number, effective=effective)
        stamp = self._stamp(at)
        amendment = Amendment(
            number=len(self.terms.amendments) + 1,
            effective=effective,
            prices=tuple(new_prices),
            person_cap=caps["person_cap"],
            contract_cap=caps["contract_cap"],
            planned_intake=intake,
            reference=reference,
            agreed_by=agreed,
            approved_by=str(actor),
            approved_at=stamp,
        )
        before = {
            "version": base.number,
            "prices": list(base.prices),
            "person_cap": base.person_cap,
            "contract_cap": base.contract_cap,
            "planned_intake": list(base.planned_intake),
        }
        self.terms = self.terms.with_amendments((*self.terms.amendments, amendment))
        for index in [i for i, st in self.statements.items() if st.status != "approved"]:
            del self.statements[index]  # a draft is recomputed on the new terms
        self._log(
            stamp, actor, "amend", f"amendment:{amendment.number}", before, amendment.to_dict()
        )
        return amendment

    def record_delivery_costs(
        self, actor: Actor, period: int, amount: float, *, at: dt.datetime | None = None
    ) -> None:
        """The provider's delivery costs of a period, funded by the vehicle through the
        waterfall when the settlement covering the period is approved."""
        self._allow(actor, "record delivery costs", "provider")
        if not 1 <= period <= self.terms.n_periods:
            raise LedgerError("period", period=period, n=self.terms.n_periods)
        if period <= self.posted_through:
            raise LedgerError("costs_locked", period=period)
        if not np.isfinite(amount) or amount < 0:
            raise LedgerError("cost_amount", value=amount)
        before = self.delivery_costs.get(period)
        self.delivery_costs[period] = float(amount)
        self._log(
            self._stamp(at), actor, "delivery_costs", f"costs:{period}", before, float(amount)
        )

    # ------------------------------------------------------------------ money
    def _post_settlement(self, st: Statement) -> None:
        fee = self.terms.contract.provider.performance_share
        providers = [p.name for p in self.terms.contract.parties if p.role == "provider"]
        by_payer = {
            payer: sum(x.amount_ore for x in st.lines if x.payer == payer)
            for payer in self.terms.payers
        }
        for payer, due in by_payer.items():
            # a net clawback is set off against the payer's next payments (the vehicle may have
            # spent the money on delivery already); what is still owed at maturity is reported
            amount = due + self.setoff.get(payer, 0)
            self.setoff[payer] = min(amount, 0)
            st.setoff[payer] = self.setoff[payer]
            if amount <= 0:
                continue
            self.journal.post(
                st.last_period,
                "payment",
                f"payer:{payer}",
                "vehicle",
                amount,
                f"settlement {st.index}",
            )
            if fee > 0 and providers:
                self.journal.post(
                    st.last_period,
                    "performance",
                    "vehicle",
                    f"provider:{providers[0]}",
                    ore(fee * amount / 100),
                    f"settlement {st.index}",
                )

    def _waterfall_inputs(self, through: int) -> tuple[np.ndarray, np.ndarray]:
        n = self.terms.n_periods
        pay = np.zeros(n)
        for p in self.journal.postings:
            if p.kind == "payment" and p.period <= through:
                pay[p.period - 1] += p.amount / 100
            if p.kind == "performance" and p.period <= through:
                pay[p.period - 1] -= p.amount / 100
        costs = np.array(
            [self.delivery_costs.get(t + 1, 0.0) if t < through else 0.0 for t in range(n)]
        )
        return costs, pay

    def _post_waterfall(self, through: int) -> None:
        costs, pay = self._waterfall_inputs(through)
        stack = capital_stack(self.terms.prep)
        wf = run_waterfall(stack, costs, pay[None, :])
        fin = self.terms.contract.finance
        investors = {t.name: t.investor for t in fin.tranches}
        providers = [p.name for p in self.terms.contract.parties if p.role == "provider"]
        surplus_to = (
            {f"provider:{providers[0]}": 1.0}
            if fin.surplus_to == "provider"
            else {f"payer:{name}": share for name, share in self.terms.payers.items()}
        )
        guarantor = fin.guarantee.guarantor if fin.guarantee is not None else None
        waterfall_postings(
            self.journal,
            stack,
            wf,
            investors,
            providers,
            guarantor,
            surplus_to,
            through,
            self.posted_through,
        )
        self.posted_through = through

    # ------------------------------------------------------------------ audit
    def verify_audit(self, expected: Head | None = None) -> ChainCheck:
        return verify_chain(self.audit.records, expected)
