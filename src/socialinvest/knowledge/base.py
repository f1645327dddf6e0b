"""Loading the bundled knowledge base and resolving references from cases.

Entries are read lazily, one file per entry, and validated against :mod:`.schema` when read; a
broken entry fails loudly with :class:`~socialinvest.errors.KnowledgeBaseError`. ``validate_all``
reads and checks every entry (the tests call it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from socialinvest.errors import KeyedValueError, KnowledgeBaseError, Msg, choices, msg
from socialinvest.knowledge.schema import (
    DatedValue,
    DiscountBand,
    Entry,
    ExplicitSplit,
    Reference,
    ReimbursementBand,
    ReimbursementSplit,
)
from socialinvest.source import read_document
from socialinvest.vocabulary import ACTORS, Actor

KNOWLEDGE_BASE_VERSION = "2026.12.1"
DATA_DIR = Path(__file__).parent / "data"
PRICE_INDEX_ID = "price-index/nettoprisindeks"
DEFAULT_DISCOUNTING_ID = "discounting/finansministeriet"

MAX_ID_LENGTH = 200
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")


class UnknownEntry(KeyError):
    """A reference to an ID that is not in the knowledge base."""


@dataclass(frozen=True)
class Split:
    """Actor shares of a unit price and where they come from."""

    shares: dict[Actor, float]
    status: str
    basis: str
    reference: Reference | None = None


class KnowledgeBase:
    """The bundled (or another) knowledge-base tree."""

    def __init__(self, root: Path | str = DATA_DIR, version: str = KNOWLEDGE_BASE_VERSION) -> None:
        self.root = Path(root)
        self.version = version
        self._cache: dict[str, Entry] = {}

    # -- reading -------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).with_suffix("").as_posix() for p in self.root.rglob("*.yaml")
        )

    def path_of(self, entry_id: str) -> Path:
        return self.root / f"{entry_id}.yaml"

    def __contains__(self, entry_id: object) -> bool:
        return (
            isinstance(entry_id, str)
            and len(entry_id) <= MAX_ID_LENGTH  # a longer name is no file (and no OSError)
            and bool(_ID_PATTERN.match(entry_id))
            and self.path_of(entry_id).is_file()
        )

    def entry(self, entry_id: str) -> Entry:
        cached = self._cache.get(entry_id)
        if cached is not None:
            return cached
        if entry_id not in self:
            raise UnknownEntry(entry_id)
        path = self.path_of(entry_id)
        document = read_document(path)
        try:
            entry = Entry.model_validate(document.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            line = document.line_of(loc)
            field = ".".join(str(p) for p in loc) or "(entry)"
            raise KnowledgeBaseError(
                f"{path}, line {line}: knowledge-base entry '{entry_id}' is invalid at '{field}': "
                f"{first['msg']}",
                msg(
                    "kb_entry_invalid",
                    file=str(path),
                    line=str(line),
                    id=entry_id,
                    field=field,
                    problem=entry_problem(first),
                ),
            ) from None
        self._check_links(entry_id, entry)
        self._cache[entry_id] = entry
        return entry

    def _check_links(self, entry_id: str, entry: Entry) -> None:
        split = entry.actor_split
        if isinstance(split, ReimbursementSplit):
            if split.reimbursement not in self:
                raise KnowledgeBaseError(
                    f"knowledge-base entry '{entry_id}' refers to reimbursement schedule "
                    f"'{split.reimbursement}', which does not exist",
                    msg("kb_no_schedule", id=entry_id, schedule=split.reimbursement),
                )
            target = self.entry(split.reimbursement)
            if target.kind != "reimbursement_schedule":
                raise KnowledgeBaseError(
                    f"knowledge-base entry '{entry_id}' refers to '{split.reimbursement}' as a "
                    f"reimbursement schedule, but it is a {target.kind}",
                    msg(
                        "kb_not_schedule",
                        id=entry_id,
                        schedule=split.reimbursement,
                        kind=target.kind,
                    ),
                )

    def validate_all(self) -> list[str]:
        """Read and validate every entry; return their IDs."""
        ids = self.ids()
        if not ids:
            raise KnowledgeBaseError(f"the knowledge base at {self.root} has no entries")
        for entry_id in ids:
            if not _ID_PATTERN.match(entry_id):
                raise KnowledgeBaseError(
                    f"knowledge-base file '{entry_id}.yaml' has a name that is not a valid ID "
                    "(lower-case words with hyphens, separated by '/')"
                )
            self.entry(entry_id)
        return ids

    @cached_property
    def digest(self) -> str:
        """SHA-256 over every entry's path and bytes: identifies the exact data used."""
        h = hashlib.sha256()
        for entry_id in self.ids():
            h.update(entry_id.encode())
            h.update(b"\0")
            h.update(self.path_of(entry_id).read_bytes())
        return h.hexdigest()

    # -- resolving -----------------------------------------------------------------------------
    @staticmethod
    def value_for_year(entry: Entry, year: int) -> DatedValue:
        """The newest value valid in ``year``; the oldest one if all start later."""
        chosen = entry.values[0]
        for value in entry.values:
            if value.valid_from.year <= year:
                chosen = value
        return chosen

    def number(self, entry_id: str, year: int) -> tuple[float, DatedValue]:
        entry = self.entry(entry_id)
        dated = self.value_for_year(entry, year)
        if not isinstance(dated.value, float | int):
            raise KnowledgeBaseError(f"knowledge-base entry '{entry_id}' has no plain number")
        return float(dated.value), dated

    def discount_bands(self, entry_id: str, year: int) -> tuple[list[DiscountBand], DatedValue]:
        entry = self.entry(entry_id)
        if entry.kind != "discount_schedule":
            raise UnknownEntry(entry_id)
        dated = self.value_for_year(entry, year)
        bands = dated.value
        assert isinstance(bands, list)
        return [b for b in bands if isinstance(b, DiscountBand)], dated

    def state_share(
        self, schedule_id: str, weeks_on_support: int, year: int
    ) -> tuple[float, DatedValue]:
        entry = self.entry(schedule_id)
        dated = self.value_for_year(entry, year)
        bands = dated.value
        assert isinstance(bands, list)
        share = 0.0
        for band in bands:
            if isinstance(band, ReimbursementBand) and band.from_week <= weeks_on_support:
                share = band.state_share
        return share, dated

    def split(self, entry_id: str, year: int, weeks_on_support: int | None = None) -> Split:
        """Actor shares of a unit price, after reimbursement where the entry says so."""
        entry = self.entry(entry_id)
        split = entry.actor_split
        if isinstance(split, ExplicitSplit):
            shares: dict[Actor, float] = {a: float(getattr(split, a)) for a in ACTORS}
            return Split(shares, split.status, "explicit shares", split.reference)
        if isinstance(split, ReimbursementSplit):
            weeks = weeks_on_support if weeks_on_support is not None else split.weeks_on_support
            state, dated = self.state_share(split.reimbursement, weeks, year)
            return Split(
                {"kommune": 1.0 - state, "region": 0.0, "stat": state},
                dated.status,
                f"{split.reimbursement}, {weeks} weeks on support",
                dated.reference,
            )
        raise KnowledgeBaseError(f"knowledge-base entry '{entry_id}' has no actor split")

    def price_index(self) -> dict[int, tuple[float, DatedValue]]:
        entry = self.entry(PRICE_INDEX_ID)
        return {v.valid_from.year: (float(v.value), v) for v in entry.values}  # type: ignore[arg-type]


_DEFAULT: KnowledgeBase | None = None


def default_knowledge_base() -> KnowledgeBase:
    """The bundled knowledge base (one instance per process, entries cached)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KnowledgeBase()
    return _DEFAULT


def plain_value(value: Any) -> Any:
    """A JSON-friendly form of a dated value: a number, or a list of band mappings."""
    if isinstance(value, list):
        return [band.model_dump() for band in value]
    return value


_EXPECTED_TYPE = {
    "float_type": "t_number",
    "float_parsing": "t_number",
    "finite_number": "t_number",
    "int_type": "t_whole_number",
    "int_parsing": "t_whole_number",
    "int_from_float": "t_whole_number",
    "string_type": "t_text",
    "list_type": "t_list",
    "dict_type": "t_mapping",
    "model_type": "t_mapping",
    "bool_type": "t_true_or_false",
    "bool_parsing": "t_true_or_false",
}


def entry_problem(err: Any) -> Msg | str:
    """What is wrong with a field of an entry (one pydantic error), from the catalogues where
    the error is one we know (pydantic's English text otherwise)."""
    kind = err.get("type")
    ctx = err.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, KeyedValueError):
        return original.msg
    if kind == "missing":
        return msg("kb_p_missing")
    if kind == "extra_forbidden":
        return msg("kb_p_unknown_field")
    if kind in _EXPECTED_TYPE:
        return msg("kb_p_expected", what=msg(_EXPECTED_TYPE[kind]))
    if kind == "literal_error":
        return msg("kb_p_expected", what=msg("t_one_of", expected=choices(ctx.get("expected", ""))))
    if kind in {
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
    }:
        return msg("kb_p_expected", what=msg("kb_p_date"))
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bound = ctx.get(
            {"greater_than_equal": "ge", "greater_than": "gt"}.get(kind, "")
        ) or ctx.get({"less_than_equal": "le", "less_than": "lt"}.get(kind, ""))
        return msg("kb_p_expected", what=msg(f"t_{kind}", bound=bound, described=""))
    if kind in {"too_short", "too_long"}:
        size = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return msg("kb_p_expected", what=msg(f"t_{kind}", size=size, described=""))
    return str(err.get("msg", "")).removeprefix("Value error, ")
