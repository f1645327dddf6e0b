"""The web application's commands: db upgrade (both databases), users create, demo load."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text

from socialinvest.store.db import current_revision, downgrade, head_revision, make_engine
from socialinvest.store.db import session_factory as sessions
from socialinvest.store.models import Case, CaseVersion, User

from ..conftest import EXAMPLES
from .conftest import PG_SERVER


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _run(args: list[str], tmp_path: Path, stdin: str = "") -> Ran:
    """The command, run in this process (as the CLI does, through typer)."""
    from typer.testing import CliRunner

    from socialinvest.cli import app

    env = {"SOCIALINVEST_DATA_DIR": str(tmp_path / "data"), "SOCIALINVEST_DATABASE_URL": None}
    result = CliRunner().invoke(app, args, input=stdin, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def test_db_upgrade_and_downgrade_on_postgresql(tmp_path: Path) -> None:
    name = f"si_{secrets.token_hex(6)}_m"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        done = _run(["db", "upgrade", "--database", url], tmp_path)
        assert done.returncode == 0, done.stderr
        engine = make_engine(url)
        assert current_revision(engine) == head_revision()
        assert "case_versions" in inspect(engine).get_table_names()
        downgrade(url, "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_first_start_creates_sqlite_in_the_data_directory_and_users(tmp_path: Path) -> None:
    made = _run(
        ["users", "create", "--admin", "--organisation", "Demo kommune", "admin"],
        tmp_path,
        stdin="a long enough password\n",
    )
    assert made.returncode == 0, made.stderr
    database = tmp_path / "data" / "socialinvest.db"
    assert database.is_file()
    url = f"sqlite:///{database}"
    with sessions(make_engine(url))() as db:
        user = db.scalars(select(User)).one()
        assert (user.username, user.role, user.organisation.name) == (
            "admin",
            "admin",
            "Demo kommune",
        )
        assert user.password_hash.startswith("$argon2id$")
    again = _run(
        ["users", "create", "--organisation", "Demo kommune", "admin"],
        tmp_path,
        stdin="a long enough password\n",
    )
    assert again.returncode == 2
    assert again.stderr == (  # Danish by default, as the main commands
        "fejl: Feltet 'username' har 'admin'; forventet: et brugernavn, som ingen har endnu.\n"
    )
    english = _run(
        ["users", "create", "--organisation", "Demo kommune", "admin", "--lang", "en"],
        tmp_path,
        stdin="a long enough password\n",
    )
    assert english.returncode == 2
    assert english.stderr == (
        "error: Field 'username' has 'admin'; expected a user name nobody has yet.\n"
    )
    listed = _run(["users", "list"], tmp_path)
    assert listed.stdout == "Demo kommune\tadmin\tadmin\t\n"
    reset = _run(["users", "password", "admin"], tmp_path, stdin="another long password\n")
    assert reset.returncode == 0, reset.stderr
    from socialinvest.web.security import verify_password

    with sessions(make_engine(url))() as db:
        user = db.scalars(select(User)).one()
        assert verify_password(user, "another long password")
        assert not verify_password(user, "a long enough password")
    nobody = _run(
        ["users", "password", "nobody", "--lang", "en"], tmp_path, stdin="another long password\n"
    )
    assert nobody.returncode == 2 and "an existing user" in nobody.stderr
    short = _run(["users", "create", "--organisation", "X", "bo"], tmp_path, stdin="short\n")
    assert short.returncode == 2 and "en adgangskode på mindst 10 tegn" in short.stderr
    bad = _run(["db", "upgrade", "--database", "mysql://u:secret@h/db"], tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "secret" not in bad.stderr and "--database" in bad.stderr

    # the demo: every bundled example that runs as a file on its own (checked here by copying
    # each alone into an empty folder and validating it with the command line), once
    alone = []
    for path in [*EXAMPLES.glob("*.yaml"), *(EXAMPLES / "contracts").glob("*.yaml")]:
        folder = tmp_path / "alone" / path.stem
        folder.mkdir(parents=True)
        (folder / path.name).write_bytes(path.read_bytes())
        if _run(["validate", str(folder / path.name)], tmp_path).returncode == 0:
            alone.append(path.name)
    assert len(alone) >= 7  # the examples of issues 1-10 at least
    loaded = _run(["demo", "load"], tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    with sessions(make_engine(url))() as db:
        cases = db.scalars(select(Case)).all()
        messages = sorted(
            db.scalars(select(CaseVersion.message).where(CaseVersion.number == 1)).all()
        )
        assert messages == sorted(f"example {name}" for name in alone)
        assert all(c.organisation.name == "Demo kommune" and c.head == 1 for c in cases)
    twice = _run(["demo", "load"], tmp_path)
    assert twice.stdout.strip() == f"demo: 0 sag(er) tilføjet, {len(alone)} fandtes i forvejen"
    english = _run(["demo", "load", "--lang", "en"], tmp_path)
    assert english.stdout.strip() == f"demo: 0 case(s) added, {len(alone)} already there"


def test_demo_load_needs_an_owner(tmp_path: Path) -> None:
    answer = _run(["demo", "load"], tmp_path)
    assert answer.returncode == 2
    assert "socialinvest users create --admin --organisation 'Demo kommune'" in answer.stderr


def test_a_database_that_cannot_be_opened_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    url = f"sqlite:///{folder}"
    for args in (
        ["db", "upgrade"],
        ["users", "list"],
        ["ledger", "status", "-p", "1", "--user", "a"],
    ):
        answer = _run([*args, "--database", url, "--lang", "en"], tmp_path)
        assert answer.returncode == 2, args
        assert "Traceback" not in answer.stderr
        assert "Field '--database' has 'sqlite:///" in answer.stderr
        assert "unable to open database file" in answer.stderr
