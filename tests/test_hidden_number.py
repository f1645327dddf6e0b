"""A number that could be a CPR number is never repeated in an error; the marker left in its place
is in the message's language ("[nummer ikke vist]" in Danish, "[number not shown]" in English)."""

from __future__ import annotations

import subprocess
import sys

from socialinvest.errors import InputError, scrub
from socialinvest.ledger.errors import LedgerError

ENTRY = "import sys; from socialinvest.cli import main; sys.argv[0] = 'socialinvest'; main()"


def test_an_input_error_shows_the_marker_in_its_language() -> None:
    error = InputError("a whole number", field="--draws", value=scrub("0101901234"))
    assert error.render("da") == (
        "Feltet '--draws' har '[nummer ikke vist]'; forventet: a whole number."
    )
    assert error.render("en") == (
        "Field '--draws' has '[number not shown]'; expected a whole number."
    )


def test_a_ledger_error_shows_the_marker_in_its_language() -> None:
    error = LedgerError("key_format", source="010190-1234.txt")
    assert error.message_in("da").startswith("[nummer ikke vist].txt: ")
    assert error.message_in("en").startswith("[number not shown].txt: ")
    assert "1234" not in error.render("da") and "nummer ikke vist" in error.render("da")


def test_the_command_line_hides_the_number_in_danish() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "ledger", "status", "-p", "010190-1234", "--user", "u"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "fejl: Feltet '--partnership' har '[nummer ikke vist]'; forventet: et helt tal."
    )
