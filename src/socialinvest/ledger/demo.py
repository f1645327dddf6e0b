"""A synthetic demo: an IMPACT60-shaped partnership halfway through its three-year term.

Everything here is made up and labelled so (``DEMO_LABEL``); it exists so users and tests can
see a living deal. The terms are those of ``examples/contracts/aalborg-impact60.yaml`` (Aalborg
Kommune pays per week a participant is in work or education; two foundations invest; Fokus
Folkeoplysning delivers). The price per week is not published: the demo agrees the designer's
price at the case's point values, rounded to whole kroner, and says so.

At week 78 of 156:

- the 2025 and 2026 cohorts (40 each, as planned) are enrolled in the first eight weeks of their
  year, with synthetic CPR numbers (day of month + 60, never a real person's); the 2027 cohort
  is not yet enrolled;
- each participant finds work or education with the published realised rate of 46 %, in the
  year after intake drawn from the case's timing (30 / 50 / 20 %), and leaves it again with the
  contract's assumed 25 % a year; a week in work or education is one outcome record, from the
  job centre (synthetic evidence);
- the evaluator has verified a 10 % random sample of the records up to week 65, rejecting those
  the generator marked as wrong (about 3 %); every statement up to week 65 (five quarters of 13
  weeks) is approved, with the provider's delivery costs as in the business case;
- two participants have exited, one has withdrawn, one has been anonymised on request, and one
  late correction (a week that was not in work) waits as an adjustment in the next statement.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from socialinvest.bundled import example
from socialinvest.case.load import LoadedCase, load_case
from socialinvest.contract.designer import design
from socialinvest.contract.partnership import prepare_contract, simulate_outcomes
from socialinvest.knowledge import KnowledgeBase
from socialinvest.ledger.cpr import Keyring, synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor
from socialinvest.ledger.terms import Terms

DEMO_LABEL = "SYNTHETIC DEMO DATA: no real person, no real outcome"
EXAMPLE = example("contracts/aalborg-impact60.yaml")
ELIGIBILITY = (
    "psykisk sårbar",
    "på kontanthjælp",
    "30 år eller ældre",
    "uden børn",
)
PAYER = Actor("sagsbehandler", "Aalborg Kommune", "payer")
APPROVER = Actor("afdelingschef", "Aalborg Kommune", "payer")
PROVIDER = Actor("jobkonsulent", "Fokus Folkeoplysning", "provider")
EVALUATOR = Actor("evaluator", "Uafhængig evaluator", "evaluator")

REALISED_RATE = 0.46  # published: IMPACT60's realised share into job or education
HALFWAY = 78
SETTLED_THROUGH = 65  # five quarters of 13 weeks
WRONG_SHARE = 0.03  # records the generator marks as not supported by the evidence


def demo_terms(case: str | Path = EXAMPLE, kb: KnowledgeBase | None = None) -> Terms:
    """The example's terms with the designer's price at point values agreed (rounded). The
    example ships with the source, not inside the package: give its path when running from an
    installed package."""
    if not Path(case).is_file():
        raise LedgerError("demo_case", path=str(case))
    loaded = LoadedCase.of(load_case(case))
    prep = prepare_contract(loaded, kb)
    solved = design(prep, simulate_outcomes(prep, 1))
    assert prep.contract.designer is not None
    price = float(round(solved.price or 0.0))
    return Terms.from_case(
        loaded,
        prices={prep.contract.designer.payment: price},
        eligibility=ELIGIBILITY,
        settle_every=13,
        prep=prep,
    )


def demo_ledger(seed: int = 2025, terms: Terms | None = None, key: str | None = None) -> Ledger:
    """The partnership halfway through its term (a demo ledger: synthetic CPR numbers only)."""
    terms = terms or demo_terms()
    rng = np.random.default_rng(seed)
    keyring = Keyring.parse(key or Keyring.generate("demo"), "demo key")
    start = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
    clock_state = {"t": start}

    def clock() -> dt.datetime:
        return clock_state["t"]

    ledger = Ledger.create(
        "demo-impact60",
        terms,
        keyring,
        PAYER,
        demo=True,
        data_processors=["Fokus Folkeoplysning"],
        clock=clock,
    )
    dates = terms.dates

    def at_week(week: int) -> None:
        clock_state["t"] = start + dt.timedelta(weeks=week - 1, hours=int(rng.integers(0, 9)))

    numbers = synthetic_numbers(200, seed)
    ppy = terms.prep.periods_per_year
    exit_per_week = 1.0 - (1.0 - terms.contract.success_exit_per_year) ** (1.0 / ppy)
    timing = np.array([0.3, 0.5, 0.2])
    metric = next(iter(terms.contract.metrics))
    weeks: list[tuple[int, int, int, bool]] = []  # (week, participant, value, wrong)
    cohort_weeks = {"2025": 1, "2026": terms.period_of(dt.date(2026, 1, 1))}
    k = 0
    for cohort, first in cohort_weeks.items():
        for _ in range(terms.planned_intake[0]):
            intake = first + int(rng.integers(0, 8))
            at_week(intake)
            p = ledger.enrol(
                PAYER, numbers[k], dates[intake - 1], cohort, dict.fromkeys(ELIGIBILITY, True)
            )
            k += 1
            if rng.random() >= REALISED_RATE:
                continue
            year = int(rng.choice(3, p=timing))
            begin = intake + year * ppy + int(rng.integers(0, ppy))
            week = begin
            while week <= HALFWAY:
                weeks.append((week, p.id, 1, bool(rng.random() < WRONG_SHARE)))
                if rng.random() < exit_per_week:
                    break
                week += 1
    weeks.sort()
    wrong = {(w, pid) for w, pid, _, bad in weeks if bad}
    ids: dict[tuple[int, int], int] = {}
    for week, pid, value, _ in weeks:
        at_week(min(week + 1, HALFWAY))
        _, record = ledger.enter_outcome(
            PROVIDER,
            pid,
            metric,
            week,
            value,
            "Jobcenter Aalborg (synthetic)",
            f"DEMO-{pid:03d}-{week:03d}",
            as_of=HALFWAY,
        )
        ids[(week, pid)] = record.id

    # exits, a withdrawal and an anonymisation
    at_week(60)
    ledger.exit(PAYER, 3, dates[59], "completed the programme")
    ledger.exit(PAYER, 11, dates[59], "moved away")
    ledger.withdraw(PAYER, 17, dates[61])
    ledger.anonymise(PAYER, 5, dates[62])

    # the evaluator samples 10 % of the records up to week 65; settlements through week 65
    at_week(SETTLED_THROUGH + 1)
    through = [rid for (w, _), rid in ids.items() if w <= SETTLED_THROUGH]
    sample = ledger.draw_sample(
        EVALUATOR, max(1, len(through) // 10), seed=seed, through_period=SETTLED_THROUGH
    )
    by_id = {rid: key for key, rid in ids.items()}
    for rid in sample.sampled:
        if by_id[rid] in wrong:
            ledger.reject(EVALUATOR, rid, "the job centre has no record of this week")
        else:
            ledger.verify(EVALUATOR, rid)
    delivery = terms.prep.delivery_costs
    for index in range(1, terms.settlement_of(SETTLED_THROUGH) + 1):
        first, last = terms.settlement_span(index)
        at_week(last + 1)
        for period in range(first, last + 1):
            ledger.record_delivery_costs(PROVIDER, period, round(float(delivery[period - 1]), 2))
        ledger.approve(APPROVER, index)

    # a late correction: a settled week that was not in work after all
    at_week(HALFWAY)
    settled = sorted(
        (r for r in ledger.records.values() if r.period <= 26 and r.status == "verified"),
        key=lambda r: r.id,
    )
    if settled:
        r = settled[0]
        _, fix = ledger.enter_outcome(
            PROVIDER,
            r.participant,
            r.metric,
            r.period,
            0,
            "Jobcenter Aalborg (synthetic)",
            f"DEMO-CORRECTION-{r.id}",
            as_of=HALFWAY,
        )
        ledger.verify(EVALUATOR, fix.id, reason="the job centre corrected the week")
    return ledger
