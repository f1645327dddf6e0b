"""Fixtures of the web tests: a migrated database on SQLite and on PostgreSQL, the app, users.

``db_url`` is parametrised over both databases. SQLite: a copy of a file migrated once per
session. PostgreSQL (127.0.0.1:5432, user postgres, trust authentication): one database named
``si_<random>`` per test session, migrated once, emptied before every test and dropped at the
end (other work uses the same server). Set SOCIALINVEST_TEST_PG to another server URL (e.g.
``postgresql+psycopg://postgres@db:5432/postgres``) to use that one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from socialinvest.store import users as user_store
from socialinvest.store.db import make_engine, session_factory, upgrade
from socialinvest.store.models import Base, Organisation, User

PG_SERVER = os.environ.get(
    "SOCIALINVEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery staple"
KEY = b"k" * 64

# argon2 at its default cost makes every test user take ~50 ms; tests use a cheap profile.
_CHEAP_HASH: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    if password not in _CHEAP_HASH:
        from argon2 import PasswordHasher

        _CHEAP_HASH[password] = PasswordHasher(time_cost=1, memory_cost=1024).hash(password)
    return _CHEAP_HASH[password]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped afterwards)."""
    name = f"si_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        pytest.fail(f"PostgreSQL at {PG_SERVER} is needed for the web tests: {exc}")
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database (each kind in turn)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    _empty(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Only SQLite (for tests of behaviour that does not depend on the database)."""
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    session = session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


@dataclass
class People:
    """Two organisations with a user of every role in the first and an analyst in the second."""

    kommune: Organisation
    investor: Organisation
    admin: User
    analyst: User
    analyst2: User
    reviewer: User
    viewer: User
    outsider: User


def make_people(db: Session) -> People:
    kommune = user_store.organisation(db, "Aalborg Kommune", create=True)
    investor = user_store.organisation(db, "Investor A/S", create=True)
    made: dict[str, Any] = {}
    for name, org, role in [
        ("admin", kommune, "admin"),
        ("anna", kommune, "analyst"),
        ("bo", kommune, "analyst"),
        ("rita", kommune, "reviewer"),
        ("vera", kommune, "viewer"),
        ("otto", investor, "analyst"),
    ]:
        made[name] = user_store.create_user(db, org, name, password_hash(), role=role)
    db.commit()
    return People(
        kommune,
        investor,
        made["admin"],
        made["anna"],
        made["bo"],
        made["rita"],
        made["vera"],
        made["otto"],
    )


@pytest.fixture
def people(db: Session) -> People:
    return make_people(db)


def settings_for(url: str, **changes: Any) -> Any:
    from socialinvest.web.settings import Settings

    changes.setdefault("prestart_job_worker", False)  # most tests start no job
    return Settings(database_url=url, secret_key=KEY, migrate_on_start=False, **changes)


def make_app(url: str, **changes: Any) -> Any:
    """The application on ``url`` with test settings (``changes`` to them)."""
    from socialinvest.web.app import create_app

    return create_app(settings_for(url, **changes))


@pytest.fixture
def client(db_url: str) -> Iterator[Any]:
    """A test client of the app on ``db_url`` (jobs run in worker processes)."""
    from fastapi.testclient import TestClient

    with TestClient(make_app(db_url)) as test_client:
        yield test_client


def bearer(db: Session, user: User, scope: str = "write") -> dict[str, str]:
    """Headers with a new personal API token of ``user``."""
    from socialinvest.store import tokens

    _, token = tokens.create(db, user, f"test {scope}", scope, KEY)
    return {"Authorization": f"Bearer {token}"}
