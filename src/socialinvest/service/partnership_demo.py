"""The synthetic demo partnership in the database: ``ledger.demo`` (an IMPACT60-shaped deal
halfway through its term, synthetic CPR numbers only) with its parties as organisations and users
of the web application, created from an approved version of the example case."""

from __future__ import annotations

from sqlalchemy.orm import Session

from socialinvest.ledger.demo import EXAMPLE, HALFWAY, demo_ledger, demo_terms
from socialinvest.service import partnerships as ps
from socialinvest.store import cases as case_store
from socialinvest.store import partnerships as store
from socialinvest.store import users as user_store
from socialinvest.store.models import User

DEMO_KEY = "demo-impact60"
#: organisation → (partnership role, users: (username, web role)); the names the demo's audit
#: trail uses. The investors are the example's two foundations.
PARTIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Aalborg Kommune", "payer", (("sagsbehandler", "analyst"), ("afdelingschef", "reviewer"))),
    ("Fokus Folkeoplysning", "provider", (("jobkonsulent", "analyst"),)),
    ("Uafhængig evaluator", "evaluator", (("evaluator", "analyst"),)),
    ("Den Sociale Kapitalfond", "investor", (("investor", "viewer"),)),
    ("Det Obelske Familiefond", "investor", (("investor2", "viewer"),)),
)


def load_demo_partnership(
    db: Session, password_hash: str = "!demo user: set a password to log in"
) -> tuple[int, bool]:
    """The demo partnership's id, and whether it was created now (loading twice adds nothing).
    Users missing are created with ``password_hash`` (default: one nobody can log in with)."""
    there = store.by_key(db, DEMO_KEY)
    if there is not None:
        return int(there["id"]), False
    keys = ps.keyring()  # refuses without a key, before anything is written
    users: dict[str, User] = {}
    orgs = []
    for org_name, role, members in PARTIES:
        org = user_store.organisation(db, org_name, create=True)
        orgs.append((org, role))
        for username, web_role in members:
            u = user_store.by_username(db, username)
            if u is None:
                u = user_store.create_user(db, org, username, password_hash, role=web_role)
            users[username] = u
    db.commit()
    text = EXAMPLE.read_text(encoding="utf-8")
    case = case_store.create_case(
        db,
        users["sagsbehandler"],
        "IMPACT60-lignende partnerskab (syntetisk demo)",
        text,
        "the example's terms, pinned for the demo partnership",
    )
    case_store.approve(db, case, 1, users["afdelingschef"])
    terms = demo_terms()
    key_line = f"{keys.current.id} {keys.current.secret.hex()}"
    ledger = demo_ledger(terms=terms, key=key_line)
    solved = {
        p.name: price
        for p, price in zip(terms.contract.payments, terms.prices, strict=True)
        if p.price == "solve"
    }
    new_id = ps.create(
        db,
        users["sagsbehandler"],
        case,
        1,
        key=DEMO_KEY,
        name="IMPACT60-lignende partnerskab (SYNTETISKE DEMODATA)",
        parties=orgs,
        prices=solved,
        eligibility=terms.eligibility,
        settle_every=terms.settle_every,
        data_processors=sorted(ledger.data_processors),
        demo=True,
        ledger=ledger,
        as_of=HALFWAY,
    )
    return new_id, True
