"""Amend and withdraw in a real browser (Playwright, Debian's Chromium) against a real server
holding the synthetic demo partnership: the payer agrees a compared change as a dated amendment
on the renegotiation page, an investor sees the versions but no action, the payer withdraws a
participant after ticking the confirmation. Screenshots go to test-artefacts/web/amend-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.ui_helpers import CHROMIUM, CHROMIUM_ARGS, Server, shot

from .test_browser_ledger import as_user
from .test_browser_ledger import server as ledger_server

playwright_api = pytest.importorskip("playwright.sync_api")

server = ledger_server  # the same module-scoped server with the demo partnership


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_amend_and_withdraw(server: Server, browser: Any) -> None:
    base = f"{server.url}/partnerships/{server.demo_id}"  # type: ignore[attr-defined]
    payer = as_user(browser, server, "sagsbehandler")
    payer.goto(base + "/renegotiate?price=6000")
    assert payer.locator("#positions").count() == 1
    assert payer.locator("#versions tbody tr").count() == 1  # the original terms only
    effective = payer.input_value("#effective")  # the first settlement not approved
    payer.fill("#reference", "Allonge 1 af 2026-06-20")
    payer.locator('#agree input[name="confirm"]').check()
    shot(payer, "amend-1-payer-agrees")
    with payer.expect_navigation():
        payer.click("#agree button[type=submit]")
    status = payer.inner_text("#amended")
    assert status == f"Tillæg 1 gælder fra afregningsperiode {effective}.", status
    rows = payer.locator("#versions tbody tr")
    assert rows.count() == 2
    assert "6.000,00" in rows.nth(1).inner_text() and "Allonge 1" in rows.nth(1).inner_text()
    shot(payer, "amend-2-payer-amended")
    # an investor sees both versions and the note, no form
    investor = as_user(browser, server, "investor")
    investor.goto(base + "/renegotiate?price=6500")
    assert investor.locator("#versions tbody tr").count() == 2
    assert investor.locator("#agree form").count() == 0
    assert "Kun betaleren" in investor.inner_text("#agree")
    shot(investor, "amend-3-investor-sees")
    # the payer withdraws participant 1 (the confirmation box must be ticked first)
    payer.goto(base + "/participants")
    row = payer.locator("#participant-1")
    row.locator("summary").click()
    form = row.locator('form[data-action="withdraw"]')
    form.locator('input[name="date"]').fill("2026-06-15")
    form.locator("button[type=submit]").click()  # not ticked: the browser refuses to send
    assert payer.url.endswith("/participants")
    form.locator('input[name="confirm"]').check()
    shot(payer, "amend-4-payer-withdraws")
    with payer.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "Trukket tilbage" in payer.inner_text("#participant-1")
    shot(payer, "amend-5-payer-withdrawn")
