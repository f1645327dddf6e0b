"""The web application's and the ledger's commands speak the user's language, as the main
commands do: typical mistakes across ``users``, ``db``, ``demo`` and ``ledger …`` are one
Danish sentence without ``--lang`` (exit code 2, no traceback) and one English sentence with
``--lang en``; the text output is Danish too, with Danish number formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from ..test_hostile import ENGLISH_WORDS
from .ledger_web_support import Deal, make_deal, use_key
from .test_api import Ran, _cli

# Danish words that an English sentence never has (checked outside quoted values)
DANISH_WORDS = re.compile(
    r"\b(feltet|forventet|eller|ikke|har|må|til|af|og|intet|en|et|der|som|fil|kan|linje|"
    r"række|partnerskab|adgangskode|bruger)\b"
)
# names a user types as they are (a format, a role's name in the refusal) are not English prose
IDENTIFIERS = re.compile(r"\b(text|json|pdf|xlsx|investor|evaluator)\b")


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def one_sentence(ran: Ran) -> str:
    """Exit code 2, one line on standard error ending with '.', no traceback, no output."""
    assert ran.returncode == 2, (ran.returncode, ran.stdout[-300:], ran.stderr)
    assert "Traceback" not in ran.stderr + ran.stdout and ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("."), ran.stderr
    return lines[0]


def _one_person(deal: Deal, tmp_path: Path) -> Path:
    """An enrolment file of the deal's first (synthetic) CPR number, enrolled 15 January 2024."""
    people = tmp_path / "people.csv"
    people.write_text(f"cpr,enrolled,cohort\n{deal.numbers[0]},2024-01-15,2024\n", "utf-8")
    return people


def _mistakes(deal: Deal, db_url: str, tmp_path: Path) -> list[list[str]]:
    p = ["-p", str(deal.id)]
    d = ["--database", db_url]
    missing = str(tmp_path / "no-such-file.csv")
    not_json = tmp_path / "backup.json"
    not_json.write_text("{not json", encoding="utf-8")
    amend = ["ledger", "amend", *p, "--user", "pia", "--from", "2", "--reference", "A"]
    statement = ["ledger", "statement", *p, "--user", "pia", "--period", "1"]
    indigo = ["ledger", "indigo", *p, "--user", "pia"]
    return [
        ["users", "create", "--organisation", "X", "x!", *d],  # a user name that cannot be
        ["users", "create", "--organisation", "X", "bo", *d],  # no password on standard input
        ["users", "password", "nobody", *d],
        ["db", "upgrade", "--database", "mysql://u@h/db"],
        ["demo", "load", "--owner", "nobody", *d],
        ["ledger", "status", *p, "--user", "pia", "--format", "xml", *d],
        ["ledger", "status", "-p", "999", "--user", "pia", *d],
        ["ledger", "status", *p, "--user", "nobody", *d],
        ["ledger", "settle", *p, "--user", "ivan", "--period", "1", "--approve", *d],
        ["ledger", "enrol", *p, "--user", "pia", "--file", missing, *d],
        ["ledger", "verify-outcomes", *p, "--user", "eva", *d],
        ["ledger", "exit", "1", *p, "--user", "pia", "--date", "2024-13-01", *d],
        [*amend, "--agreed-by", "Provider", "--intake", "x,4", *d],
        [*statement, "--out", str(tmp_path / "s.pdf"), "--format", "xlsx", *d],
        [*indigo, "--out", str(tmp_path / "i.json"), "--draws", "1", *d],
        ["ledger", "restore", str(not_json), "--user", "pia", *d],
    ]


def _prose(line: str) -> str:
    """The sentence without what it quotes (values, options, placeholders' names, paths)."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|--[\w-]+|\b[A-Z_]{2,}\b|\S*/\S*", " ", line)
    return IDENTIFIERS.sub(" ", text.lower())


def test_typical_mistakes_are_one_danish_sentence_by_default_and_english_with_lang_en(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    mistakes = _mistakes(deal, db_url, tmp_path)
    assert len(mistakes) >= 10
    danish_seen: set[str] = set()
    for args in mistakes:
        da = one_sentence(_cli(args, tmp_path))
        assert da.startswith("fejl: "), (args, da)
        body = _prose(da.removeprefix("fejl: "))
        assert not ENGLISH_WORDS.findall(body), (args, da, ENGLISH_WORDS.findall(body))
        en = one_sentence(_cli([*args, "--lang", "en"], tmp_path))
        assert en.startswith("error: "), (args, en)
        english = _prose(en.removeprefix("error: "))
        assert not DANISH_WORDS.findall(english), (args, en, DANISH_WORDS.findall(english))
        assert ENGLISH_WORDS.findall(english), (args, en)  # it is English, not just names
        danish_seen.add(da)
    assert len(danish_seen) == len(mistakes)  # each mistake has its own sentence


def test_exact_sentences_in_both_languages(db_url: str, db: Session, deal: Deal, tmp_path: Path):
    args = ["ledger", "status", "-p", str(deal.id), "--user", "pia", "--format", "xml"]
    args += ["--database", db_url]
    assert one_sentence(_cli(args, tmp_path)) == (
        "fejl: Feltet '--format' har 'xml'; forventet: text eller json."
    )
    assert one_sentence(_cli([*args, "--lang", "en"], tmp_path)) == (
        "error: Field '--format' has 'xml'; expected text or json."
    )
    approve = ["ledger", "settle", "-p", str(deal.id), "--user", "ivan", "--period", "1"]
    approve += ["--approve", "--database", db_url]
    assert one_sentence(_cli(approve, tmp_path)) == (
        "fejl: Ivan har rollen investor og må ikke godkende en afregning; det må kun betaler."
    )
    assert one_sentence(_cli([*approve, "--lang", "en"], tmp_path)) == (
        "error: Ivan has the role investor and may not approve a settlement; only the payer may."
    )
    unknown = ["ledger", "verify", "-p", "999", "--database", db_url, "--lang", "fr"]
    assert one_sentence(_cli(unknown, tmp_path)) == (
        "fejl: Feltet '--lang' har 'fr'; forventet: da eller en."
    )


def test_a_format_that_cannot_be_shown_changes_nothing(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    """--format is checked before the command acts (it used to be checked after the enrolment
    was written, with exit code 2 for a change that had been made)."""
    from socialinvest.service import partnerships as ps

    people = _one_person(deal, tmp_path)
    args = ["ledger", "enrol", "-p", str(deal.id), "--user", "pia", "--file", str(people)]
    one_sentence(_cli([*args, "--format", "yaml", "--database", db_url], tmp_path))
    db.expire_all()
    assert ps.read(db, deal.id, deal.users["pia"]).ledger.participants == {}


def test_text_output_in_danish_with_danish_numbers(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    from .ledger_web_support import outcomes_csv

    p = ["-p", str(deal.id)]
    d = ["--database", db_url]
    people = _one_person(deal, tmp_path)
    ran = _cli(["ledger", "enrol", *p, "--user", "pia", "--file", str(people), *d], tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "1 deltager(e) indskrevet\n"), ran.stderr
    q = tmp_path / "q1.csv"
    q.write_bytes(outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)]))
    ran = _cli(["ledger", "import", str(q), *p, "--user", "paul", *d], tmp_path)
    assert ran.stdout == (
        "q1.csv: 2 registrering(er) oprettet, 0 markeret til evaluator, 0 uændret\n"
    ), ran.stderr
    verify = ["ledger", "verify-outcomes", *p, "--user", "eva", "--record", "1", "--record", "2"]
    ran = _cli([*verify, *d], tmp_path)
    assert ran.stdout == "registrering 1: verificeret\nregistrering 2: verificeret\n"
    # 6,950 kr. (test_ledger_cli: the small deal's first settlement) in Danish format
    ran = _cli(["ledger", "settle", *p, "--user", "pia", "--period", "1", *d], tmp_path)
    assert ran.stdout.startswith("afregning 1 (udkast)\nKommune: 6.950,00 kr.\n"), ran.stdout
    ran = _cli(
        ["ledger", "settle", *p, "--user", "pia", "--period", "1", "--lang", "en", *d], tmp_path
    )
    assert ran.stdout.startswith("settlement 1 (draft)\nKommune: DKK 6,950.00\n"), ran.stdout
    ran = _cli(
        ["ledger", "settle", *p, "--user", "pia", "--period", "1", "--approve", *d], tmp_path
    )
    assert ran.stdout == "afregning 1 godkendt: Kommune betaler 6.950,00 kr.\n", ran.stderr
    ran = _cli(["ledger", "verify", *p, *d], tmp_path)
    assert ran.stdout == "revisionssporet er intakt, og regnskabet passer med det\n"


def _on_a_terminal(args: list[str], answers: list[str], env: dict[str, str]) -> str:
    """Run ``socialinvest ARGS`` (the installed command) on a pseudo-terminal, answering each
    prompt in turn; everything it showed on the terminal."""
    import os
    import pty
    import select
    import sys
    import time

    command = str(Path(sys.executable).parent / "socialinvest")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pseudo-terminal is its controlling terminal
        inherited = {k: v for k, v in os.environ.items() if k != "SOCIALINVEST_DATABASE_URL"}
        os.execve(command, [command, *args], {**inherited, **env})
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child has finished
            break
        if not chunk:
            break
        shown += chunk
        # click shows "Adgangskode:", then getpass turns echo off (dropping what was typed
        # before) and writes the space: answer after the space
        if pending and shown.endswith(b": "):
            os.write(fd, pending.pop(0).encode() + b"\n")
    else:
        os.kill(pid, 9)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return f"{os.waitstatus_to_exitcode(status)}\n" + shown.decode("utf-8", "replace")


def test_the_first_admin_is_created_on_a_terminal_asking_the_password_twice(
    tmp_path: Path,
) -> None:
    """The README's line: socialinvest users create --admin --organisation "Demo kommune" admin
    asks the password (hidden) twice, in Danish by default."""
    env = {"SOCIALINVEST_DATA_DIR": str(tmp_path / "data")}  # the default: SQLite there
    line = ["users", "create", "--admin", "--organisation", "Demo kommune", "admin"]
    password = "a long enough password"
    shown = _on_a_terminal(line, [password, password], env)
    assert shown.startswith("0\n"), shown
    assert "Adgangskode:" in shown and "Adgangskode igen:" in shown
    assert password not in shown  # hidden as it is typed
    assert "bruger admin (admin) oprettet i Demo kommune" in shown
    from sqlalchemy import select as query

    from socialinvest.store.db import make_engine
    from socialinvest.store.db import session_factory as sessions
    from socialinvest.store.models import User
    from socialinvest.web.security import verify_password

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'socialinvest.db'}")
    with sessions(engine)() as db:
        user = db.scalars(query(User)).one()
        assert (user.username, user.role) == ("admin", "admin")
        assert verify_password(user, password)
    engine.dispose()
    # two different passwords: one sentence, nothing created; in English with --lang en
    other = ["users", "create", "--organisation", "Demo kommune", "bo", "--lang", "en"]
    shown = _on_a_terminal(other, ["first long password", "second long password"], env)
    assert shown.startswith("2\n"), shown
    assert "Password:" in shown and "Password again:" in shown
    assert shown.rstrip().endswith("error: Field 'password': expected the same password twice."), (
        shown
    )


def test_every_action_the_ledger_refuses_has_a_danish_word() -> None:
    """A role's refusal names the action (``_allow(actor, "approve a settlement", …)``); each
    one the ledger and the service use has its Danish words in the catalogue."""
    import socialinvest
    from socialinvest.output.messages import messages

    root = Path(socialinvest.__file__).parent
    source = "".join(
        path.read_text(encoding="utf-8")
        for folder in ("ledger", "service")
        for path in (root / folder).glob("*.py")
    )
    actions = set(re.findall(r'(?:_allow|_may_enrol)\(\s*actor,\s*"([^"]+)"', source))
    actions |= set(re.findall(r'action="([^"]+)"', source))
    assert {"approve a settlement", "enrol", "see participants"} <= actions  # the scan works
    da, en = messages("da"), messages("en")
    for action in actions:
        key = "cc_action_" + action.replace(" ", "_")
        assert key in da and en[key] == action, action
        assert da[key] != action, (action, da[key])


def test_status_in_danish_names_the_records_and_payments(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    from .ledger_web_support import outcomes_csv

    p = ["-p", str(deal.id)]
    d = ["--database", db_url]
    people = _one_person(deal, tmp_path)
    ran = _cli(["ledger", "enrol", *p, "--user", "pia", "--file", str(people), *d], tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "1 deltager(e) indskrevet\n"), ran.stderr
    q = tmp_path / "q1.csv"
    q.write_bytes(outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)]))
    _cli(["ledger", "import", str(q), *p, "--user", "paul", *d], tmp_path)
    _cli(["ledger", "verify-outcomes", *p, "--user", "eva", "--record", "1", *d], tmp_path)
    approve = ["ledger", "settle", *p, "--user", "pia", "--period", "1", "--approve"]
    paid = json.loads(_cli([*approve, "--format", "json", *d], tmp_path).stdout)["totals"][
        "Kommune"
    ]
    assert paid >= 1000  # so that the thousands separator shows
    ran = _cli(["ledger", "status", *p, "--user", "pia", *d], tmp_path)
    # one record verified, one still waiting; settlement 1 paid, written the Danish way
    whole, cents = f"{paid:.2f}".split(".")
    danish = f"{int(whole):,}".replace(",", ".") + "," + cents + " kr."
    assert "registreringer: afventer verifikation 1, verificeret 1, afvist 0" in ran.stdout
    assert ran.stdout.rstrip().endswith(f"betalt: Kommune {danish}"), (ran.stdout, danish)
    en = _cli(["ledger", "status", *p, "--user", "pia", *d, "--lang", "en"], tmp_path)
    assert "records: awaiting verification 1, verified 1, rejected 0" in en.stdout
    assert en.stdout.rstrip().endswith(f"paid: Kommune DKK {paid:,.2f}"), en.stdout
