"""The demo partnership in the database, and the renegotiation view on it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from socialinvest.service import partnerships as ps
from socialinvest.service.partnership_demo import load_demo_partnership
from socialinvest.store.db import make_engine, session_factory
from socialinvest.store.models import User

from .conftest import make_app
from .ledger_web_support import use_key
from .test_pages import client_for


@pytest.fixture
def demo(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    use_key(monkeypatch)
    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    from .conftest import password_hash

    pid, created = load_demo_partnership(db, password_hash())
    assert created and load_demo_partnership(db) == (pid, False)  # loading twice adds nothing
    yield db, pid, sqlite_url
    db.close()
    engine.dispose()


def test_the_demo_and_a_renegotiated_price(demo: Any) -> None:
    db, pid, url = demo
    investor = db.query(User).filter(User.username == "investor").one()
    ctx = ps.read(db, pid, investor)
    assert ps.verify_integrity(db, pid)[0]
    status = ps.status_view(ctx)
    assert status["as_of_period"] == 78 and status["enrolment"]["enrolled"] == 80
    assert status["balances_sum"] == 0
    paid = sum(status["payments"]["paid"].values())
    out = ps.renegotiate(db, ctx, price=6000.0, draws=300)
    old_price = out["changes"]["price"]["before"]
    assert old_price == 5053.0  # the demo's agreed price
    before = out["before"]["outcome_payments"]["mean"]
    after = out["after"]["outcome_payments"]["mean"]
    # the same draws, no cap in the IMPACT60 terms: what is still to be paid scales with the
    # price, what was paid stays
    assert (after - paid) / (before - paid) == pytest.approx(6000 / 5053, rel=1e-9)
    payer = "Aalborg Kommune"
    assert out["after"]["parties"][payer]["net"] < out["before"]["parties"][payer]["net"]
    # the page, for an investor (aggregates) and an outsider (404)
    app = make_app(url)
    with client_for(app, "investor") as client:
        page = client.get(f"/partnerships/{pid}/renegotiate?price=6000")
        assert page.status_code == 200 and 'id="positions"' in page.text
        assert "Genforhandling" in page.text
        bad = client.get(f"/partnerships/{pid}/renegotiate?periods=10")
        assert bad.status_code == 422 and "78" in bad.text
