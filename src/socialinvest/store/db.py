"""The database: its URL, the engine, sessions and migrations.

The embedded default is a SQLite file in the user's data directory (``platformdirs``); an
organisation's PostgreSQL is chosen with a ``postgresql+psycopg://`` URL. Schema changes are
Alembic migrations shipped inside this package (``store/migrations``), applied by
:func:`upgrade` (``socialinvest db upgrade``, and on every start of the server).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from socialinvest.errors import InputError, msg

ENV_URL = "SOCIALINVEST_DATABASE_URL"
_MIGRATIONS = Path(__file__).with_name("migrations")


def data_dir() -> Path:
    """The user's data directory for socialinvest (created when missing)."""
    from platformdirs import user_data_dir

    path = Path(os.environ.get("SOCIALINVEST_DATA_DIR") or user_data_dir("socialinvest"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_url() -> str:
    """``SOCIALINVEST_DATABASE_URL``, or the SQLite file in the user's data directory."""
    return os.environ.get(ENV_URL) or f"sqlite:///{data_dir() / 'socialinvest.db'}"


def check_url(url: str, option: str = "--database") -> str:
    """``url`` if it names a database this program supports; else one sentence (InputError)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.drivername not in (
        "sqlite",
        "sqlite+pysqlite",
        "postgresql+psycopg",
    ):
        raise InputError(
            msg("cc_e_database_url"),
            field=option,
            value=_shown(url),
        )
    return url


def _shown(url: str) -> str:
    """``url`` as it may be echoed: never the user or password part."""
    return url.split("@")[-1] if "@" in url else url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default :func:`default_url`). SQLite gets write-ahead logging, a
    busy timeout (so concurrent writers wait instead of failing) and foreign keys."""
    url = check_url(url or default_url())
    if url.startswith("sqlite"):
        if url not in ("sqlite://", "sqlite:///:memory:"):
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        if "poolclass" not in kwargs and url not in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("pool_size", 20)  # one per request thread, mostly
            kwargs.setdefault("max_overflow", 20)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    """The Alembic configuration for ``url`` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or migrate the database at ``url`` to ``revision`` (default: the newest)."""
    from alembic import command
    from sqlalchemy.exc import OperationalError

    url = check_url(url or default_url())
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the directory
    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:  # cannot open or reach it: one sentence, not a traceback
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no reason"
        raise InputError(
            msg("cc_e_database_open", reason=reason.rstrip(".")),
            field="--database",
            value=_shown(url),
        ) from None


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(check_url(url)), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head
