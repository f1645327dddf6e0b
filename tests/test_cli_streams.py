"""Output the command line cannot write or encode ends without a traceback (docs/architecture.md,
"CLI output that cannot be written or encoded"): a closed standard output is one sentence and exit
code 1, a pipe its reader closed ends quietly, a standard output that cannot encode Danish letters
gets UTF-8 (a file or a pipe) or "?" for what a terminal lacks, and a percentage beyond what a
decimal pattern holds is written as 1.000e+27 %. Each runs through the fast `run` path and through
typer (``-n1`` is not read by socialinvest.cli.run.read_args, so it goes to typer)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from socialinvest.output.numbers import percent
from tests.conftest import EXAMPLES

CASE = str(EXAMPLES / "impact60-job-education.yaml")
UNCERTAIN = str(EXAMPLES / "impact60-uncertain.yaml")
ENTRY = "import sys; from socialinvest.cli import main; sys.argv[0] = 'socialinvest'; main()"
FAST = ("run", CASE)
TYPER = ("run", CASE, "-n1")
CLOSED_DA = (
    "fejl: Resultatet kunne ikke skrives: standardoutput er lukket; send det til en fil med "
    "'> FIL' eller '--out FIL'.\n"
)
CLOSED_EN = (
    "error: The output could not be written: standard output is closed; send it to a file with "
    "'> FILE' or '--out FILE'.\n"
)


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, *args]


def env(**more: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return base | more


def closed_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    """The command started with file descriptor 1 closed, as ``socialinvest … >&-``."""
    return subprocess.run(
        command(*args),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
        env=env(),
    )


# --- 1. a closed standard output, a closed pipe ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (FAST, CLOSED_DA),
        (TYPER, CLOSED_DA),
        (("run", CASE, "-f", "json", "--lang", "en"), CLOSED_EN),
        (("compare", CASE, UNCERTAIN, "--lang", "en"), CLOSED_EN),  # a typer command, Rich
    ],
)
def test_closed_standard_output_is_one_sentence_and_exit_code_1(args, sentence):
    done = closed_stdout(*args)
    assert (done.returncode, done.stderr) == (1, sentence)


@pytest.mark.parametrize("args", [FAST, TYPER])
def test_closed_standard_output_does_not_matter_with_out(tmp_path, args):
    target = tmp_path / "result.txt"
    done = closed_stdout(*args, "--out", str(target))
    assert (done.returncode, done.stderr) == (0, f"Skrev {target}.\n")
    assert "sårbare" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [FAST, TYPER])
def test_closed_standard_error_loses_only_the_messages(tmp_path, args):
    target = tmp_path / "result.txt"
    done = subprocess.run(
        command(*args, "--out", str(target)),
        capture_output=True,
        preexec_fn=lambda: os.close(2),
        env=env(),
    )
    assert (done.returncode, done.stdout) == (0, b"")
    assert target.read_text(encoding="utf-8").startswith("Business case: Job- og uddannelses")
    bad = subprocess.run(
        command("run", str(tmp_path / "missing.yaml")),
        capture_output=True,
        preexec_fn=lambda: os.close(2),
        env=env(),
    )
    assert (bad.returncode, bad.stdout) == (2, b"")


def test_the_web_server_keeps_no_standard_output_as_python_leaves_it(monkeypatch):
    """`serve >&-`: uvicorn's access log then goes to standard error (logging's
    StreamHandler(None)); a stand-in that raises would turn every request into a logging error."""
    from socialinvest.cli import _standard_streams

    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "argv", ["socialinvest", "serve"])
    _standard_streams()
    assert sys.stdout is None
    monkeypatch.setattr(sys, "argv", ["socialinvest", "run", CASE])
    _standard_streams()
    with pytest.raises(OSError, match="standard output is closed"):
        print("Business case")


@pytest.mark.parametrize("args", [FAST, TYPER, ("compare", CASE, UNCERTAIN)])
def test_a_pipe_closed_before_the_output_ends_quietly_with_exit_code_1(args):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write is EPIPE
    try:
        done = subprocess.run(command(*args), stdout=write, stderr=subprocess.PIPE, env=env())
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, b"")


@pytest.mark.parametrize("extra", [(), ("-n1",), ("-f", "csv")])
def test_a_reader_that_stops_after_one_line_sees_no_traceback(extra):
    """As ``socialinvest run … | head -1`` with ~450 kB of output: the reader closes the pipe
    while the command writes. Exit code 1 when the write meets the closed pipe, 0 when the
    system reports the partial write as done (it does on some kernels); never a message."""
    proc = subprocess.Popen(
        command("run", *[CASE] * 40, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    error = proc.stderr.read()
    assert proc.wait() in (0, 1)
    assert error == b""
    assert first.startswith((b"Business case: Job- og", b"case;year;"))


# --- 2. a standard output that cannot encode the text -----------------------------------------


def encoded(encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command(*args), capture_output=True, env=env(PYTHONIOENCODING=encoding))


@pytest.mark.parametrize(
    "args",
    [FAST, TYPER, ("run", CASE, "-f", "json"), ("run", CASE, "-f", "csv"), ("compare", CASE, CASE)],
)
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_file_or_pipe_that_cannot_encode_the_text_gets_utf8(args, encoding):
    done = encoded(encoding, *args)
    utf8 = encoded("utf-8", *args)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == utf8.stdout  # the same bytes as on a UTF-8 pipe (and with --out)
    shown = done.stdout.decode("utf-8")
    assert "psykisk sårbare kontanthjælpsmodtagere" in shown or "Nøgletal" in shown  # compare


def test_an_error_handler_the_user_chose_is_kept():
    done = encoded("ascii:replace", *FAST)
    assert done.returncode == 0
    assert done.stdout.startswith(b"Business case: Job- og uddannelsesindsats for psykisk s?rbare")


@pytest.mark.parametrize("args", [("run", "missing.yaml"), ("run", "missing.yaml", "-n1")])
def test_an_error_on_an_ascii_standard_error_is_utf8(args):
    done = encoded("ascii", *args)
    assert done.returncode == 2
    assert done.stderr.decode("utf-8") == (
        "fejl: missing.yaml: forventet: en fil, der findes (der er ingen fil med dette navn).\n"
    )


def on_a_terminal(encoding: str, *args: str) -> tuple[int, bytes, bytes]:
    main, side = pty.openpty()
    proc = subprocess.Popen(
        command(*args),
        stdout=side,
        stderr=subprocess.PIPE,
        env=env(PYTHONIOENCODING=encoding, NO_COLOR="1", COLUMNS="160"),
    )
    os.close(side)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other side closed (EIO on Linux)
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.stderr is not None
    return proc.wait(), shown, proc.stderr.read()


@pytest.mark.parametrize("args", [FAST, TYPER])
def test_a_terminal_shows_what_its_encoding_holds_and_a_question_mark_for_the_rest(args):
    code, shown, error = on_a_terminal("ascii", *args)
    assert (code, error) == (0, b"")
    assert b"Business case: Job- og uddannelsesindsats for psykisk s?rbare" in shown
    assert b"Priser i 2023-niveau ? 1 tr?kning(er)" in shown  # "·" and "æ" are not ASCII
    code, shown, error = on_a_terminal("latin-1", *args)
    assert (code, error) == (0, b"")
    # Latin-1 holds æ, ø, å and "·": the terminal shows them
    assert "Priser i 2023-niveau · 1 trækning(er)".encode("latin-1") in shown


# --- 3. numbers beyond Decimal's 28 digits ---------------------------------------------------


def test_percentages_of_1e18_and_more_are_written_with_an_exponent():
    # 1e25 is 1e27 %, where Decimal's 28 digits and one decimal no longer fit
    assert percent(1e25, "da") == "1.000e+27 %"
    assert percent(-3.7e40, "en") == "-3.700e+42%"
    assert percent(1e16, "en", 0) == "1.000e+18%"
    # below 1e18 % every digit, grouped by three: 1e15 is 1e17 %
    assert percent(1e15, "da") == "100.000.000.000.000.000,0 %"
    assert percent(1e15, "en", 2) == "100,000,000,000,000,000.00%"


@pytest.mark.parametrize(("extra", "marker"), [((), " %"), (("-n1", "--lang", "en"), "%")])
def test_a_case_whose_break_even_rate_is_astronomical_runs(tmp_path, extra, marker):
    """Consequences of 1e-30 units per success make each success worth next to nothing, so the
    success rate at which the case breaks even is around 1e33 %: it used to end in
    decimal.InvalidOperation."""
    text = (EXAMPLES / "impact60-job-education.yaml").read_text(encoding="utf-8")
    text = text.replace("[-8, -10, -9, -8, -7, -6, -5, -4, -3, -3]", "[-1e-30]")
    text = text.replace("[-3, -3, -2, -2, -1, -1]", "[-1e-30]")
    assert text.count("[-1e-30]") == 2
    case = tmp_path / "tiny-effect.yaml"
    case.write_text(text, encoding="utf-8")
    done = subprocess.run(
        command("run", str(case), *extra), capture_output=True, text=True, env=env()
    )
    assert (done.returncode, done.stderr) == (0, "")
    rows = [
        line
        for line in done.stdout.splitlines()
        if "Break-even-succesrate" in line or "Break-even success rate" in line
    ]
    assert len(rows) == 1
    assert re.search(r"\b[1-9]\.\d{3}e\+3[0-9]" + re.escape(marker), rows[0]), rows[0]
