"""The ledger of a running social investment partnership: the pure core (docs/ledger.md).

Participants under keyed pseudonym (``cpr``), outcome records with evidence and their import
(``records``, ``importer``), verification by the evaluator or by sample (``sampling``), settlement
with the design stage's contract code (``settlement``, ``terms``), money as double entry
(``postings``), the audit trail in a hash chain (``audit``, ``integrity``), the re-forecast
conditioned on observations (``forecast``), what each role may see (``status``) and a synthetic
demo (``demo``). ``ledger.Ledger`` holds a partnership's state and every operation on it; there
is no database code here.
"""

from socialinvest.ledger.cpr import Keyring
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor, OutcomeRecord, Participant
from socialinvest.ledger.statements import Statement, StatementLine
from socialinvest.ledger.terms import Terms

__all__ = [
    "Actor",
    "Keyring",
    "Ledger",
    "LedgerError",
    "OutcomeRecord",
    "Participant",
    "Statement",
    "StatementLine",
    "Terms",
]
