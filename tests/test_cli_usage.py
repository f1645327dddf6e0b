"""Usage mistakes the command-line parser finds (a value of the wrong type, an unknown option or
command, a missing argument or value) are one sentence in the user's language naming the option,
the value and what is expected, with exit code 2 — not the parser's English usage block."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

CASE = str(EXAMPLES / "impact60-job-education.yaml")
ENTRY = "import sys; from socialinvest.cli import main; sys.argv[0] = 'socialinvest'; main()"


def socialinvest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("run", "--draws", "x", CASE), "fejl: Feltet '--draws' har 'x'; forventet: et helt tal."),
        (
            ("run", "--draws", "x", "--lang", "en", CASE),
            "error: Field '--draws' has 'x'; expected a whole number.",
        ),
        (("run", "--seed=abc", CASE), "fejl: Feltet '--seed' har 'abc'; forventet: et helt tal."),
        (
            ("contract", CASE, "--format", "xml"),
            "fejl: Feltet '--format' har 'xml'; forventet: en af table eller json.",
        ),
        (
            ("run", "--foo", CASE),
            "fejl: '--foo' er ikke et tilvalg til 'socialinvest run'; "
            "se 'socialinvest run --help'.",
        ),
        (
            ("run", "--lang", "en", "--foo", CASE),
            "error: '--foo' is not an option of 'socialinvest run'; see 'socialinvest run --help'.",
        ),
        (("run",), "fejl: 'CASE' mangler; se 'socialinvest run --help'."),
        ((("run", CASE, "--draws")), "fejl: Feltet '--draws': forventet: et helt tal."),
        (
            ("frobnicate",),
            "fejl: 'frobnicate' er ikke en kommando i socialinvest; se 'socialinvest --help'.",
        ),
        (
            ("ledger", "status", "-p", "x", "--user", "u", "--lang", "en"),
            "error: Field '--partnership' has 'x'; expected a whole number.",
        ),
    ],
)
def test_one_sentence_in_the_users_language(args: tuple[str, ...], sentence: str) -> None:
    done = socialinvest(*args)
    assert done.returncode == 2
    assert done.stderr.strip() == sentence
    assert "Usage:" not in done.stderr and "Traceback" not in done.stderr


def test_a_cpr_like_value_is_not_repeated() -> None:
    done = socialinvest("ledger", "status", "-p", "010190-1234", "--user", "u")
    assert done.returncode == 2
    assert "1234" not in done.stderr and "010190" not in done.stderr
    assert done.stderr.startswith("fejl: Feltet '--partnership' har ")


def test_success_and_help_keep_their_exit_codes() -> None:
    assert socialinvest("run", CASE).returncode == 0
    assert socialinvest("run", "--help").returncode == 0
    group = socialinvest("ledger")  # a group without a command shows its help, as before
    assert group.returncode == 2 and "Usage: socialinvest ledger" in group.stdout + group.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("run", CASE), "fejl: Resultatet kunne ikke skrives: No space left on device."),
        (
            ("run", CASE, "--format", "json", "--lang", "en"),
            "error: The output could not be written: No space left on device.",
        ),
        (("knowledge", "list"), "fejl: Resultatet kunne ikke skrives: No space left on device."),
    ],
)
def test_output_that_cannot_be_written_is_one_sentence(
    args: tuple[str, ...], sentence: str
) -> None:
    # /dev/full refuses every write with ENOSPC, as a full disk does
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == sentence
