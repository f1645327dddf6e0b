"""A plain `socialinvest run` command line runs without typer (socialinvest.cli.run.read_args):
the same output, messages and exit codes as through typer (cli.commands.main), and anything it
does not read word for word goes to typer."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from socialinvest.cli.run import Format, Lang, read_args
from tests.conftest import EXAMPLES

CASE = str(EXAMPLES / "impact60-job-education.yaml")
UNCERTAIN = str(EXAMPLES / "impact60-uncertain.yaml")
FAST = "import sys; from socialinvest.cli import main; sys.argv[0] = 'socialinvest'; main()"
TYPER = (
    "import sys; from socialinvest.cli.commands import main; sys.argv[0] = 'socialinvest'; main()"
)
CHECK = (
    "; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich')))"
)


def both(*args: str, cwd: Path | None = None) -> tuple[tuple, tuple]:
    def one(entry: str) -> tuple:
        done = subprocess.run(
            [sys.executable, "-c", entry, *args], capture_output=True, text=True, cwd=cwd
        )
        return done.returncode, done.stdout, done.stderr

    return one(FAST), one(TYPER)


@pytest.mark.parametrize(
    "args",
    [
        ("run", CASE),
        ("run", CASE, "--lang", "en"),
        ("run", "--lang=en", "-f", "csv", CASE),
        ("run", CASE, "--format", "json", "-n", "20", "-s", "3"),
        ("run", UNCERTAIN, "--draws=50", "--seed=0", "--lang", "en"),
        ("run", CASE, CASE, "-f", "csv"),
        ("run", "no-such-case.yaml"),  # the case's own error, one sentence
        ("run", CASE, "--draws", "100000000"),  # above the limit
        ("run", CASE, "--workers", "2"),  # a cluster needs draws
        ("run", CASE, "--scheduler", "tcp://127.0.0.1:1", "--workers", "1", "-n", "5"),
        ("run", CASE, "--out", CASE),  # never over an input
        ("run", CASE, "--draws", "0"),  # typer's: below the minimum
        ("run", CASE, "--lang", "de"),
        ("run", CASE, "-n5", "-s", "1"),
        ("run", CASE, "--lang", "en", "--lang", "da"),
    ],
)
def test_the_same_as_through_typer(args):
    fast, through_typer = both(*args)
    assert fast == through_typer


def test_writing_a_file_reads_the_same(tmp_path):
    said = []
    for name, entry in (("fast.txt", FAST), ("typer.txt", TYPER)):
        done = subprocess.run(
            [sys.executable, "-c", entry, "run", CASE, "-o", str(tmp_path / name)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and done.stdout == ""
        assert name in done.stderr
        said.append(done.stderr.replace(name, "FILE"))
    assert said[0] == said[1]
    assert (tmp_path / "fast.txt").read_text() == (tmp_path / "typer.txt").read_text()


def test_a_plain_run_imports_neither_typer_nor_rich():
    done = subprocess.run(
        [sys.executable, "-c", FAST.replace("main()", "main()" + CHECK), "run", CASE],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "[]"


def test_what_is_read_without_typer():
    case = Path(CASE)
    assert read_args(["run", CASE]) == {"cases": [case]}
    assert read_args(["run", CASE, "-n", "10", "--seed=0", "--lang", "en", "-f", "json"]) == {
        "cases": [case],
        "draws": 10,
        "seed": 0,
        "lang": Lang.en,
        "fmt": Format.json,
    }
    assert read_args(["run", "--scheduler", "tcp://h:1", "--workers", "2", CASE, "-o", "x.txt"])[
        "out"
    ] == Path("x.txt")
    for refused in (
        ["run"],  # no case
        ["validate", CASE],
        ["run", CASE, "--help"],
        ["run", CASE, "--draws", "010"],  # typer's number reading decides
        ["run", CASE, "--draws", "-3"],
        ["run", CASE, "--seed", "1.5"],
        ["run", CASE, "--format", "JSON"],
        ["run", CASE, "--out", ""],
        ["run", CASE, "--out"],
        ["run", CASE, "--", "-x.yaml"],
        ["run", CASE, "-n=5"],
        ["run", CASE, "-n", "5", "--draws", "6"],
        ["run", ""],
    ):
        assert read_args(refused) is None, refused


def test_shell_completion_and_unreadable_files_go_to_typer(tmp_path, monkeypatch):
    monkeypatch.setenv("_SOCIALINVEST_COMPLETE", "bash_complete")
    assert read_args(["run", CASE]) is None
    monkeypatch.delenv("_SOCIALINVEST_COMPLETE")
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: x\n")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):  # root reads anything: typer's check passes too
            assert read_args(["run", str(locked)]) is not None
        else:
            assert read_args(["run", str(locked)]) is None
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.parametrize("entry", [FAST, TYPER], ids=["fast", "typer"])
def test_an_error_on_an_ascii_standard_error_is_written_as_before(entry, tmp_path):
    """main before the fast path wrote its errors with typer's echo, which writes UTF-8 to a
    standard error Python has set to ASCII; Python's own write gives a backslash escape."""
    missing = tmp_path / "sag-æ.yaml"
    done = subprocess.run(
        [sys.executable, "-c", entry, "run", str(missing)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert done.returncode == 2
    assert b"sag-\xc3\xa6.yaml" in done.stderr  # æ as UTF-8
    assert b"\\xe6" not in done.stderr
    assert done.stderr.count(b"\n") == 1  # one sentence


@pytest.mark.filterwarnings("ignore:.*PacifyFlushWrapper:DeprecationWarning")  # click 8.5's name
@pytest.mark.parametrize("bundled_click", [True, False], ids=["typer-0.29", "older-typer"])
def test_a_closed_pipe_exits_1_quietly_with_any_typer(monkeypatch, bundled_click):
    """click ends a command whose output pipe was closed with exit code 1 and no message; the
    fast path does too, also with a typer before 0.29 (no typer._click: click itself)."""
    import errno

    import socialinvest.cli
    import socialinvest.cli.run

    if not bundled_click:
        monkeypatch.setitem(sys.modules, "typer._click", None)
        monkeypatch.setitem(sys.modules, "typer._click.utils", None)

    def closed_pipe(**_: object) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(socialinvest.cli.run, "run_cases", closed_pipe)
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # restored after the test
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    with pytest.raises(SystemExit) as exited:
        socialinvest.cli._run({"cases": []})
    assert exited.value.code == 1
    sys.stdout.flush()  # the wrapper keeps a flush at exit quiet
