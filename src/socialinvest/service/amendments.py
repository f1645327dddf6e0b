"""Dated amendments of a running partnership's terms, and a participant's exit, withdrawal and
anonymisation, for the command line, the API and the pages (each one transaction through
``service.partnerships.write``; the rules and role checks are the core's, ``Ledger.amend`` and
``Ledger.exit/withdraw/anonymise``).

Who agrees to an amendment (docs/partnerships.md, "Amendments"): a change of the contract is
signed by its parties outside the system; in the ledger **the payer** enters it, and the
agreement of **the provider and every investor** of the partnership is recorded with it. This
module refuses an amendment that does not name every provider and investor organisation of the
partnership among those that agreed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from socialinvest.ledger.errors import LedgerError
from socialinvest.service.partnerships import Context, current_period, write
from socialinvest.store import partnerships as store
from socialinvest.store.models import Organisation, User

#: the partnership roles whose agreement an amendment records (the payer approves it)
AGREEING_ROLES = ("provider", "investor")


def agreeing_parties(
    db: Session, partnership_id: int, roles: Sequence[str] = AGREEING_ROLES
) -> list[str]:
    """The organisations (names) whose agreement an amendment of the partnership records
    (``roles``: of the parties holding these roles)."""
    names = []
    for organisation_id, role in store.party_list(db, partnership_id):
        if role in roles:
            org = db.get(Organisation, organisation_id)
            if org is not None and org.name not in names:
                names.append(org.name)
    return names


def versions_view(ctx: Context) -> list[dict[str, Any]]:
    """Every version of the terms, the original first: what each one prices, from when, and who
    agreed. Terms hold no personal data: every party sees them."""
    terms = ctx.ledger.terms
    names = [pay.name for pay in terms.contract.payments]
    by_number = {a.number: a for a in terms.amendments}
    out = []
    for v in terms.versions():
        a = by_number.get(v.number)
        out.append(
            {
                "version": v.number,
                "effective": v.effective,
                "periods": list(terms.settlement_span(v.effective)),
                "prices": dict(zip(names, v.prices, strict=True)),
                "person_cap": v.person_cap,
                "contract_cap": v.contract_cap,
                "planned_intake": list(v.planned_intake),
                "reference": None if a is None else a.reference,
                "agreed_by": [] if a is None else list(a.agreed_by),
                "approved_by": None if a is None else a.approved_by,
                "approved_at": None if a is None else a.approved_at,
            }
        )
    return out


def first_open_settlement(ctx: Context) -> int:
    """The first settlement period not approved yet (the earliest an amendment may start)."""
    locked = [i for i, st in ctx.ledger.statements.items() if st.status == "approved"]
    return min(max(locked, default=0) + 1, ctx.ledger.terms.n_settlements)


def amend(
    db: Session,
    partnership_id: int,
    user: User,
    *,
    effective: int,
    reference: str,
    agreed_by: Sequence[str] | None = None,
    prices: dict[str, float] | None = None,
    person_cap: float | None = None,
    contract_cap: float | None = None,
    planned_intake: Sequence[int] | None = None,
    periods: int | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """The payer enters an agreed amendment effective from settlement period ``effective``.
    ``agreed_by``: the organisations that signed it; it must name every provider and investor
    of the partnership (``None``: the caller has confirmed that all of them signed — the page's
    tick box — and they are recorded by name). ``periods``: a change of duration, refused."""
    if periods is not None:
        raise LedgerError("amend_duration")
    needed = agreeing_parties(db, partnership_id)
    parties = agreeing_parties(
        db, partnership_id, ("payer", *AGREEING_ROLES, "evaluator", "auditor")
    )
    agreed = list(needed) if agreed_by is None else [a.strip() for a in agreed_by if a.strip()]

    def op(ctx: Context) -> dict[str, Any]:
        # the role first (an investor is told it may not, not which agreement is missing)
        ctx.ledger.may_amend(ctx.actor)
        # an organisation that is no party (a typing error, an outsider) never signs it
        strangers = [name for name in agreed if name not in parties]
        if strangers:
            raise LedgerError(
                "amend_agreed_unknown", names=", ".join(strangers), parties=", ".join(parties)
            )
        missing = [name for name in needed if name not in agreed]
        if missing:
            raise LedgerError("amend_agreement_missing", missing=", ".join(missing))
        a = ctx.ledger.amend(
            ctx.actor,
            effective,
            reference=reference,
            agreed_by=agreed,
            prices=prices,
            person_cap=person_cap,
            contract_cap=contract_cap,
            planned_intake=planned_intake,
        )
        return {"amendment": a.number, **a.to_dict(), "versions": versions_view(ctx)}

    return write(db, partnership_id, user, op, role=role, prefer=("payer",))


def _participant_view(ctx: Context, pid: int) -> dict[str, Any]:
    from socialinvest.ledger.status import participant_rows

    return next(r for r in participant_rows(ctx.ledger, ctx.actor) if r["id"] == pid)


def check_participant_action(action: str) -> None:
    """Refuse an ``action`` on a participant that is none of exit, withdraw, anonymise."""
    if action not in ("exit", "withdraw", "anonymise"):
        raise LedgerError("participant_action", value=action)


def change_participant(
    db: Session,
    partnership_id: int,
    user: User,
    participant: int,
    action: str,
    *,
    day: dt.date | None = None,
    reason: str = "",
    role: str | None = None,
) -> dict[str, Any]:
    """``action``: "exit" (with ``reason``), "withdraw" or "anonymise", on ``day`` (default:
    the partnership's today). Only the payer, or a provider that is its data processor; the
    participant's row afterwards (pseudonym shown as "anonymised" once anonymised)."""
    check_participant_action(action)

    def op(ctx: Context) -> dict[str, Any]:
        when = day or _today(ctx)
        if action == "exit":
            ctx.ledger.exit(ctx.actor, participant, when, reason.strip())
        elif action == "withdraw":
            ctx.ledger.withdraw(ctx.actor, participant, when)
        else:
            ctx.ledger.anonymise(ctx.actor, participant, when)
        return _participant_view(ctx, participant)

    return write(db, partnership_id, user, op, role=role, prefer=("payer", "provider"))


def _today(ctx: Context) -> dt.date:
    """Today, or for a demo (which lives in its own time) the first day of its period."""
    if ctx.row.get("as_of") is not None:
        period = current_period(ctx)
        return ctx.ledger.terms.dates[max(0, min(period, ctx.ledger.terms.n_periods) - 1)]
    return dt.date.today()
