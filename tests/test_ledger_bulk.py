"""The set-based import's parts: its digest of the records it creates is ``audit.records_digest``
of their audit views (written from a template, so it must give the same text as
``audit.canonical``), and its reader by column gives what the core's reader gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socialinvest.ledger import bulk
from socialinvest.ledger.audit import records_digest
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.importer import read_columns, read_rows


def test_the_created_records_digest_is_the_audit_digest_of_their_views() -> None:
    rows = bulk.Rows(
        line=np.array([2, 3, 4]),
        participant=np.array([1, 2, 3]),
        metric=["mæl", 'q"x', "a\\b"],
        period=np.array([1, 2, 3]),
        value=np.array([1.0, 0.1, 1e-20]),
        source=["Jøb\tx", "s", "\u2028"],
        reference=["r\n", "\x01", "é"],
        once=np.zeros(3, dtype=bool),
        total=3,
    )
    ids = np.array([7, 8, 9])
    status = ["entered", "conflict", "entered"]
    conflicts = [None, 3, None]
    views = [
        {
            "id": int(ids[i]),
            "participant": int(rows.participant[i]),
            "metric": rows.metric[i],
            "period": int(rows.period[i]),
            "value": float(rows.value[i]),
            "evidence": {
                "source": rows.source[i],
                "reference": rows.reference[i],
                "entered_by": "ulå",
            },
            "status": status[i],
            "conflicts_with": conflicts[i],
            "import_id": "abc",
        }
        for i in range(3)
    ]
    digest = bulk.created_digest(rows, ids, status, conflicts, "ulå", "abc")
    assert digest == records_digest(views)
    # and it changes when any record does
    views[1]["value"] = 0.2
    assert digest != records_digest(views)


CSV_CASES = [
    "participant,metric,period,value,source,reference\n1,job,1,1,J,R\n",
    "participant;metric;period;value;source;reference\n 1 ; job;2;2,5; Jobcenter Aalborg ;R 1\n\n"
    ";;;;;\n3;in_work\n4;in_work;1;13;J;R;extra;more\n",
    "\ufeffPARTICIPANT,Metric,period,value,source,reference\n\n\n2,job,1,1,J,R",
    'participant,metric,period,value,source,reference\n1,"job",1,1,"J, A","R\nS"\n',
    "participant,metric,period,value,source,reference\r\n1,job,1,1,J,R\r\n",
    "participant,metric,period,value,source,reference\n1,job,1,1,J\u00a0,\u2003R\n",
    "participant,metric,period,value,source,reference\n",
]


@pytest.mark.parametrize("content", CSV_CASES)
def test_reading_by_column_gives_the_rows_read_one_by_one(content: str) -> None:
    data = content.encode("utf-8")
    header, table = read_rows(Path("x.csv"), data)
    header2, lines, columns = read_columns(Path("x.csv"), data)
    assert header2 == header
    assert lines == [n for n, _ in table]
    width = len(header)
    rows = [cells[:width] + [""] * (width - len(cells)) for _, cells in table]
    assert [list(r) for r in zip(*columns, strict=True)] == rows
    assert len(columns) == width


def test_reading_by_column_refuses_what_reading_rows_refuses() -> None:
    for data in (b"", b"\n;;\n", b"\xff\xfe"):
        with pytest.raises(LedgerError) as one:
            read_rows(Path("x.csv"), data)
        with pytest.raises(LedgerError) as other:
            read_columns(Path("x.csv"), data)
        assert one.value.message == other.value.message
