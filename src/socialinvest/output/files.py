"""Machine-readable output (JSON, CSV) and writing files without leaving half-written ones."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialinvest.output.numbers import number

if TYPE_CHECKING:
    from socialinvest.result import Result


def to_json(results: list[Result]) -> str:
    payload: Any = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = [
    "case",
    "year",
    "actor",
    "area",
    "committee",
    "gains",
    "costs",
    "net",
    "discounted_net",
]


def to_csv(results: list[Result], lang: str) -> str:
    """The yearly long table. Danish: ';' between fields and decimal comma (as Danish Excel
    expects); English: ',' and decimal point."""
    buffer = io.StringIO()
    delimiter = ";" if lang == "da" else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        for row in result.yearly_rows():
            values = [
                result.case.name,
                row["year"],
                row["actor"],
                row["area"],
                row.get("committee") or "",
            ]
            for key in ("gains", "costs", "net", "discounted_net"):
                if lang == "da":
                    values.append(number(row[key], "da", 2).replace(".", ""))
                else:
                    values.append(f"{row[key]:.2f}")
            writer.writerow(values)
    return buffer.getvalue()


def write_atomically(path: str | Path, content: str | bytes) -> None:
    """Write to a temporary file beside the target, then rename: all or nothing.

    Text is written as UTF-8; bytes (a PDF, an XLSX) as they are.

    A symbolic link is followed (its target is written); anything that exists and is not a
    regular file (a device, a folder, a pipe) is refused with OSError. The new file gets the
    mode of the file it replaces, or the mode the user's umask gives a new file.
    """
    target = Path(path).resolve()
    if target.exists() and not target.is_file():
        raise OSError(errno.EINVAL, "not a regular file")
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
