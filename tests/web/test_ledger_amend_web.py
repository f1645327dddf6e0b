"""Dated amendments and a participant's exit, withdrawal and anonymisation through the API and
``socialinvest ledger``, on SQLite and PostgreSQL: who may do what, the amounts by hand, and the
audit chain (an altered amendment row is found)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from .conftest import bearer
from .ledger_web_support import Deal, make_deal, outcomes_csv, use_key
from .test_ledger_cli import as_json, ledger


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def _run_two_settlements(client: Any, h: dict[str, Any], deal: Deal) -> str:
    """A (enrolled January 2024): job in Q2, 13 weeks in work in Q2, Q3, Q4. B (February):
    job in Q3, 13 weeks in Q3, 10 in Q4. Settlements 1 and 2 approved at the original terms."""
    base = f"/api/v1/partnerships/{deal.id}"
    for n, day in ((0, "2024-01-15"), (1, "2024-02-01")):
        body = {"cpr": deal.numbers[n], "enrolled": day, "cohort": "2024"}
        assert client.post(f"{base}/participants", json=body, headers=h["pia"]).status_code == 201
    rows = [
        (1, "job", 2, 1),
        (1, "in_work", 2, 13),
        (1, "in_work", 3, 13),
        (1, "in_work", 4, 13),
        (2, "job", 3, 1),
        (2, "in_work", 3, 13),
        (2, "in_work", 4, 10),
    ]
    up = client.post(
        f"{base}/imports", files={"file": ("q.csv", outcomes_csv(rows))}, headers=h["paul"]
    )
    assert up.status_code == 201, up.text
    decide = {"records": up.json()["records"], "decision": "verify"}
    assert client.post(f"{base}/decisions", json=decide, headers=h["eva"]).status_code == 200
    for index in (1, 2):
        ok = client.post(f"{base}/settlements/{index}/approve", headers=h["pia"])
        assert ok.status_code == 200, ok.text
    return base


AMEND = {
    "effective": 3,
    "reference": "Allonge 1 of 2024-12-01",
    "agreed_by": ["Provider", "Fund", "Bank"],
    "prices": {"per week in work": 200},
}


def test_amendment_through_the_api(client: Any, db: Session, deal: Deal) -> None:
    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = _run_two_settlements(client, h, deal)
    # settlement 2 (outcomes of Q2, Q3 at 150 kr. a week): A 5,000 + 1,950 + 1,950 = 8,900;
    # B 5,000 + 1,950 = 6,950
    s2 = client.get(f"{base}/settlements/2", headers=h["pia"]).json()
    assert s2["payers"]["Kommune"]["total"] == 15850.0
    for name in ("paul", "ivan", "bank", "eva"):
        refused = client.post(f"{base}/amendments", json=AMEND, headers=h[name])
        assert refused.status_code == 403, (name, refused.text)
    assert client.post(f"{base}/amendments", json=AMEND, headers=h["otto"]).status_code == 404
    short = client.post(
        f"{base}/amendments", json={**AMEND, "agreed_by": ["Provider", "Fund"]}, headers=h["pia"]
    )
    assert short.status_code == 422 and "Bank" in short.json()["detail"]
    locked = client.post(f"{base}/amendments", json={**AMEND, "effective": 2}, headers=h["pia"])
    assert locked.status_code == 422 and "approved and locked" in locked.json()["detail"]
    longer = client.post(f"{base}/amendments", json={**AMEND, "periods": 10}, headers=h["pia"])
    assert longer.status_code == 422 and "duration" in longer.json()["detail"]
    made = client.post(f"{base}/amendments", json=AMEND, headers=h["pia"])
    assert made.status_code == 201, made.text
    assert made.json()["amendment"] == 1
    # every party sees both versions of the terms
    versions = client.get(f"{base}/amendments", headers=h["ivan"]).json()
    assert [v["version"] for v in versions] == [0, 1]
    assert versions[0]["prices"]["per week in work"] == 150.0
    assert versions[1]["prices"]["per week in work"] == 200.0
    assert versions[1]["agreed_by"] == ["Bank", "Fund", "Provider"]
    # settlement 3 (outcomes of Q4) at 200 kr. a week: A 13 × 200 = 2,600, cut by the person cap
    # (10,000 − 8,900 paid) to 1,100; B 10 × 200 = 2,000. Total 3,100.
    s3 = client.get(f"{base}/settlements/3", headers=h["pia"]).json()
    assert s3["payers"]["Kommune"]["total"] == 3100.0
    lines = s3["payers"]["Kommune"]["lines"]
    assert {x["terms_version"] for x in lines} == {1} and {x["price"] for x in lines} == {200.0}
    # the locked settlement 2 is unchanged, and says it was priced by the original terms
    again = client.get(f"{base}/settlements/2", headers=h["pia"]).json()
    assert again == s2
    assert {x["terms_version"] for x in again["payers"]["Kommune"]["lines"]} == {0}
    assert client.get(f"{base}/verify", headers=h["pia"]).json()["ok"] is True
    # the renegotiation view starts from the terms in force: "changing" the first line's price
    # to the price it has now changes nothing, and "before" is the amended terms' figures
    raised = {**AMEND, "effective": 3, "prices": {"job found": 6000}}
    assert client.post(f"{base}/amendments", json=raised, headers=h["pia"]).status_code == 201
    same = client.get(f"{base}/renegotiation?price=6000&draws=50", headers=h["ivan"]).json()
    assert same["changes"]["price"]["before"] == 6000.0
    assert same["before"] == same["after"]
    other = client.get(f"{base}/renegotiation?price=5000&draws=50", headers=h["ivan"]).json()
    assert other["before"] == same["before"] and other["after"] != other["before"]
    # an amendment row altered in the database (the price raised) is found
    row = db.execute(text("SELECT data FROM ledger_amendments WHERE number = 1")).scalar_one()
    data = json.loads(row)
    data["prices"][1] = 250.0
    db.execute(
        text("UPDATE ledger_amendments SET data = :d WHERE number = 1"), {"d": json.dumps(data)}
    )
    db.commit()
    check = client.get(f"{base}/verify", headers=h["pia"]).json()
    assert check["ok"] is False and check["entity"] == "amendment:1"


def test_exit_withdraw_anonymise_through_the_api(client: Any, db: Session, deal: Deal) -> None:
    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = f"/api/v1/partnerships/{deal.id}"
    for n in range(3):
        body = {"cpr": deal.numbers[n], "enrolled": "2024-01-15", "cohort": "2024"}
        assert client.post(f"{base}/participants", json=body, headers=h["pia"]).status_code == 201
    day = {"date": "2024-05-01", "reason": "moved away"}
    for action in ("exit", "withdraw", "anonymise"):
        for name in ("ivan", "eva"):
            refused = client.post(f"{base}/participants/1/{action}", json=day, headers=h[name])
            assert refused.status_code == 403, (action, name)
            assert "pseudonym" not in refused.text and "k1:" not in refused.text
        missing = client.post(f"{base}/participants/1/{action}", json=day, headers=h["otto"])
        assert missing.status_code == 404
    out = client.post(f"{base}/participants/1/exit", json=day, headers=h["pia"])
    assert out.status_code == 200 and out.json()["status"] == "exited"
    assert out.json()["exit_reason"] == "moved away"
    # the provider acts as the payer's data processor
    out = client.post(f"{base}/participants/2/withdraw", json=day, headers=h["paul"])
    assert out.status_code == 200 and out.json()["status"] == "withdrawn"
    again = client.post(f"{base}/participants/2/withdraw", json=day, headers=h["paul"])
    assert again.status_code == 422 and "withdrawn" in again.json()["detail"]
    out = client.post(f"{base}/participants/3/anonymise", json=day, headers=h["pia"])
    assert out.status_code == 200 and out.json()["pseudonym"] == "anonymised"
    rows = client.get(f"{base}/participants", headers=h["eva"]).json()
    assert [r["pseudonym"] == "anonymised" for r in rows] == [False, False, True]
    assert client.get(f"{base}/participants", headers=h["ivan"]).status_code == 403
    bad = client.post(f"{base}/participants/9/exit", json=day, headers=h["pia"])
    assert bad.status_code == 422 and "9" in bad.json()["detail"]
    assert client.get(f"{base}/verify", headers=h["pia"]).json()["ok"] is True
    negative = client.get(f"{base}?as_of=-5", headers=h["pia"])
    assert negative.status_code == 422 and "1 to 8" in negative.json()["detail"]


def test_the_commands(db_url: str, db: Session, deal: Deal, tmp_path: Path) -> None:
    p = ["-p", str(deal.id)]
    f = tmp_path / "people.csv"
    f.write_text(
        f"cpr,enrolled,cohort\n{deal.numbers[0]},2024-01-15,2024\n"
        f"{deal.numbers[1]},2024-01-20,2024\n",
        encoding="utf-8",
    )
    assert ledger(db_url, tmp_path, "enrol", *p, "--user", "pia", "--file", str(f)).returncode == 0
    agreed = ["--agreed-by", "Provider", "--agreed-by", "Fund", "--agreed-by", "Bank"]
    amend = ["amend", *p, "--from", "2", "--reference", "Allonge 1", "--price", "job found=6000"]
    en = ("--lang", "en")
    ran = ledger(db_url, tmp_path, *amend, "--user", "ivan", *agreed)  # Danish by default
    assert ran.returncode == 2 and "må ikke godkende et tillæg; det må kun betaler" in ran.stderr
    ran = ledger(db_url, tmp_path, *amend, "--user", "ivan", *agreed, *en)
    assert ran.returncode == 2 and "only the payer" in ran.stderr
    ran = ledger(db_url, tmp_path, *amend, "--user", "pia", "--agreed-by", "Provider")
    assert ran.returncode == 2 and "Fund, Bank" in ran.stderr and ran.stderr.count("\n") == 1
    ran = ledger(db_url, tmp_path, *amend, "--user", "pia", *agreed, "--periods", "12", *en)
    assert ran.returncode == 2 and "duration" in ran.stderr
    ran = ledger(db_url, tmp_path, *amend, "--user", "pia", *agreed, "--intake", "x,4")
    assert ran.returncode == 2 and "--intake" in ran.stderr
    out = as_json(ledger(db_url, tmp_path, *amend, "--user", "pia", *agreed, "--format", "json"))
    assert out["amendment"] == 1 and out["prices"] == [6000.0, 150.0] and out["effective"] == 2
    # a backup keeps the amendment; restored over the original it is still there and verifies
    backup = tmp_path / "small.json"
    assert ledger(db_url, tmp_path, "backup", *p, "-o", str(backup)).returncode == 0
    assert json.loads(backup.read_text(encoding="utf-8"))["state"]["amendments"][0]["number"] == 1
    ran = ledger(db_url, tmp_path, "restore", str(backup), "--user", "pia", "--replace")
    assert ran.returncode == 0, ran.stderr
    restored_id = ran.stdout.split()[1]
    p = ["-p", restored_id]
    assert ledger(db_url, tmp_path, "verify", *p).returncode == 0
    second = ["amend", *p, "--from", "2", "--reference", "Allonge 2", "--price", "job found=6500"]
    again = as_json(ledger(db_url, tmp_path, *second, "--user", "pia", *agreed, "--format", "json"))
    assert again["amendment"] == 2  # amendment 1 came back with the restore
    # exit / withdraw / anonymise
    ran = ledger(
        db_url, tmp_path, "withdraw", "1", *p, "--user", "ivan", "--date", "2024-03-01", *en
    )
    assert ran.returncode == 2 and "only the payer" in ran.stderr
    out = as_json(
        ledger(
            db_url,
            tmp_path,
            "withdraw",
            "1",
            *p,
            "--user",
            "paul",
            "--date",
            "2024-03-01",
            "--format",
            "json",
        )
    )
    assert out["status"] == "withdrawn" and out["withdrawn"] == "2024-03-01"
    out = as_json(
        ledger(db_url, tmp_path, "anonymise", "2", *p, "--user", "pia", "--format", "json")
    )
    assert out["pseudonym"] == "anonymised"
    ran = ledger(db_url, tmp_path, "exit", "2", *p, "--user", "pia", "--date", "2024-13-01")
    assert ran.returncode == 2 and "--date" in ran.stderr
    assert ledger(db_url, tmp_path, "verify", *p).returncode == 0
    # status: a negative period and an unknown role are one clear sentence each, exit 2
    ran = ledger(db_url, tmp_path, "status", *p, "--user", "pia", "--as-of", "-5")
    assert ran.returncode == 2 and "--as-of" in ran.stderr and "-5" in ran.stderr
    ran = ledger(db_url, tmp_path, "status", *p, "--user", "pia", "--as-of", "99")
    assert ran.returncode == 2 and "en kontraktperiode fra 1 til 8" in ran.stderr
    ran = ledger(db_url, tmp_path, "status", *p, "--user", "pia", "--role", "wizard", *en)
    assert ran.returncode == 2
    assert "payer, provider, investor, evaluator and auditor" in ran.stderr
    ran = ledger(db_url, tmp_path, "status", *p, "--user", "pia", "--role", "investor", *en)
    assert ran.returncode == 2 and "holds: payer" in ran.stderr
