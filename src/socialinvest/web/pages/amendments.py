"""The pages' actions of issue 12's missing parts: the renegotiation view's "agree as amendment"
(the payer only; every party sees the versions of the terms) and a participant's exit,
withdrawal and anonymisation from the participants page (the payer, or a provider acting as its
data processor), each confirmed by a tick box the server checks too.

The rules and role checks are the core's, through ``service.amendments``; a refusal is a 403
page, a mistake a 422 page with the sentence, as on the other partnership pages.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from socialinvest.errors import InputError, msg
from socialinvest.service import amendments as amend_service
from socialinvest.service.partnerships import scrub
from socialinvest.store.models import User
from socialinvest.web.deps import ItemId, get_db, writing_user
from socialinvest.web.pages.common import lang_of, see_other
from socialinvest.web.pages.partnerships import error_page as _error_page
from socialinvest.web.pages.partnerships import guard as _guard
from socialinvest.web.pages.partnerships import parse_number as _number
from socialinvest.web.pages.partnerships import parse_numbers as _numbers

router = APIRouter()


def _confirmed(request: Request, form: dict[str, str]) -> Response | None:
    """The 422 page when the confirmation box was not ticked (the browser asks for it too)."""
    if form.get("confirm") == "1":
        return None
    from socialinvest.web.templating import translator

    return _error_page(request, translator(lang_of(request))("amend_confirm_needed"), 422)


@router.post("/partnerships/{partnership_id}/amend")
async def agree_as_amendment(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """The change compared on the renegotiation page, entered as a dated amendment (payer)."""
    form = {k: str(v) for k, v in (await request.form()).items()}

    def act() -> Response:
        from socialinvest.service import partnerships as ps

        ctx = ps.read(db, partnership_id, user, prefer=("payer",))
        ctx.ledger.may_amend(ctx.actor)  # the core says so in its own words (a 403 page)
        refused = _confirmed(request, form)
        if refused is not None:
            return refused
        effective = _number(form.get("effective", ""), "effective")
        if effective is None or effective != int(effective):
            raise InputError(
                msg("pg_e_period"), field="effective", value=scrub(form.get("effective", ""))
            )
        price = _number(form.get("price", ""), "price")
        line = ctx.ledger.terms.contract.payments[0].name
        intake = form.get("intake", "")
        periods = _number(form.get("periods", ""), "periods")
        if periods is not None and periods != int(periods):
            raise InputError(
                msg("pg_e_period"), field="periods", value=scrub(form.get("periods", ""))
            )
        out = amend_service.amend(
            db,
            partnership_id,
            user,
            effective=int(effective),
            reference=form.get("reference", ""),
            agreed_by=None,  # the tick box: the provider and every investor signed
            prices=None if price is None else {line: price},
            contract_cap=_number(form.get("contract_cap", ""), "contract_cap"),
            planned_intake=_numbers(intake, "intake") if intake.strip() else None,
            periods=None if periods is None else int(periods),
            role="payer",
        )
        query = urlencode({"amended": out["amendment"]})
        return see_other(f"/partnerships/{partnership_id}/renegotiate?{query}")

    return _guard(request, act)


@router.post("/partnerships/{partnership_id}/participants/{participant}/{action}")
async def change_participant(
    partnership_id: ItemId,
    participant: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Exit, withdraw or anonymise a participant (confirmed by a tick box)."""
    form = {k: str(v) for k, v in (await request.form()).items()}

    def act() -> Response:
        raw = form.get("date", "").strip()
        day = None
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                raise InputError(msg("cc_e_date"), field="date", value=scrub(raw)) from None
        if form.get("confirm") != "1":
            # the role first: an investor is refused before being asked to confirm anything
            from socialinvest.service import partnerships as ps

            ctx = ps.read(db, partnership_id, user, prefer=("payer", "provider"))
            amend_service.check_participant_action(action)
            ctx.ledger.may_change_participants(ctx.actor, action)
            refused = _confirmed(request, form)
            assert refused is not None
            return refused
        amend_service.change_participant(
            db, partnership_id, user, participant, action, day=day, reason=form.get("reason", "")
        )
        return see_other(f"/partnerships/{partnership_id}/participants?changed={participant}")

    return _guard(request, act)
