"""Drafting a settlement statement from priced units: the one implementation, used by the core
(``Ledger.statement``, from its records in memory) and by a store (``service.partnerships``, from
sums read with SQL): the lines of every participant and payment line paid in the period, the
adjustment lines correcting earlier approved statements, each explained."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from socialinvest.ledger.sampling import RejectionRate
from socialinvest.ledger.settlement import Amounts, CohortAssessment, compute_amounts
from socialinvest.ledger.statements import Statement, StatementLine

if TYPE_CHECKING:  # the ledger calls build(); build() only reads the ledger it is given
    from socialinvest.ledger.ledger import Ledger

ADJUSTMENT_THRESHOLD = 0.005  # kr.: smaller differences are rounding, not corrections


def build(
    ledger: Ledger,
    index: int,
    a: Amounts,
    in_span_records: Mapping[tuple[int, int], tuple[int, ...]],
    accepted: Mapping[int, tuple[int, RejectionRate]],
    records_paid_in: Callable[[int, int, int], tuple[int, ...]],
    paid_records: Mapping[tuple[int, int], list[tuple[int, int]]],
    *,
    keyed: bool = True,
) -> Statement:
    """Statement ``index`` from ``a`` (every participant's priced units from period 1 to the
    statement's last), ``in_span_records`` (participant, line → the paid records whose payment
    falls in the statement's periods, by id), ``accepted`` (record → its sample and rate, for the
    records paid through a sample) and ``records_paid_in`` (participant, line, payment period →
    every record whose payment falls then: what an adjustment corrects) and ``paid_records``
    ((participant, line) → every paid record as (id, outcome period), in id order: what a
    threshold line's cohort members count). The earlier approved
    statements and the participants' pseudonyms are the ledger's. ``keyed=False``: leave out
    the amounts by participant, line and payment period (what a later statement's adjustments
    compare with; an approval needs them, a draft that is only shown does not)."""
    first, last = ledger.terms.settlement_span(index)
    row = {pid: i for i, pid in enumerate(a.people)}
    by_pp = a.by_payment_period(a.amount)  # [N, L, T] by payment period
    approved = np.zeros_like(by_pp)
    for j in range(1, index):
        for (pid, line, pp), earlier in ledger.statements[j].keyed.items():
            approved[row[pid], line, pp - 1] += earlier
    amounts: dict[tuple[int, int, int], float] = {}
    in_span_pp = by_pp[:, :, first - 1 : last]
    cells = np.nonzero(in_span_pp) if keyed else (np.zeros(0, dtype=np.int64),) * 3
    people = np.array(a.people, dtype=np.int64)
    amounts.update(
        zip(
            zip(
                people[cells[0]].tolist(),
                cells[1].tolist(),
                (cells[2] + first).tolist(),
                strict=True,
            ),
            in_span_pp[cells].tolist(),
            strict=True,
        )
    )
    diff = by_pp[:, :, : first - 1] - approved[:, :, : first - 1]
    adjust = [
        (n, line, t + 1)
        for n, line, t in zip(
            *(x.tolist() for x in np.nonzero(np.abs(diff) >= ADJUSTMENT_THRESHOLD)),
            strict=True,
        )
    ]
    for n, line, pp in adjust:
        amounts[(a.people[n], line, pp)] = float(diff[n, line, pp - 1])
    # regular lines: every participant and line with units paid in this statement's span
    in_span = (a.payment_period >= first) & (a.payment_period <= last)  # [T]

    def in_this(x: np.ndarray) -> np.ndarray:
        return np.asarray((x * in_span).sum(axis=2))  # [N, L] over this span's periods

    units, amount, value = in_this(a.units), in_this(a.amount), in_this(a.value)
    person_cut = in_this(a.value - a.after_person)
    contract_cut = in_this(a.after_person - a.amount)
    sampled_units = in_this(a.sampled)
    pp_of = a.payment_period.tolist()  # by outcome period (0-based)
    names = [pay.name for pay in ledger.terms.contract.payments]
    version = ledger.terms.in_force(index)  # every payment of this span is priced by it
    lines: list[StatementLine] = []
    cohort_lines = set(ledger.terms.threshold_lines)  # shown per cohort assessment, below
    regular = [
        (int(n), int(line))
        for n, line in zip(*np.nonzero((units > 0) | (amount != 0)), strict=True)
        if int(line) not in cohort_lines
    ]
    assessed = [x for x in a.cohorts if first <= x.payment_period <= last]
    members = ledger._cohort_members(a, assessed, paid_records)
    paid_in_span = (a.units > 0) & in_span  # [N, L, T]
    details = {}
    for n, line in regular:
        pid = a.people[n]
        periods = (np.flatnonzero(paid_in_span[n, line]) + 1).tolist()
        records = in_span_records.get((pid, line), ())
        details[(n, line)] = (
            tuple(periods),
            tuple(sorted({pp_of[t - 1] for t in periods})),
            records,
        )
    for payer, share in ledger.terms.payers.items():
        for n, line in regular:
            periods_t, payment_t, records_t = details[(n, line)]
            lines.append(
                ledger._line(
                    payer,
                    share,
                    a.people[n],
                    names[line],
                    "regular",
                    accepted,
                    outcome_periods=periods_t,
                    payment_periods=payment_t,
                    records=records_t,
                    units=float(units[n, line]),
                    price=version.prices[line],
                    terms_version=version.number,
                    value=float(value[n, line]),
                    person_cut=float(person_cut[n, line]),
                    contract_cut=float(contract_cut[n, line]),
                    amount=float(amount[n, line]),
                    sampled=float(sampled_units[n, line]),
                )
            )
        for x, pid, n, counted, records_m in members:
            t = x.period - 1
            lines.append(
                ledger._line(
                    payer,
                    share,
                    pid,
                    names[x.line],
                    "regular",
                    accepted,
                    outcome_periods=(x.period,),
                    payment_periods=(x.payment_period,),
                    records=records_m,
                    units=counted,
                    price=x.price,
                    value=float(a.value[n, x.line, t]),
                    person_cut=0.0,
                    contract_cut=float(a.after_person[n, x.line, t] - a.amount[n, x.line, t]),
                    amount=float(a.amount[n, x.line, t]),
                    sampled=float(a.sampled[n, x.line, : x.period].sum()),
                    terms_version=version.number,
                    cohort=x.to_dict(),
                )
            )
        for n, line, pp in adjust:
            pid = a.people[n]
            periods = [int(t) + 1 for t in np.flatnonzero(a.payment_period == pp)]
            records = records_paid_in(pid, line, pp)
            adjusted_units = float(a.units[n, line, [t - 1 for t in periods]].sum())
            cohort: CohortAssessment | None = None
            if line in cohort_lines:  # a cohort assessed again after a correction
                cohort = next(
                    (
                        x
                        for x in a.cohorts
                        if x.line == line and x.payment_period == pp and pid in x.members
                    ),
                    None,
                )
                recs = [] if cohort is None else paid_records.get((pid, line), [])
                limit = 0 if cohort is None else cohort.period
                records = tuple(rid for rid, period in recs if period <= limit)
                adjusted_units = float(a.units[n, line, :limit].sum())
            lines.append(
                ledger._line(
                    payer,
                    share,
                    pid,
                    names[line],
                    "adjustment",
                    accepted,
                    outcome_periods=tuple(periods) if cohort is None else (cohort.period,),
                    payment_periods=(pp,),
                    records=records,
                    units=adjusted_units,
                    price=ledger.terms.in_force(ledger.terms.settlement_of(pp)).prices[line],
                    terms_version=ledger.terms.in_force(ledger.terms.settlement_of(pp)).number,
                    value=0.0,
                    person_cut=0.0,
                    contract_cut=0.0,
                    amount=float(diff[n, line, pp - 1]),
                    sampled=0.0,
                    cohort=None if cohort is None else cohort.to_dict(),
                )
            )
    st = Statement(index, first, last, lines, amounts, cohorts=[x.to_dict() for x in assessed])
    return st


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PaidRecords:
    """The records that may be paid — verified, or entered (paid if a decided sample accepts
    them) — as arrays, in id order: what a store reads with one query instead of the records."""

    id: IntArray
    participant: IntArray
    metric: IntArray  # the index of the record's metric in ``terms.contract.metrics``
    period: IntArray
    value: npt.NDArray[np.float64]
    verified: npt.NDArray[np.bool_]  # False: entered


class _Accepted(Mapping[int, tuple[int, RejectionRate]]):
    """Record id → (sample id, its rate) for the records decided samples accept (arrays)."""

    def __init__(self, ids: IntArray, samples: IntArray, rates: dict[int, RejectionRate]):
        order = np.argsort(ids, kind="stable")
        self.ids, self.samples, self.rates = ids[order], samples[order], rates

    def _at(self, rid: object) -> int | None:
        if not isinstance(rid, int | np.integer) or not len(self.ids):
            return None
        i = int(np.searchsorted(self.ids, rid))
        return i if i < len(self.ids) and self.ids[i] == rid else None

    def __contains__(self, rid: object) -> bool:
        return self._at(rid) is not None

    def __getitem__(self, rid: int) -> tuple[int, RejectionRate]:
        i = self._at(rid)
        if i is None:
            raise KeyError(rid)
        sid = int(self.samples[i])
        return sid, self.rates[sid]

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return len(self.ids)


def statement_from_arrays(
    ledger: Ledger,
    index: int,
    paid: PaidRecords,
    records_paid_in: Callable[[int, int, int], tuple[int, ...]],
    *,
    keyed: bool = True,
) -> Statement:
    """``Ledger.statement`` for a ledger that holds its participants, samples (with the sampled
    records) and approved statements but not its other records: those that may be paid come as
    arrays. The same units (verified in full, sample-accepted at the sample's acceptance rate),
    priced by ``settlement.compute_amounts``, drafted by :func:`build`."""
    if index in ledger.statements and ledger.statements[index].status == "approved":
        return ledger.statements[index]
    terms = ledger.terms
    first, last = ledger.span_in_order(index)
    acc_ids: list[IntArray] = []
    acc_sids: list[IntArray] = []
    rates: dict[int, RejectionRate] = {}
    for sid, s in ledger.samples.items():
        rate = ledger.sample_rate(sid)
        if rate is None:
            continue
        population = np.array(s.population, dtype=np.int64)
        ids = population[~np.isin(population, np.array(s.sampled, dtype=np.int64))]
        acc_ids.append(ids)
        acc_sids.append(np.full(ids.shape, sid, dtype=np.int64))
        rates[sid] = rate
    accepted = _Accepted(
        np.concatenate(acc_ids) if acc_ids else np.zeros(0, dtype=np.int64),
        np.concatenate(acc_sids) if acc_sids else np.zeros(0, dtype=np.int64),
        rates,
    )
    factor = np.zeros(paid.id.shape)
    taken = np.zeros(paid.id.shape, dtype=bool)
    if len(accepted):
        where = np.clip(np.searchsorted(accepted.ids, paid.id), 0, len(accepted.ids) - 1)
        taken = ~paid.verified & (accepted.ids[where] == paid.id)
        sids = np.array(sorted(rates), dtype=np.int64)
        acceptance = np.array([rates[int(x)].acceptance for x in sids])
        by_sample = acceptance[np.searchsorted(sids, accepted.samples[where])]
        factor = np.where(taken, by_sample, 0.0)
    counted = (paid.verified | taken) & (paid.period <= last)
    units_of = np.where(paid.verified, paid.value, paid.value * factor)
    sampled_of = np.where(paid.verified, 0.0, paid.value)
    people = tuple(sorted(ledger.participants))
    shape = (len(people), len(terms.prices), terms.n_periods)
    units, sampled = np.zeros(shape), np.zeros(shape)
    person = np.searchsorted(np.array(people, dtype=np.int64), paid.participant)
    pp = np.minimum(paid.period + terms.contract.lag_periods, terms.n_periods)
    names = list(terms.contract.metrics)
    in_span: dict[tuple[int, int], tuple[int, ...]] = {}
    every: dict[tuple[int, int], list[tuple[int, int]]] = {}  # threshold lines' paid records
    for line, pay in enumerate(terms.contract.payments):
        if not pay.metric or pay.metric not in names:
            continue
        rows = np.flatnonzero(counted & (paid.metric == names.index(pay.metric)))
        cell = (person[rows], np.full(rows.shape, line), paid.period[rows] - 1)
        np.add.at(units, cell, units_of[rows])
        np.add.at(sampled, cell, sampled_of[rows])
        if line in terms.threshold_lines:  # a cohort member counts every outcome up to then
            for rid, pid, period in zip(
                paid.id[rows].tolist(),
                paid.participant[rows].tolist(),
                paid.period[rows].tolist(),
                strict=True,
            ):
                every.setdefault((pid, line), []).append((rid, period))
        rows = rows[(pp[rows] >= first) & (pp[rows] <= last)]
        order = np.lexsort((paid.id[rows], paid.participant[rows]))
        who, ids = paid.participant[rows][order], paid.id[rows][order]
        cuts = np.flatnonzero(np.diff(who)) + 1
        for pid, chunk in zip(
            who[np.r_[0, cuts]].tolist() if len(who) else [],
            np.split(ids, cuts) if len(who) else [],
            strict=True,
        ):
            in_span[(pid, line)] = tuple(chunk.tolist())
    intake = np.array([ledger.participants[p].intake_period for p in people], dtype=np.int64)
    a = compute_amounts(terms, people, units, sampled, intake)
    return build(ledger, index, a, in_span, accepted, records_paid_in, every, keyed=keyed)
