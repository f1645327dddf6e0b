"""Set-based import for a stored ledger: the checks of ``importer.import_outcomes`` on a whole
file at once, for a store that keeps the records in a table and never loads them all.

The file is read by the core's own reader (``importer.read_rows``: the same line numbers, the
same refusals of a file as a whole). Each column is parsed once per *distinct* cell with the
core's own parsers (``parse_who``, ``parse_period``, ``parse_value``), and the row checks of
``Ledger.check_outcome`` that need no earlier record are applied to all rows at once as array
conditions. A row they refuse is checked again by ``check_outcome`` itself on a ledger holding
only the participants, and the core's error is the row's error (and if the core accepts it the
row goes on), so every sentence comes from the core. What needs the earlier records — a
once-only outcome already recorded in another period, and whether a row is new, unchanged or
contradicts the value recorded (a *conflict* for the evaluator) — is answered by the store from
the table (:class:`Staged`); then the file's own rules (``importer.in_file``) run on the few rows
that share a participant and metric. The audit record is the core's: one per import, holding the
file's SHA-256, the counts, the first and last record created and ``records_digest`` over the
created records, so ``integrity.verify_state`` covers every imported row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from socialinvest.ledger.errors import HIDDEN, LedgerError, scrub
from socialinvest.ledger.importer import (
    ImportRefused,
    RowError,
    check_header,
    in_file,
    parse_period,
    parse_value,
    parse_who,
    read_columns,
    row_error,
)
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.terms import ONCE, Terms

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
NONE = np.iinfo(np.int64).max  # "no withdrawal"
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')  # text json.dumps writes as it is, between quotes


@dataclass(frozen=True)
class People:
    """The participants a row may name: ids (ascending), intake periods, and the period of the
    withdrawal (``NONE`` if none)."""

    ids: IntArray
    intake: IntArray
    withdrawn_period: IntArray


@dataclass
class Rows:
    """The rows that passed every check that needs no earlier record, in file order."""

    line: IntArray
    participant: IntArray
    metric: list[str]
    period: IntArray
    value: FloatArray
    source: list[str]
    reference: list[str]
    once: npt.NDArray[np.bool_]
    total: int  # the file's rows (after the header, blank rows left out)

    def take(self, keep: npt.NDArray[np.bool_]) -> Rows:
        if keep.all():
            return self
        idx = np.flatnonzero(keep)
        return Rows(
            self.line[idx],
            self.participant[idx],
            [self.metric[i] for i in idx],
            self.period[idx],
            self.value[idx],
            [self.source[i] for i in idx],
            [self.reference[i] for i in idx],
            self.once[idx],
            self.total,
        )


def _factor(values: list[str]) -> tuple[list[str], IntArray]:
    """The distinct values (first seen first) and each row's index into them (pandas'
    hash table: no Python call per row)."""
    if not values:
        return [], np.zeros(0, dtype=np.int64)
    codes, distinct = pd.factorize(np.array(values, dtype=object))
    return [str(v) for v in distinct], np.asarray(codes, dtype=np.int64)


def _like_cpr(cells: list[str]) -> npt.NDArray[np.bool_]:
    """The cells ``errors.scrub`` would hide a number in (the core refuses such evidence): one
    search over the whole column, a search per cell only when it finds one."""
    if HIDDEN not in str(scrub("\n".join(cells))):
        return np.zeros(len(cells), dtype=bool)
    return np.array([HIDDEN in str(scrub(c)) for c in cells], dtype=bool)


def check_file(
    terms: Terms,
    people: People,
    participants: Callable[[], Ledger],
    path: Path,
    data: bytes,
    *,
    as_of: int | None,
) -> tuple[Rows, list[RowError]]:
    """Read and check a file's rows; the rows that passed and the errors of those that did not.
    ``participants()``: a ledger holding the participants (and no records), built only when a
    CPR column is read or a row is refused (the core then names what is wrong)."""
    name = str(path)
    header, numbers, columns = read_columns(path, data)
    col, who, when = check_header(name, header)
    lines = np.array(numbers, dtype=np.int64)
    n_rows = len(numbers)

    def column(c: str) -> list[str]:
        return columns[col[c]]  # stripped already

    errors: dict[int, RowError] = {}  # row index → its error
    failed = np.zeros(n_rows, dtype=bool)

    def parse(raw: list[str], parser: Callable[[str], Any]) -> npt.NDArray[Any]:
        """The parsed value of each row (rows already failed or failing here: none)."""
        distinct, codes = _factor(raw)
        parsed: list[Any] = []
        bad: dict[int, LedgerError] = {}
        for i, v in enumerate(distinct):
            try:
                parsed.append(parser(v))
            except LedgerError as e:
                parsed.append(None)
                bad[i] = e
        if bad:
            for r in np.flatnonzero(np.isin(codes, list(bad)) & ~failed):
                errors[int(r)] = row_error(int(lines[r]), bad[int(codes[r])])
                failed[r] = True
        return np.array(parsed, dtype=object)[codes]

    ledger_cache: list[Ledger] = []

    def ledger() -> Ledger:
        if not ledger_cache:
            ledger_cache.append(participants())
        return ledger_cache[0]

    pid_obj = parse(column(who), lambda v: parse_who(ledger() if who == "cpr" else None, who, v))
    metrics = column("metric")
    period_obj = parse(column(when), lambda v: parse_period(terms, when, v))
    value_obj = parse(column("value"), parse_value)
    sources, references = column("source"), column("reference")

    ok = ~failed
    pid = np.where(ok, pid_obj, 0).astype(np.int64)
    period = np.where(ok, period_obj, 0).astype(np.int64)
    value = np.where(ok, value_obj, 0.0).astype(np.float64)

    # the row checks of Ledger.check_outcome, as array conditions (in any order: a row refused
    # here is checked again by the core, which names the first rule it breaks)
    m_names, m_codes = _factor(metrics)
    known_metric = np.array([m in terms.contract.metrics for m in m_names] + [False])
    spec = [terms.metric(m) if m in terms.contract.metrics else None for m in m_names]

    def per_metric(f: Callable[[Any], float], default: float = 0.0) -> FloatArray:
        return np.array([default if m is None else f(m) for m in spec] + [default])[m_codes]

    kind = np.array([None if m is None else m.kind for m in spec] + [None], dtype=object)[m_codes]
    w_first = per_metric(lambda m: m.window.first if m.window else -np.inf, -np.inf)
    w_last = per_metric(lambda m: m.window.last if m.window else np.inf, np.inf)
    at = per_metric(lambda m: m.at or 1)
    upp = per_metric(lambda m: m.units_per_period)
    pos = np.clip(np.searchsorted(people.ids, pid), 0, max(len(people.ids) - 1, 0))
    if len(people.ids):
        known = people.ids[pos] == pid
        intake = people.intake[pos]
        withdrawn = people.withdrawn_period[pos]
    else:
        known = np.zeros(n_rows, dtype=bool)
        intake = withdrawn = np.zeros(n_rows, dtype=np.int64)
    relative = period - intake + 1
    once = np.isin(kind, list(ONCE))
    with np.errstate(invalid="ignore"):
        suspect = (
            ~known
            | ~known_metric[m_codes]
            | (period < 1)
            | (period > terms.n_periods)
            | ((period > as_of) if as_of is not None else False)
            | (relative < 1)
            | (relative < w_first)
            | (relative > w_last)
            | ((kind == "state_at") & (relative != at))
            | (period > withdrawn)
            | ~np.isfinite(value)
            | ((kind == "time_in") & ~((value >= 0) & (value <= upp)))
            | (once & (value != 1))
            | ((kind == "entries") & ((value < 0) | (value != np.floor(value))))
            | np.array([not s or not r for s, r in zip(sources, references, strict=True)])
            | _like_cpr(sources)
            | _like_cpr(references)
        )
    for r in np.flatnonzero(suspect & ok):
        try:
            ledger().check_outcome(
                int(pid[r]),
                metrics[r],
                int(period[r]),
                float(value[r]),
                sources[r],
                references[r],
                as_of=as_of,
            )
        except LedgerError as e:
            errors[int(r)] = row_error(int(lines[r]), e)
            failed[r] = True
    rows = Rows(lines, pid, metrics, period, value, sources, references, once, n_rows).take(~failed)
    return rows, [errors[i] for i in sorted(errors)]


def in_file_rules(rows: Rows) -> tuple[list[RowError], npt.NDArray[np.bool_]]:
    """``importer.in_file`` over the rows that share a participant and metric with another row
    (the others cannot break it): the errors, and which rows repeat an earlier one (skipped)."""
    n = len(rows.line)
    skip = np.zeros(n, dtype=bool)
    if n == 0:
        return [], skip
    m_names, m_codes = _factor(rows.metric)
    pm = rows.participant * (len(m_names) + 1) + m_codes
    full = np.stack([pm, rows.period])
    _, inv_pm, count_pm = np.unique(pm, return_inverse=True, return_counts=True)
    _, inv_key, count_key = np.unique(full, axis=1, return_inverse=True, return_counts=True)
    inv_key = inv_key.reshape(-1)
    dup_key = count_key[inv_key] > 1
    shared_once = rows.once & (count_pm[inv_pm.reshape(-1)] > 1)
    dup_pm = np.unique(pm[dup_key | shared_once])
    involved = np.flatnonzero(np.isin(pm, dup_pm))
    errors: list[RowError] = []
    seen: dict[tuple[int, str, int], tuple[int, float]] = {}
    once_seen: dict[tuple[int, str], tuple[int, int]] = {}
    for i in involved:  # in file order (the rows are)
        line = int(rows.line[i])
        key = (int(rows.participant[i]), rows.metric[i], int(rows.period[i]))
        try:
            skip[i] = in_file(seen, once_seen, key, float(rows.value[i]), line, bool(rows.once[i]))
        except LedgerError as e:
            errors.append(row_error(line, e))
    return errors, skip


def refuse(name: str, *error_lists: list[RowError]) -> None:
    """Raise the core's refusal with every bad row, in file order (one error a row)."""
    merged = sorted((e for errors in error_lists for e in errors), key=lambda e: e.line)
    if merged:
        raise ImportRefused(name, merged)


def created_digest(
    rows: Rows,
    ids: IntArray,
    status: list[str],
    conflicts_with: list[int | None],
    entered_by: str,
    import_id: str,
) -> str:
    """``audit.records_digest`` of the created records' ``OutcomeRecord.audit_view`` (the rows,
    with their new ids), each view's canonical JSON written from a template: the same text
    ``audit.canonical`` gives (sorted keys, no spaces; a test holds them equal), without
    building a dict per record."""
    h = hashlib.sha256()

    def enc(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def encoded(col: list[str]) -> list[str]:
        if _PLAIN.fullmatch("".join(col)):  # nothing JSON escapes: quotes are enough
            return ['"' + v + '"' for v in col]
        return [enc(v) for v in col]

    by, imp = enc(entered_by), enc(import_id)
    metric = {m: enc(m) for m in set(rows.metric)}
    states = {x: enc(x) for x in set(status)}
    refs, sources = encoded(rows.reference), encoded(rows.source)
    who, when, value = rows.participant.tolist(), rows.period.tolist(), rows.value.tolist()
    text = "".join(
        f'{{"conflicts_with":{"null" if c is None else c},"evidence":{{"entered_by":{by},'
        f'"reference":{ref},"source":{src}}},"id":{rid},"import_id":{imp},'
        f'"metric":{metric[m]},"participant":{p},"period":{t},"status":{states[st]},'
        f'"value":{v!r}}}\n'
        for rid, c, ref, src, m, p, t, st, v in zip(
            ids.tolist(),
            conflicts_with,
            refs,
            sources,
            rows.metric,
            who,
            when,
            status,
            value,
            strict=True,
        )
    )
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def import_audit(
    sha256: str,
    name: str,
    rows: int,
    created: list[int],
    flagged: list[int],
    unchanged: int,
    digest: str,
) -> dict[str, Any]:
    """The ``after`` of the import's audit record, as ``importer.import_outcomes`` writes it."""
    return {
        "file": name,
        "sha256": sha256,
        "rows": rows,
        "records": [created[0], created[-1]] if created else None,
        "records_digest": digest,
        "flagged": list(flagged),
        "unchanged": unchanged,
    }
