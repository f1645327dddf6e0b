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
from socialinvest.output.messages import text

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


def read_rows(path: Path, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line number, cells) of every non-empty row of a CSV or XLSX file."""
    name = str(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise LedgerError("import_unreadable", file=name, kind="XLSX") from None
        sheet = book.worksheets[0]
        table = [
            (i, [_cell(v) for v in row])
            for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
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
            data = path.read_bytes()
        except OSError:
            raise LedgerError("import_unreadable", file=name, kind="file") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest in ledger.imports:
        done = ledger.imports[digest]
        return ImportResult(digest, name, done.rows, (), (), done.rows, already_imported=True)
    ledger._allow(actor, "import outcomes", "provider", "payer")
    header, rows = read_rows(path, data)
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
    col = {h: i for i, h in enumerate(header)}

    errors: list[RowError] = []
    checked: list[tuple[int, str, int, float, str, str, tuple[str, OutcomeRecord | None]]] = []
    seen: dict[tuple[int, str, int], tuple[int, float]] = {}
    once_seen: dict[tuple[int, str], tuple[int, int]] = {}
    for line, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))

        def get(c: str, cells: list[str] = cells) -> str:
            return cells[col[c]].strip()

        try:
            if who[0] == "cpr":
                found = ledger.find(get("cpr"), where=f"line {line}")
                if found is None:
                    raise LedgerError("import_no_cpr")
                pid = found.id
            else:
                raw = get("participant")
                if not raw.isdigit():
                    raise LedgerError("import_participant", value=raw)
                pid = int(raw)
            metric = get("metric")
            if when[0] == "period":
                raw = get("period")
                if not raw.isdigit():
                    raise LedgerError("import_period", value=raw)
                period = int(raw)
            else:
                day = _date(get("date"))
                if day is None:
                    raise LedgerError("import_date", value=get("date"))
                period = ledger.terms.period_of(day)
            value = _number(get("value"))
            if value is None:
                raise LedgerError("import_value", value=get("value"))
            result = ledger.check_outcome(
                pid, metric, period, value, get("source"), get("reference"), as_of=as_of
            )
            key = (pid, metric, period)
            if key in seen and seen[key][1] != value:
                raise LedgerError("import_contradicts_row", other=seen[key][0])
            if metric in ledger.terms.contract.metrics and ledger.terms.metric(metric).kind in (
                "entry",
                "sustained",
                "state_at",
            ):
                first = once_seen.setdefault((pid, metric), (line, period))
                if first[1] != period:
                    raise LedgerError("import_once_in_file", metric=metric, other=first[0])
            if key in seen:
                continue
            seen[key] = (line, value)
            checked.append((pid, metric, period, value, get("source"), get("reference"), result))
        except LedgerError as e:
            if e.key == "import_no_cpr" or e.key.startswith("cpr_"):
                errors.append(RowError(line, e.key, {**e.values, "where": ""}))
            else:
                errors.append(RowError(line, e.key, dict(e.values)))
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
