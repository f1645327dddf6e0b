"""The command line (`socialinvest …`). User mistakes (a bad case file, an unknown knowledge-base
ID, a bad option) print one sentence to standard error and exit with code 2, never a traceback.

The commands are declared with typer in :mod:`socialinvest.cli.commands` (its names, such as
``app``, are reachable from here too). :func:`main` runs a plain `run` command line
(:func:`socialinvest.cli.run.read_args`) without importing typer: it is the command people run
most, and typer and its parser were ~30 ms of its start-up (docs/architecture.md, "Speed, fifth
pass"); everything else, help and usage errors included, goes through typer.
"""

from __future__ import annotations

import errno
import importlib
import itertools
import sys
from typing import Any

# what writing the output may meet that is no mistake of the command's: a full disk or quota, a
# device error (a closed pipe is handled as click handles it: quietly, exit 1)
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def main() -> None:
    """Entry point of the `socialinvest` command. Output that cannot be written (a full disk) is
    one sentence on standard error and exit code 1, not a traceback."""
    try:
        _main()
    except OSError as error:
        if error.errno not in _OUTPUT_ERRNOS:
            raise
        import os

        from socialinvest.cli.run import echo_err
        from socialinvest.output.messages import text

        lang = "en" if _asked_for_english(sys.argv[1:]) else "da"
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
