"""The command line (`socialinvest …`). User mistakes (a bad case file, an unknown knowledge-base
ID, a bad option) print one sentence to standard error and exit with code 2, never a traceback.

The commands are declared with typer in :mod:`socialinvest.cli.commands` (its names, such as
``app``, are reachable from here too). :func:`main` runs a plain `run` command line
(:func:`socialinvest.cli.run.read_args`) without importing typer: it is the command people run
most, and typer and its parser were ~30 ms of its start-up (docs/architecture.md, "Speed, fifth
pass"); everything else, help and usage errors included, goes through typer.

Standard output that is closed, cannot encode the text or is a pipe closed by its reader never
ends in a traceback (:func:`_standard_streams`, docs/architecture.md, "CLI output that cannot be
written or encoded").
"""

from __future__ import annotations

import codecs
import errno
import importlib
import io
import itertools
import os
import sys
from typing import Any

# what writing the output may meet that is no mistake of the command's: a full disk or quota, a
# device error (a closed pipe is handled as click handles it: quietly, exit 1)
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


class OutputClosed(OSError):
    """Writing to a standard output the command was started without (``>&-``)."""


class _ClosedOutput(io.TextIOBase):
    """Standard output when there is none: Python sets ``sys.stdout`` to None, and the first
    write of anything would be an AttributeError; here it is :class:`OutputClosed`."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            raise OutputClosed(errno.EBADF, "standard output is closed")
        return 0


def _standard_streams() -> None:
    """Standard output and error as the command writes to them: a closed standard output raises
    :class:`OutputClosed` at the first write, a closed standard error swallows the messages (the
    exit code still tells), and a stream whose encoding is not UTF-8 (PYTHONIOENCODING=ascii, a
    Latin-1 locale) writes UTF-8 when it is a file or a pipe (the same bytes as ``--out``) and
    the terminal's encoding with "?" for a character it lacks when it is a terminal. An error
    handler the user chose for standard output (``PYTHONIOENCODING=ascii:replace``) is kept."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None and sys.argv[1:2] != ["serve"]:
        # the web server's access log goes to standard output, or to standard error when there
        # is none (logging.StreamHandler(None)): a stand-in would make each request an error
        sys.stdout = _ClosedOutput()
    for stream, chosen in ((sys.stdout, "strict"), (sys.stderr, "backslashreplace")):
        if not isinstance(stream, io.TextIOWrapper) or stream.errors != chosen:
            continue
        try:
            if codecs.lookup(stream.encoding).name.startswith("utf"):
                continue
        except LookupError:  # pragma: no cover - Python would not have started
            continue
        if not stream.isatty():
            stream.reconfigure(encoding="utf-8")
        elif stream is sys.stdout:
            stream.reconfigure(errors="replace")


def main() -> None:
    """Entry point of the `socialinvest` command. Output that cannot be written (a full disk, a
    closed standard output) is one sentence on standard error and exit code 1, not a
    traceback."""
    _standard_streams()
    try:
        _main()
    except OSError as error:
        if error.errno not in _OUTPUT_ERRNOS and not isinstance(error, OutputClosed):
            raise
        from socialinvest.cli.run import echo_err
        from socialinvest.output.messages import text

        lang = "en" if _asked_for_english(sys.argv[1:]) else "da"
        if isinstance(error, OutputClosed):
            reason = text(lang, "us_stdout_closed")
        else:
            reason = error.strerror or type(error).__name__
        # nothing more reaches the broken output, not even the interpreter's flush at exit
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        echo_err(text(lang, "err_prefix") + text(lang, "us_output_failed", reason=reason))
        raise SystemExit(1) from None


def _asked_for_english(args: list[str]) -> bool:
    return "--lang=en" in args or any(
        a == "--lang" and b == "en" for a, b in itertools.pairwise(args)
    )


def _main() -> None:
    from socialinvest.cli.run import read_args

    args = read_args(sys.argv[1:])
    if args is None:
        importlib.import_module("socialinvest.cli.commands").main()
        return
    from socialinvest.process import keep_freed_memory, pin_environment

    pin_environment()  # one OpenBLAS thread unless the user chose one (numpy is not loaded yet)
    keep_freed_memory()  # large arrays reuse freed memory instead of fresh pages
    _run(args)


def _run(args: dict[str, Any]) -> None:
    """`run` as typer's command runs it: the application's callback first, then the command,
    with click's handling of an interrupt, the end of input and a closed pipe."""
    import errno
    import warnings

    from socialinvest.cli.run import echo_err, run_cases
    from socialinvest.errors import InputError

    warnings.filterwarnings("ignore", category=RuntimeWarning)  # cli.commands._quiet_numbers
    try:
        run_cases(**args)
    except InputError as error:  # pragma: no cover - run_cases reports its own
        echo_err(f"error: {error.message}")
        raise SystemExit(2) from None
    except EOFError:  # the end of input at a prompt
        from socialinvest.output.messages import text

        sys.stderr.write("\n")
        echo_err(text(args.get("lang", "da"), "us_aborted"))
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        try:
            utils = importlib.import_module("typer._click.utils")
        except ImportError:  # typer before 0.29 (pyproject allows 0.12) uses click itself
            utils = importlib.import_module("click.utils")

        sys.stdout = utils.PacifyFlushWrapper(sys.stdout)
        sys.stderr = utils.PacifyFlushWrapper(sys.stderr)
        raise SystemExit(1) from None


def __getattr__(name: str) -> Any:
    """The typer application and the other names of :mod:`socialinvest.cli.commands`."""
    commands = importlib.import_module("socialinvest.cli.commands")
    try:
        return getattr(commands, name)
    except AttributeError:
        raise AttributeError(f"module 'socialinvest.cli' has no attribute {name!r}") from None
