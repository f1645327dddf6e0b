"""How long a partnership's records are kept (docs/ledger.md, "Retention").

The Danish Bookkeeping Act requires accounting records to be kept for five years from the end of
the financial year they concern; a kommune's financial year is the calendar year. The ledger's
financial records (statements, postings, outcome records and evidence references, samples,
imports) and the audit chain are kept together, so the whole partnership is kept until five
years after the end of the year of its last financial event: the contract's end, or a later
approval or posting.
"""

from __future__ import annotations

import datetime as dt

from socialinvest.ledger.ledger import Ledger

RETENTION_YEARS = 5


def retained_until(last_event: dt.date) -> dt.date:
    """The last day records of an event on ``last_event`` must be kept: 31 December of the
    event's (calendar) financial year plus five years."""
    return dt.date(last_event.year + RETENTION_YEARS, 12, 31)


def last_financial_event(ledger: Ledger) -> dt.date:
    """The contract's last day, or the latest approval if one came later."""
    last = ledger.terms.end - dt.timedelta(days=1)
    for st in ledger.statements.values():
        if st.approved_at:
            last = max(last, dt.datetime.fromisoformat(st.approved_at).date())
    return last


def may_be_discarded(ledger: Ledger, today: dt.date) -> bool:
    """Whether the retention period of the whole partnership is over on ``today``."""
    return today > retained_until(last_financial_event(ledger))
