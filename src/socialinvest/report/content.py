"""What a report holds, independent of its format (HTML, PDF, XLSX).

:class:`ReportData` is the one object every report writer receives: the appraised case, the
language, the one-way sensitivity (tornado) when the case has inputs given as distributions, and
the contract result when a contract is appraised with the case. Writers format it; they never run
the engine themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.result import Result

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows.

    ``result``: the appraised case (means over draws; distributions when ``result.draws > 1``).
    ``sensitivity``: the tornado of the inputs given as distributions, or None (no such inputs,
    or a state-transition case, for which one-way sensitivity is not available).
    ``contract``: the appraised outcome contract, or None. The contract engine fills it; the
    report renders its section only when it is present.
    ``created``: the date printed on the report.
    """

    result: Result
    lang: Lang
    sensitivity: Sensitivity | None = None
    contract: Any | None = None
    created: dt.date = field(default_factory=dt.date.today)

    @property
    def has_uncertainty(self) -> bool:
        return self.result.draws > 1

    @property
    def has_tornado(self) -> bool:
        return self.sensitivity is not None and bool(self.sensitivity.one_way)


def prepare_report(
    case_file: str | Path,
    lang: Lang = "da",
    *,
    draws: int = 1,
    seed: int | None = None,
    created: dt.date | None = None,
) -> ReportData:
    """Load and appraise a case file and gather what its report shows.

    Raises :class:`socialinvest.errors.InputError` for a user's mistake (a missing or invalid
    case file), like ``socialinvest run``.
    """
    from socialinvest.analysis.sensitivity import analyse
    from socialinvest.case import load_case
    from socialinvest.runner import appraise

    loaded = load_case(Path(case_file))
    result = appraise(loaded, draws=draws, seed=seed)
    sensitivity = None
    if result.case.model != "state_transition":
        found = analyse(loaded)
        sensitivity = found if found.one_way else None
    return ReportData(
        result=result,
        lang=lang,
        sensitivity=sensitivity,
        created=created or dt.date.today(),
    )
