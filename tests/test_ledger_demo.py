"""The synthetic IMPACT60-shaped demo partnership, halfway through its term."""

from __future__ import annotations

import json

import pytest

from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.demo import HALFWAY, SETTLED_THROUGH, demo_ledger, demo_terms
from socialinvest.ledger.forecast import observe, reforecast
from socialinvest.ledger.integrity import verify_state


@pytest.fixture(scope="module")
def terms():
    return demo_terms()


@pytest.fixture(scope="module")
def ledger(terms):
    return demo_ledger(seed=2025, terms=terms)


def test_the_demo_is_halfway_with_two_cohorts_enrolled(ledger, terms):
    assert terms.n_periods == 156 and HALFWAY == 156 // 2
    cohorts = [p.cohort for p in ledger.participants.values()]
    assert (cohorts.count("2025"), cohorts.count("2026")) == (40, 40)  # 2027: not yet
    assert ledger.demo
    assert max(r.period for r in ledger.records.values()) <= HALFWAY
    assert [s.status for s in ledger.statements.values()][:5] == ["approved"] * 5
    assert ledger.verify_audit().ok
    assert verify_state(ledger).ok


def test_the_settled_payments_are_the_price_times_the_weeks(ledger, terms):
    """No cap, lag or indexation in this contract: what was paid through week 65 is the price
    per week × (weeks verified + weeks not sampled × the sample's acceptance rate)."""
    price = terms.prices[0]
    sample = ledger.samples[1]
    decided = [ledger.records[rid].status for rid in sample.sampled]
    acceptance = 1 - decided.count("rejected") / len(decided)
    verified = sum(
        r.value
        for r in ledger.records.values()
        if r.period <= SETTLED_THROUGH and r.status in ("verified", "superseded")
    )
    unsampled = sum(
        ledger.records[rid].value
        for rid in sample.population
        if rid not in sample.sampled and ledger.records[rid].status == "entered"
    )
    paid = -ledger.journal.balances()["payer:Aalborg Kommune"] / 100
    assert paid == pytest.approx(price * (verified + unsampled * acceptance), abs=0.01 * 80)
    assert paid > 0
    # the late correction of a settled week is an adjustment of one week's price in the next
    adjustments = [x for x in ledger.statement(6).lines if x.kind == "adjustment"]
    assert [x.amount for x in adjustments] == [pytest.approx(-price)]


def test_money_balances_and_no_number_in_clear(ledger):
    balances = ledger.journal.balances()
    assert sum(balances.values()) == 0 and balances["vehicle"] >= 0
    dump = json.dumps([r.to_dict() for r in ledger.audit.records]) + repr(ledger)
    assert not [n for n in synthetic_numbers(200, 2025) if n in dump]


def test_reforecast_of_the_demo(ledger, terms):
    observed, realised = observe(ledger, HALFWAY)
    assert len(observed) == 80
    f = reforecast(
        terms,
        observed,
        realised,
        as_of=HALFWAY,
        paid_through=ledger.posted_through,
        draws=200,
        seed=3,
        target_rate=0.5,
    )
    d = f.to_dict()
    assert d["fan"]["realised"][-1] == pytest.approx(realised.sum())
    assert 0 <= d["prob_target"]["forecast"] <= 1
    assert d["effective_draws"] < 200
    investors = [p for p in d["parties"] if p["role"] == "investor"]
    assert len(investors) == 2 and all("irr_distribution" in p for p in investors)


def test_the_ledger_benchmark_runs():
    import subprocess
    import sys

    from .conftest import ROOT

    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_ledger.py",
            "--participants",
            "20",
            "--weeks",
            "26",
            "--draws",
            "50",
            "--repeat",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "import 20 participants x 26 weeks = 520 rows" in result.stdout
    assert "re-forecast of the demo at 50 draws" in result.stdout


def test_the_demo_says_where_the_example_is_missing(tmp_path):
    from socialinvest.ledger.errors import LedgerError

    with pytest.raises(LedgerError, match="needs the example case"):
        demo_terms(tmp_path / "missing.yaml")


def test_a_snapshot_round_trips_the_whole_partnership(ledger, terms):
    """Backup and restore: dump to JSON text, load it on the same terms, and everything is
    the same — statements, money, the audit chain — and still matches its audit trail."""
    from socialinvest.ledger.snapshot import dump, load

    text = json.dumps(dump(ledger))
    assert not [n for n in synthetic_numbers(200, 2025) if n in text]
    back = load(json.loads(text), terms, ledger.keyring)
    assert dump(back) == dump(ledger)
    assert verify_state(back).ok
    assert back.journal.balances() == ledger.journal.balances()
    assert back.statement(6).to_dict() == ledger.statement(6).to_dict()
    # a restored ledger goes on working: the same enrolment is still refused as a duplicate
    from socialinvest.ledger.demo import PAYER
    from socialinvest.ledger.errors import LedgerError

    first = synthetic_numbers(200, 2025)[0]
    with pytest.raises(LedgerError, match="already enrolled"):
        back.enrol(PAYER, first, terms.dates[100], "2027", dict.fromkeys(terms.eligibility, True))
    # a backup altered outside the ledger is found when it is read back
    tampered = json.loads(text)
    tampered["records"][10]["value"] = 0.0
    check = verify_state(load(tampered, terms, ledger.keyring))
    assert not check.ok and check.entity is not None
