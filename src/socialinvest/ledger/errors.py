"""The ledger's errors: one sentence from the message catalogues (``locale/{da,en}/ledger.yaml``).

A :class:`LedgerError` is an :class:`~socialinvest.errors.InputError`, so the command line prints
it and exits with code 2 and the web answers 422, as for any other mistake. Its values never hold a
CPR number: callers pass a row number, a participant's id or a pseudonym's short form instead.
"""

from __future__ import annotations

import re

from socialinvest.errors import InputError
from socialinvest.output.messages import text

# ten digits, with or without the hyphen, or nine (a number that lost its leading zero)
_LIKE_CPR = re.compile(r"(?<!\d)(\d{6}-\d{4}|\d{9,10})(?!\d)")
HIDDEN = "[number not shown]"


def scrub(value: object) -> object:
    """A value safe to put in a message: anything that could be a CPR number is replaced."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int | str):
        text_value = str(value)
        if _LIKE_CPR.search(text_value):
            return _LIKE_CPR.sub(HIDDEN, text_value)
    return value


class LedgerError(InputError):
    """A refused ledger operation, explained in one sentence (English by default)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        # a value from a file may be a CPR number in the wrong column: never show one
        self.values = {k: scrub(v) for k, v in values.items()}
        super().__init__("", statement=text("en", "ledger_" + key, **self.values))

    def message_in(self, lang: str) -> str:
        """The same sentence in ``lang`` (da or en)."""
        return text(lang, "ledger_" + self.key, **self.values)

    def render(self, lang: str) -> str:
        """The one-sentence message in ``lang``, framed as any other mistake (the command line
        and the API render every error this way)."""
        return InputError("", statement=self.message_in(lang)).render(lang)
