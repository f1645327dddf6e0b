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
    from socialinvest.errors import InputError
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A text cell a spreadsheet shows and never executes: one that starts with = + - @, a tab
    or a carriage return (which Excel and LibreOffice read as a formula, "CSV injection") gets
    a leading apostrophe, as OWASP recommends. A carriage return becomes a line feed (which
    the CSV writer quotes; a bare one would end the row in some readers); other text is
    unchanged."""
    text_cell = "'" + text if text.startswith(FORMULA_STARTS) else text
    return text_cell.replace("\r\n", "\n").replace("\r", "\n")


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
                spreadsheet_text(result.case.name),
                row["year"],
                spreadsheet_text(str(row["actor"])),
                spreadsheet_text(str(row["area"])),
                spreadsheet_text(row.get("committee") or ""),
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
    regular file (a device, a folder, a pipe) is refused with OSError, and so is a read-only
    file (PermissionError). The new file gets the
    mode of the file it replaces, or the mode the user's umask gives a new file.
    """
    target = Path(path).resolve()
    if target.exists() and not target.is_file():
        raise OSError(errno.EINVAL, "not a regular file")
    if target.exists() and (
        not os.access(target, os.W_OK) or not stat.S_IMODE(target.stat().st_mode) & 0o222
    ):
        # a read-only file is not replaced, even where its folder would allow the rename (and
        # even for root, who may write anything: no write bit set means "keep this file")
        raise PermissionError(errno.EACCES, "the file is read-only")
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


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (links and relative paths resolved)."""
    try:
        if Path(a).exists() and Path(b).exists():
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def write_output(
    path: str | Path, content: str | bytes, inputs: list[Path] | tuple[Path, ...] = ()
) -> None:
    """:func:`write_atomically`, refusing in one sentence a target that is one of the command's
    ``inputs`` or that cannot be written (read-only, a folder, a device, no such folder)."""
    check_target(path, inputs)
    try:
        write_atomically(path, content)
    except OSError as exc:
        raise write_error(path, exc) from None


def check_target(path: str | Path, inputs: list[Path] | tuple[Path, ...] = ()) -> None:
    """Refuse an output file that is one of the command's inputs (before any work is done)."""
    from socialinvest.errors import InputError, msg

    for item in inputs:
        if same_file(path, item):
            raise InputError(
                msg("e_out_is_input", input=str(item)), file=str(path), has_value=False
            )


def write_error(path: str | Path, exc: OSError) -> InputError:
    """One sentence for a file that could not be written."""
    from socialinvest.errors import InputError, msg

    if isinstance(exc, PermissionError):
        key = "e_out_read_only"
    elif exc.errno == errno.EINVAL or Path(path).is_dir():
        key = "e_out_not_file"
    elif exc.errno == errno.ENOENT:
        key = "e_out_no_folder"
    else:
        return InputError(
            msg("e_out_unwritable", code=errno.errorcode.get(exc.errno or 0, "EIO")),
            file=str(path),
            has_value=False,
        )
    return InputError(msg(key), file=str(path), has_value=False)
