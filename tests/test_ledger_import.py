"""Importing outcomes from CSV and XLSX: all or nothing, every bad row named, idempotent,
contradictions flagged for the evaluator, never overwritten."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.importer import ImportRefused, import_outcomes

from .ledger_support import ELIGIBLE, INVESTOR, PAYER, PROVIDER, small_ledger

CPR = synthetic_numbers(3, seed=31)


def _ledger(fixture_kb):
    ledger = small_ledger(fixture_kb)
    for n in CPR:
        ledger.enrol(PAYER, n, dt.date(2024, 1, 8), "2024", ELIGIBLE)
    return ledger


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    "participant,metric,period,value,source,reference\n"
    "1,job,2,1,Jobcenter,J-1\n"
    "1,in_work,2,13,Jobcenter,J-2\n"
    '2,in_work,3,"6,5",Jobcenter,J-3\n'
)


def test_import_is_idempotent(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    path = _write(tmp_path, "outcomes.csv", GOOD)
    first = import_outcomes(ledger, PROVIDER, path)
    assert (len(first.created), first.flagged, first.unchanged) == (3, (), 0)
    assert ledger.records[3].value == 6.5 and ledger.records[3].evidence.reference == "J-3"
    n_audit = len(ledger.audit.records)
    again = import_outcomes(ledger, PROVIDER, path)
    assert again.already_imported and again.created == ()
    assert len(ledger.records) == 3 and len(ledger.audit.records) == n_audit
    # the same rows in another file (one more row) change only what is new
    path2 = _write(tmp_path, "more.csv", GOOD + "3,job,4,1,Jobcenter,J-4\n")
    more = import_outcomes(ledger, PROVIDER, path2)
    assert (len(more.created), more.unchanged) == (1, 3)


def test_a_contradicting_row_is_flagged_not_overwritten(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    import_outcomes(ledger, PROVIDER, _write(tmp_path, "a.csv", GOOD))
    changed = GOOD.replace("1,in_work,2,13", "1,in_work,2,9")
    result = import_outcomes(ledger, PROVIDER, _write(tmp_path, "b.csv", changed))
    assert len(result.flagged) == 1 and result.unchanged == 2
    flagged = ledger.records[result.flagged[0]]
    assert (flagged.status, flagged.value, flagged.conflicts_with) == ("conflict", 9, 2)
    assert ledger.records[2].value == 13 and ledger.records[2].status == "entered"


def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    text = (
        "cpr;metric;date;value;source;reference\n"
        f"{CPR[0]};job;2024-04-15;1;Jobcenter;J-1\n"  # line 2: good
        f"{CPR[1]};in_work;2024-04-15;14;Jobcenter;J-2\n"  # line 3: too many weeks
        "6101201234;job;2024-04-15;1;Jobcenter;J-3\n"  # line 4: nobody enrolled
        "\n"  # line 5: empty (skipped)
        f"{CPR[2]};job;15/04/2024;1;Jobcenter;J-4\n"  # line 6: not a date
        f"{CPR[2]};in_work;2024-07-01;x;Jobcenter;J-5\n"  # line 7: not a number
        "0101501234;job;2024-04-15;1;Jobcenter;J-6\n"  # line 8: a real-looking number in demo
        f"{CPR[0]};in_work;2024-04-15;13;;J-7\n"  # line 9: no source
        f"{CPR[0]};job;2024-04-20;1;Jobcenter;J-1\n"  # line 10: same as line 2 (fine)
        f"{CPR[0]};in_work;2024-07-02;13;Jobcenter;J-8\n"  # line 11: good
        f"{CPR[0]};in_work;2024-07-03;12;Jobcenter;J-9\n"  # line 12: contradicts line 11
    )
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ImportRefused) as info:
        import_outcomes(ledger, PROVIDER, path)
    lines = [e.line for e in info.value.errors]
    assert lines == [3, 4, 6, 7, 8, 9, 12]
    message = str(info.value)
    assert "bad.csv" in message and "7 bad row(s)" in message
    assert "line 3: " in message and "expected 0 to 13 per period" in message
    assert "line 12: contradicts line 11" in message
    assert "linje 4" in info.value.message_in("da")
    for n in (*CPR, "6101201234", "0101501234"):
        assert n not in message and n not in info.value.message_in("da")
    assert ledger.records == {} and ledger.imports == {}


def test_xlsx_import(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    book = Workbook()
    sheet = book.active
    sheet.append(["Participant", "Metric", "Date", "Value", "Source", "Reference"])
    sheet.append([1, "job", dt.datetime(2024, 4, 15), 1, "Jobcenter", "X-1"])
    sheet.append([2, "in_work", dt.date(2024, 7, 2), 12.5, "Jobcenter", "X-2"])
    sheet.append([2, "in_work", dt.date(2024, 10, 2), 20, "Jobcenter", "X-3"])
    path = tmp_path / "outcomes.xlsx"
    book.save(path)
    with pytest.raises(ImportRefused, match=r"line 4: .*expected 0 to 13"):
        import_outcomes(ledger, PROVIDER, path)
    sheet.delete_rows(4)
    book.save(path)
    result = import_outcomes(ledger, PROVIDER, path)
    assert len(result.created) == 2
    assert (ledger.records[1].period, ledger.records[2].period, ledger.records[2].value) == (
        2,
        3,
        12.5,
    )


def test_file_level_mistakes(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    with pytest.raises(LedgerError, match='unknown column "weeks"'):
        import_outcomes(ledger, PROVIDER, _write(tmp_path, "a.csv", "participant,weeks\n1,2\n"))
    with pytest.raises(LedgerError, match="expected the columns"):
        import_outcomes(ledger, PROVIDER, _write(tmp_path, "b.csv", "participant,metric\n1,job\n"))
    with pytest.raises(LedgerError, match="cannot be read as XLSX"):
        import_outcomes(ledger, PROVIDER, _write(tmp_path, "c.xlsx", "not a workbook"))
    with pytest.raises(LedgerError, match="only the provider or payer"):
        import_outcomes(ledger, INVESTOR, _write(tmp_path, "d.csv", GOOD))


def test_a_cpr_number_in_the_wrong_column_is_never_shown(tmp_path, fixture_kb):
    ledger = _ledger(fixture_kb)
    hyphen = f"{CPR[0][:6]}-{CPR[0][6:]}"
    text = (
        "participant,metric,period,value,source,reference\n"
        f"{CPR[0]},job,2,1,Jobcenter,J-1\n"  # the number where the id belongs
        f"1,{hyphen},2,1,Jobcenter,J-2\n"  # ... where the metric belongs
        f"1,job,{CPR[1]},1,Jobcenter,J-3\n"
        f"1,in_work,2,{CPR[2][1:]},Jobcenter,J-4\n"  # nine digits: a number without its 0
    )
    with pytest.raises(ImportRefused) as info:
        import_outcomes(ledger, PROVIDER, _write(tmp_path, f"{CPR[2]}.csv", text))
    shown = str(info.value) + info.value.message_in("da") + repr(info.value)
    assert [e.line for e in info.value.errors] == [2, 3, 4, 5]
    for n in (*CPR, hyphen, CPR[2][1:]):
        assert n not in shown
    assert "[number not shown]" in shown
