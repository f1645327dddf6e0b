"""The ledger's errors: one sentence from the message catalogues (``locale/{da,en}/ledger.yaml``).

A :class:`LedgerError` is an :class:`~socialinvest.errors.InputError`, so the command line prints
it and exits with code 2 and the web answers 422, as for any other mistake. Its values never hold a
CPR number: callers pass a row number, a participant's id or a pseudonym's short form instead.
"""

from __future__ import annotations

import re

from socialinvest.errors import HIDDEN as HIDDEN  # the command line scrubs without the ledger
from socialinvest.errors import InputError, hidden_in
from socialinvest.errors import scrub as scrub
from socialinvest.output.messages import text


class LedgerError(InputError):
    """A refused ledger operation, explained in one sentence (English by default)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        # a value from a file may be a CPR number in the wrong column: never show one
        self.values = {k: scrub(v) for k, v in values.items()}
        super().__init__("", statement=text("en", "ledger_" + key, **self.values))

    def message_in(self, lang: str) -> str:
        """The same sentence in ``lang`` (da or en); the ledger's words for roles, actions and
        statuses in it are the language's words too."""
        values = self.values if lang == "en" else _in_words(self.key, self.values, lang)
        return hidden_in(text(lang, "ledger_" + self.key, **values), lang)

    def render(self, lang: str) -> str:
        """The one-sentence message in ``lang``, framed as any other mistake (the command line
        and the API render every error this way)."""
        return InputError("", statement=self.message_in(lang)).render(lang)


# the catalogue's word for a value of a LedgerError, by the placeholder's name
_WORDS = {
    "role": "lw_role_",
    "action": "cc_action_",
    "status": "cc_pstatus_",
}
_RECORD_WORDS = {"status": "lw_rstatus_", "action": "lw_rstatus_"}


def _word(lang: str, prefix: str, value: object) -> object:
    from socialinvest.output.messages import has_text

    if not isinstance(value, str):
        return value
    key = prefix + value.replace(" ", "_")
    return text(lang, key) if has_text(lang, key) else value


def _in_words(key: str, values: dict[str, object], lang: str) -> dict[str, object]:
    """``values`` with the ledger's English words (payer, approve a settlement, verified)
    replaced by ``lang``'s words from the catalogues; names and numbers unchanged."""
    from socialinvest.errors import Joined

    words = _RECORD_WORDS if key == "record_status" else _WORDS
    out = {k: _word(lang, words[k], v) if k in words else v for k, v in values.items()}
    roles = values.get("roles")
    if isinstance(roles, str):
        names = [r for r in re.split(r",\s*|\s+or\s+", roles) if r]
        out["roles"] = Joined(tuple(str(_word(lang, "lw_role_", r)) for r in names), "or").render(
            lang
        )
    return out
