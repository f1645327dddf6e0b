"""The ledger's errors: one sentence from the message catalogues (``locale/{da,en}/ledger.yaml``).

A :class:`LedgerError` is an :class:`~socialinvest.errors.InputError`, so the command line prints
it and exits with code 2 and the web answers 422, as for any other mistake. Its values never hold a
CPR number: callers pass a row number, a participant's id or a pseudonym's short form instead.
"""

from __future__ import annotations

from socialinvest.errors import InputError
from socialinvest.output.messages import text


class LedgerError(InputError):
    """A refused ledger operation, explained in one sentence (English by default)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__("", statement=text("en", "ledger_" + key, **values))

    def message_in(self, lang: str) -> str:
        """The same sentence in ``lang`` (da or en)."""
        return text(lang, "ledger_" + self.key, **self.values)
