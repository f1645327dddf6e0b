"""Local prices: a municipality's own values laid over the national knowledge base.

A case names its set with ``local_prices: PATH`` (relative to the case file):

- a **folder** of entry files laid out like the national tree (``social/shelter-stay-year.yaml``
  overrides that national entry; a new ID adds a local-only entry). Each file is a whole entry,
  validated by the same schema (:mod:`.schema`) as the national ones;
- an **XLSX workbook** with a sheet ``prices`` (columns ``id, valid_from, value, status, source,
  publisher, url, accessed, note``). Each row is one dated value of an existing national entry;
  the rows of an ID replace that entry's values, and the entry with its new values is validated
  by the same schema. Label, unit, area and actor split stay the national ones.

Every value a run takes from the set is marked ``origin: local`` in the provenance (and its source
text says so); all others are ``origin: national``. See docs/knowledge-base.md ("Local prices").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from socialinvest.errors import InputError, KnowledgeBaseError, Shown, msg
from socialinvest.knowledge.base import KnowledgeBase, UnknownEntry, entry_problem
from socialinvest.knowledge.schema import Entry

XLSX_SHEET = "prices"
XLSX_COLUMNS = (
    "id",
    "valid_from",
    "value",
    "status",
    "source",
    "publisher",
    "url",
    "accessed",
    "note",
)


class LocalKnowledgeBase(KnowledgeBase):
    """The national knowledge base with a set of local entries laid over it."""

    def __init__(self, national: KnowledgeBase, source: Path, name: str | None = None) -> None:
        super().__init__(national.root, national.version)
        self.national = national
        self.source = Path(source)
        self.name = name or self.source.name
        self._local: dict[str, Entry] = {}
        if self.source.is_dir():
            self._read_folder()
        elif self.source.suffix.lower() == ".xlsx" and self.source.is_file():
            self._read_workbook()
        else:
            raise InputError(
                msg("lp_kind"),
                field="local_prices",
                value=self.name,
            )
        if not self._local:
            raise InputError(
                msg("lp_empty"),
                field="local_prices",
                value=self.name,
            )

    # -- reading the set -----------------------------------------------------------------------
    def _read_folder(self) -> None:
        local = _FolderReader(self.source, self)
        for entry_id in local.ids():
            try:
                if entry_id not in local:  # the national reader's ID rule
                    raise InputError(
                        "", file=str(local.path_of(entry_id)), statement=msg("lp_file_id")
                    )
                self._local[entry_id] = local.entry(entry_id)
            except KnowledgeBaseError as exc:
                raise InputError("", statement=exc.keyed or str(exc)) from None

    def _read_workbook(self) -> None:
        from openpyxl import load_workbook

        from socialinvest.safe_input import MAX_XLSX_ROWS, check_workbook

        where = str(self.source)
        check_workbook(self.source)  # regular file, size, no zip bomb
        try:
            book = load_workbook(self.source, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(
                msg("lp_workbook_open", error=type(exc).__name__),
                field="local_prices",
                value=self.name,
            ) from None
        if XLSX_SHEET not in book.sheetnames:
            raise InputError("", statement=msg("lp_no_sheet", file=where, sheet=XLSX_SHEET))
        sheet = book[XLSX_SHEET]
        rows: list[tuple[Any, ...]] = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= MAX_XLSX_ROWS:
                book.close()
                raise InputError(msg("e_workbook_rows", limit=MAX_XLSX_ROWS), file=where)
            rows.append(row)
        book.close()
        if not rows:
            raise InputError("", statement=msg("lp_sheet_empty", file=where, sheet=XLSX_SHEET))
        header = [str(c).strip().lower() if c is not None else "" for c in rows[0]]
        missing = [
            c
            for c in ("id", "valid_from", "value", "status", "source", "accessed")
            if c not in header
        ]
        if missing:
            raise InputError(
                "",
                statement=msg(
                    "lp_missing_columns",
                    file=where,
                    sheet=XLSX_SHEET,
                    missing=", ".join(missing),
                    columns=", ".join(XLSX_COLUMNS),
                ),
            )
        values: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for number, row in enumerate(rows[1:], start=2):
            cells = {header[i]: row[i] for i in range(min(len(header), len(row))) if header[i]}
            if all(v is None or str(v).strip() == "" for v in cells.values()):
                continue
            entry_id = str(cells.get("id") or "").strip()
            if entry_id not in self.national:
                raise InputError(
                    "",
                    statement=msg(
                        "lp_unknown_id",
                        file=where,
                        sheet=XLSX_SHEET,
                        row=number,
                        value=Shown(entry_id),
                    ),
                )
            reference = {
                "title": cells.get("source"),
                "publisher": cells.get("publisher"),
                "url": cells.get("url"),
                "accessed": _date(cells.get("accessed")),
                "note": cells.get("note"),
            }
            dated = {
                "valid_from": _date(cells.get("valid_from")),
                "value": cells.get("value"),
                "status": cells.get("status"),
                "reference": {k: v for k, v in reference.items() if v is not None},
            }
            values.setdefault(entry_id, []).append((number, dated))
        for entry_id, dated_rows in values.items():
            national = self.national.entry(entry_id)
            document = national.model_dump(exclude_none=True)
            # each row on its own first, so an error names its row; then the rows together
            for number, dated in dated_rows:
                self._validate(entry_id, {**document, "values": [dated]}, number)
            ordered = sorted(dated_rows, key=lambda r: str(r[1]["valid_from"]))
            document["values"] = [d for _, d in ordered]
            self._local[entry_id] = self._validate(entry_id, document, ordered[0][0])

    def _validate(self, entry_id: str, document: dict[str, Any], row: int) -> Entry:
        try:
            return Entry.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            field = ".".join(str(p) for p in loc[2:] if loc[:1] == ("values",)) or ".".join(
                str(p) for p in loc
            )
            raise InputError(
                "",
                statement=msg(
                    "lp_invalid_at" if field else "lp_invalid",
                    file=str(self.source),
                    sheet=XLSX_SHEET,
                    row=row,
                    id=entry_id,
                    field=field,
                    problem=entry_problem(first),
                ),
            ) from None

    # -- the knowledge-base interface ------------------------------------------------------------
    def ids(self) -> list[str]:
        return sorted(set(self.national.ids()) | set(self._local))

    def __contains__(self, entry_id: object) -> bool:
        return (isinstance(entry_id, str) and entry_id in self._local) or entry_id in self.national

    def entry(self, entry_id: str) -> Entry:
        local = self._local.get(entry_id)
        if local is not None:
            return local
        if entry_id not in self.national:
            raise UnknownEntry(entry_id)
        return self.national.entry(entry_id)

    def is_local(self, entry_id: str) -> bool:
        return entry_id in self._local

    def local_ids(self) -> list[str]:
        return sorted(self._local)

    @cached_property
    def digest(self) -> str:
        h = hashlib.sha256(self.national.digest.encode())
        for entry_id in self.local_ids():
            h.update(entry_id.encode())
            h.update(b"\0")
            h.update(self._local[entry_id].model_dump_json().encode())
        return h.hexdigest()


class _FolderReader(KnowledgeBase):
    """Reads a local folder with the national reader; links (a reimbursement schedule) resolve
    against the national entries and the local set together."""

    def __init__(self, root: Path, outer: LocalKnowledgeBase) -> None:
        super().__init__(root, outer.version)
        self.outer = outer

    def _check_links(self, entry_id: str, entry: Entry) -> None:
        KnowledgeBase._check_links(self.outer, entry_id, entry)


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def origin(kb: KnowledgeBase, entry_id: str) -> str:
    """``local`` when ``entry_id`` comes from a local set laid over ``kb``, else ``national``."""
    return "local" if isinstance(kb, LocalKnowledgeBase) and kb.is_local(entry_id) else "national"


def with_local_prices(
    kb: KnowledgeBase, local_prices: str | None, case_file: str | None
) -> KnowledgeBase:
    """``kb`` with the case's local price set laid over it (a path relative to the case file)."""
    if not local_prices:
        return kb
    path = Path(local_prices)
    if not path.is_absolute() and case_file:
        path = Path(case_file).parent / path
    return LocalKnowledgeBase(kb, path, name=local_prices)
