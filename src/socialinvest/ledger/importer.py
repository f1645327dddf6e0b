"""Import outcome records from CSV or XLSX: all or nothing, every bad row named, idempotent.

A file has a header row and one outcome per row:

    participant | cpr     the ledger's participant id, or the CPR number (pseudonymised at once;
                          never stored, never shown in a message)
    metric                a metric of the contract (e.g. weeks_in_job_or_education)
    period | date         the contract period (1 = the first), or a date within it
    value                 units (time_in), 1 (entry, sustained, state_at) or a count (entries);
                          a decimal comma is accepted
    source, reference     the evidence: where it comes from, and the document's reference

Every row is checked before anything is written; if any is wrong, nothing is written and the
error lists every bad row with its line number and reason. The same file imported again changes
nothing (its SHA-256 is remembered); a row equal to a record already there changes nothing
either; a row that contradicts an earlier value is recorded as a *conflict* for the evaluator,
and the earlier value stays as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialinvest.ledger.audit import records_digest
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor, ImportRecord, OutcomeRecord
from socialinvest.ledger.terms import ONCE, Terms
from socialinvest.output.messages import text
from socialinvest.safe_input import LIMITS, MAX_XLSX_UNPACKED, unpacked_size

COLUMNS = ("participant", "cpr", "metric", "period", "date", "value", "source", "reference")
MAX_LISTED = 20


@dataclass(frozen=True)
class RowError:
    line: int
    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return text(
            lang,
            "ledger_row",
            line=self.line,
            reason=text(lang, "ledger_" + self.key, **self.values),
        )


class ImportRefused(LedgerError):
    """Nothing was imported: ``errors`` holds every bad row."""

    def __init__(self, file: str, errors: list[RowError]) -> None:
        self.errors = errors
        listed = "; ".join(e.message("en") for e in errors[:MAX_LISTED])
        more = len(errors) - MAX_LISTED
        super().__init__(
            "import_refused",
            file=file,
            count=len(errors),
            rows=listed + (f"; … {more} more" if more > 0 else ""),
        )

    def message_in(self, lang: str) -> str:
        listed = "; ".join(e.message(lang) for e in self.errors[:MAX_LISTED])
        return text(
            lang,
            "ledger_import_refused",
            file=self.values["file"],
            count=len(self.errors),
            rows=listed,
        )


@dataclass(frozen=True)
class ImportResult:
    sha256: str
    file: str
    rows: int
    created: tuple[int, ...]
    flagged: tuple[int, ...]  # created as conflicts with an earlier value
    unchanged: int
    already_imported: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "file": self.file,
            "rows": self.rows,
            "created": len(self.created),
            "flagged_for_evaluator": list(self.flagged),
            "unchanged": self.unchanged,
            "already_imported": self.already_imported,
        }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


MAX_IMPORT_ROWS = 200_000  # rows of one import (a workbook's sheet)


def read_rows(path: Path, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line number, cells) of every non-empty row of a CSV or XLSX file."""
    name = str(path)
    if len(data) > LIMITS.max_bytes:  # the loading gate's limits (docs/limits.md)
        raise LedgerError("import_unreadable", file=name, kind="file")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        unpacked = unpacked_size(data)
        if unpacked is None or unpacked > MAX_XLSX_UNPACKED:  # not a workbook, or a zip bomb
            raise LedgerError("import_unreadable", file=name, kind="XLSX")
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise LedgerError("import_unreadable", file=name, kind="XLSX") from None
        sheet = book.worksheets[0]
        table: list[tuple[int, list[str]]] = []
        for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if i > MAX_IMPORT_ROWS:
                book.close()
                raise LedgerError("import_unreadable", file=name, kind="XLSX")
            table.append((i, [_cell(v) for v in values]))
        book.close()
    else:
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LedgerError("import_unreadable", file=name, kind="UTF-8 CSV") from None
        sample = content[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(io.StringIO(content), delimiter=delimiter)
        table = []
        try:
            for row in reader:
                table.append((reader.line_num, [c.strip() for c in row]))
        except csv.Error:
            raise LedgerError("import_unreadable", file=name, kind="CSV") from None
    table = [(n, cells) for n, cells in table if any(cells)]
    if not table:
        raise LedgerError("import_empty", file=name)
    header = [h.strip().lower() for h in table[0][1]]
    return header, table[1:]


def read_columns(path: Path, data: bytes) -> tuple[list[str], list[int], list[list[str]]]:
    """:func:`read_rows` by column: the header, each row's line number and each column's cells
    (a row short of cells gets empty ones). A CSV file without quotes, carriage returns or NUL
    characters — where ``csv.reader`` only splits lines at line feeds and cells at the
    delimiter — is split with ``str.split`` and no Python call per row; any other file is read
    by :func:`read_rows` (a test holds the two equal)."""
    fast = None
    if path.suffix.lower() != ".xlsx" and len(data) <= LIMITS.max_bytes:
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = None
        if content is not None and not any(c in content for c in '"\r\x00'):
            fast = content
    if fast is None:
        header, table = read_rows(path, data)
        width = len(header)
        padded = [cells + [""] * (width - len(cells)) for _, cells in table]
        columns = [list(col) for col in zip(*padded, strict=False)][:width] if padded else []
        return header, [n for n, _ in table], columns or [[] for _ in header]
    sample = fast[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    lines = fast.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    kept = [i for i, text in enumerate(lines) if text.replace(delimiter, "").strip()]
    if not kept:
        raise LedgerError("import_empty", file=str(path))
    header = [h.strip().lower() for h in lines[kept[0]].split(delimiter)]
    rows = [lines[i].split(delimiter) for i in kept[1:]]
    width = len(header)
    if any(len(r) < width for r in rows):
        rows = [r + [""] * (width - len(r)) for r in rows]
    cut: list[list[str]] = [[] for _ in header]
    if rows:
        cut = [list(map(str.strip, col)) for col in zip(*rows, strict=False)][:width]
    return header, [i + 1 for i in kept[1:]], cut


def _number(raw: str) -> float | None:
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        return None


def _date(raw: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def check_header(name: str, header: list[str]) -> tuple[dict[str, int], str, str]:
    """The column of each header name, the participant column (participant or cpr) and the
    period column (period or date); a LedgerError if the header is not an outcome file's."""
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise LedgerError(
            "import_column", file=name, column=unknown[0], expected=", ".join(COLUMNS)
        )
    who = [c for c in ("participant", "cpr") if c in header]
    when = [c for c in ("period", "date") if c in header]
    needed = ["metric", "value", "source", "reference"]
    missing = [c for c in needed if c not in header]
    if len(who) != 1 or len(when) != 1 or missing:
        raise LedgerError("import_header", file=name)
    return {h: i for i, h in enumerate(header)}, who[0], when[0]


def parse_who(ledger: Ledger | None, who: str, raw: str) -> int:
    """The participant id a row's participant (or CPR) cell names (``ledger``: needed for a
    CPR number only)."""
    if who == "cpr":
        assert ledger is not None
        found = ledger.find(raw, where="")
        if found is None:
            raise LedgerError("import_no_cpr")
        return found.id
    if not raw.isdigit():
        raise LedgerError("import_participant", value=raw)
    return int(raw)


def parse_period(terms: Terms, when: str, raw: str) -> int:
    """The contract period a row's period (or date) cell names."""
    if when == "period":
        if not raw.isdigit():
            raise LedgerError("import_period", value=raw)
        return int(raw)
    day = _date(raw)
    if day is None:
        raise LedgerError("import_date", value=raw)
    return terms.period_of(day)


def parse_value(raw: str) -> float:
    value = _number(raw)
    if value is None:
        raise LedgerError("import_value", value=raw)
    return value


def row_error(line: int, e: LedgerError) -> RowError:
    """A refused row (a CPR number's problem never names where the number was)."""
    if e.key == "import_no_cpr" or e.key.startswith("cpr_"):
        return RowError(line, e.key, {**e.values, "where": ""})
    return RowError(line, e.key, dict(e.values))


def in_file(
    seen: dict[tuple[int, str, int], tuple[int, float]],
    once_seen: dict[tuple[int, str], tuple[int, int]],
    key: tuple[int, str, int],
    value: float,
    line: int,
    once: bool,
) -> bool:
    """The file's own rules for a row that passed every other check (rows in file order):
    a key twice with two values, or a once-only outcome in two periods, is refused; True when
    the row repeats an earlier row (and is skipped)."""
    if key in seen and seen[key][1] != value:
        raise LedgerError("import_contradicts_row", other=seen[key][0])
    if once:
        first = once_seen.setdefault((key[0], key[1]), (line, key[2]))
        if first[1] != key[2]:
            raise LedgerError("import_once_in_file", metric=key[1], other=first[0])
    if key in seen:
        return True
    seen[key] = (line, value)
    return False


def import_outcomes(
    ledger: Ledger,
    actor: Actor,
    path: str | Path,
    *,
    data: bytes | None = None,
    as_of: int | None = None,
    at: dt.datetime | None = None,
) -> ImportResult:
    """Import a CSV or XLSX file of outcomes (``data``: its bytes, if already read)."""
    path = Path(path)
    name = str(path)
    if data is None:
        try:
            if not path.is_file() or path.stat().st_size > LIMITS.max_bytes:
                raise LedgerError("import_unreadable", file=name, kind="file")
            data = path.read_bytes()
        except OSError:
            raise LedgerError("import_unreadable", file=name, kind="file") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest in ledger.imports:
        done = ledger.imports[digest]
        return ImportResult(digest, name, done.rows, (), (), done.rows, already_imported=True)
    ledger._allow(actor, "import outcomes", "provider", "payer")
    header, rows = read_rows(path, data)
    col, who, when = check_header(name, header)

    errors: list[RowError] = []
    checked: list[tuple[int, str, int, float, str, str, tuple[str, OutcomeRecord | None]]] = []
    seen: dict[tuple[int, str, int], tuple[int, float]] = {}
    once_seen: dict[tuple[int, str], tuple[int, int]] = {}
    for line, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))

        def get(c: str, cells: list[str] = cells) -> str:
            return cells[col[c]].strip()

        try:
            pid = parse_who(ledger, who, get(who))
            metric = get("metric")
            period = parse_period(ledger.terms, when, get(when))
            value = parse_value(get("value"))
            result = ledger.check_outcome(
                pid, metric, period, value, get("source"), get("reference"), as_of=as_of
            )
            key = (pid, metric, period)
            once = metric in ledger.terms.contract.metrics and (
                ledger.terms.metric(metric).kind in ONCE
            )
            if in_file(seen, once_seen, key, value, line, once):
                continue
            checked.append((pid, metric, period, value, get("source"), get("reference"), result))
        except LedgerError as e:
            errors.append(row_error(line, e))
    if errors:
        raise ImportRefused(name, errors)

    created: list[int] = []
    flagged: list[int] = []
    stamp = ledger._stamp(at)
    unchanged = len(rows) - len(checked)
    for pid, metric, period, value, source, reference, result in checked:
        kind, record = ledger.enter_outcome(
            actor,
            pid,
            metric,
            period,
            value,
            source,
            reference,
            at=at,
            as_of=as_of,
            import_id=digest,
            log=False,
            checked=result,
            stamp=stamp,
        )
        if kind == "unchanged":
            unchanged += 1
        else:
            created.append(record.id)
            if kind == "conflict":
                flagged.append(record.id)
    done = ImportRecord(
        digest, name, len(rows), tuple(created), tuple(flagged), unchanged, str(actor), stamp
    )
    ledger.imports[digest] = done
    # one audit record for the whole import: the new records are numbered consecutively, and a
    # digest of their contents lets ``verify_state`` find any of them altered later
    ledger._log(
        stamp,
        actor,
        "import",
        f"import:{digest[:16]}",
        None,
        {
            "file": name,
            "sha256": digest,
            "rows": len(rows),
            "records": [created[0], created[-1]] if created else None,
            "records_digest": records_digest([ledger.records[i].audit_view() for i in created]),
            "flagged": list(flagged),
            "unchanged": unchanged,
        },
    )
    return ImportResult(digest, name, len(rows), tuple(created), tuple(flagged), unchanged)
