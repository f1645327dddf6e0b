"""Commands of the web application: ``serve``, ``db upgrade``, ``users create``, ``demo load``.

Registered on the main command line by ``register(app)``; everything heavy is imported inside
the commands so that ``socialinvest --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from socialinvest.errors import InputError, msg
from socialinvest.web.command_text import LangOpt, fail, say

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        help="sqlite:///FILE or postgresql+psycopg://USER@HOST/NAME (default: "
        "SOCIALINVEST_DATABASE_URL, else a SQLite file in your data directory).",
        show_default=False,
    ),
]

db_app = typer.Typer(help="The case library's database.", no_args_is_help=True)
users_app = typer.Typer(help="Users of the web application.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo organisation.", no_args_is_help=True)


def _url(database: str | None) -> str:
    from socialinvest.store.db import check_url, default_url

    return check_url(database or default_url())


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database: DatabaseOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run jobs' Monte Carlo chunks on this Dask scheduler (tcp://HOST:PORT).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (e.g. one per core); jobs are shared through the database.",
        ),
    ] = 1,
    lang: LangOpt = "da",
) -> None:
    """Start the web application (http://127.0.0.1:8000 by default)."""
    try:
        import uvicorn

        from socialinvest.store import users as user_store
        from socialinvest.store.db import make_engine, session_factory, upgrade
        from socialinvest.web.app import create_app
        from socialinvest.web.settings import Settings

        settings = Settings.from_env(
            database_url=_url(database), host=host, port=port, scheduler=scheduler
        )
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        with session_factory(engine)() as db:
            nobody = user_store.count(db) == 0
        engine.dispose()
        app = create_app(settings.but(migrate_on_start=False)) if workers == 1 else None
    except InputError as error:
        fail(error, lang)
    typer.echo(say(lang, "cc_serve_database", url=_shown(settings.database_url)), err=True)
    if nobody:
        typer.echo(say(lang, "cc_serve_no_users"), err=True)
    typer.echo(say(lang, "cc_serve_open", url=f"http://{host}:{port}/"), err=True)
    if app is not None:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            server_header=False,
            timeout_keep_alive=30,
        )
        return
    # Several processes: each builds the app from the environment (the key file exists now).
    from socialinvest.store.db import ENV_URL

    os.environ[ENV_URL] = settings.database_url
    os.environ["SOCIALINVEST_SECURE_COOKIES"] = "1" if settings.secure_cookies else "0"
    if settings.scheduler:
        os.environ["SOCIALINVEST_SCHEDULER"] = settings.scheduler
    uvicorn.run(
        "socialinvest.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        server_header=False,
        timeout_keep_alive=30,
    )


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None, lang: LangOpt = "da") -> None:
    """Create the database or apply new migrations to it."""
    try:
        from socialinvest.store.db import upgrade

        url = _url(database)
        upgrade(url)
    except InputError as error:
        fail(error, lang)
    typer.echo(say(lang, "cc_db_up_to_date", url=_shown(url)))


def _password(from_env: str | None, lang: str) -> str:
    if from_env:
        value = os.environ.get(from_env)
        if not value:
            raise InputError(msg("cc_e_password_env"), field="--password-env", value=from_env)
        return value
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if line:
            return line
        raise InputError(msg("cc_e_password_stdin"), field="password", has_value=False)
    first = typer.prompt(say(lang, "cc_prompt_password"), hide_input=True)
    second = typer.prompt(say(lang, "cc_prompt_password_again"), hide_input=True)
    if first != second:
        raise InputError(msg("cc_e_password_twice"), field="password", has_value=False)
    return str(first)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The user name to log in with.")],
    organisation: Annotated[str, typer.Option(help="The user's organisation (created when new).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make an administrator.")] = False,
    role: Annotated[str, typer.Option(help="admin, analyst, reviewer or viewer.")] = "analyst",
    full_name: Annotated[str, typer.Option("--name", help="Full name shown in pages.")] = "",
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Read the password from this environment variable (default: ask, or "
            "read one line from standard input).",
        ),
    ] = None,
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Create a user (the first one with --admin). There is no default password."""
    try:
        from socialinvest.store import users as user_store
        from socialinvest.store.db import make_engine, session_factory, upgrade
        from socialinvest.web.security import hash_password

        url = _url(database)
        user_store.check_username(username)
        chosen = "admin" if admin else role
        user_store.check_role(chosen)
        hashed = hash_password(_password(password_env, lang))
        upgrade(url)
        engine = make_engine(url)
        with session_factory(engine)() as db:
            org = user_store.organisation(db, organisation, create=True)
            user_store.create_user(db, org, username, hashed, role=chosen, full_name=full_name)
            db.commit()
        engine.dispose()
    except InputError as error:
        fail(error, lang)
    typer.echo(
        say(lang, "cc_user_created", username=username, role=chosen, organisation=organisation)
    )


PasswordEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Read the password from this environment variable (default: ask, or read one "
        "line from standard input).",
    ),
]


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_env: PasswordEnvOpt = None,
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Set a user's password (e.g. a forgotten one); their sessions end."""
    try:
        from sqlalchemy import delete

        from socialinvest.store import audit
        from socialinvest.store import users as user_store
        from socialinvest.store.db import make_engine, session_factory, upgrade
        from socialinvest.store.models import WebSession
        from socialinvest.web.security import hash_password

        url = _url(database)
        upgrade(url)
        engine = make_engine(url)
        with session_factory(engine)() as db:
            user = user_store.by_username(db, username)
            if user is None:
                raise InputError(msg("cc_e_existing_user"), field="username", value=username)
            user.password_hash = hash_password(_password(password_env, lang))
            db.execute(delete(WebSession).where(WebSession.user_id == user.id))
            audit.record(
                db, "user.password", organisation_id=user.organisation_id, username=user.username
            )
            db.commit()
        engine.dispose()
    except InputError as error:
        fail(error, lang)
    typer.echo(say(lang, "cc_password_set", username=username))


@users_app.command("list")
def users_list(database: DatabaseOpt = None, lang: LangOpt = "da") -> None:
    """Every user: organisation, user name, role, name."""
    try:
        from sqlalchemy import select

        from socialinvest.store.db import make_engine, session_factory, upgrade
        from socialinvest.store.models import Organisation, User

        url = _url(database)
        upgrade(url)
        engine = make_engine(url)
        with session_factory(engine)() as db:
            rows = db.execute(
                select(Organisation.name, User.username, User.role, User.full_name)
                .join(User.organisation)
                .order_by(Organisation.name, User.username)
            ).all()
        engine.dispose()
    except InputError as error:
        fail(error, lang)
    for row in rows:
        typer.echo("\t".join(str(v) for v in row))


@demo_app.command("load")
def demo_load(
    database: DatabaseOpt = None,
    organisation: Annotated[str, typer.Option(help="The demo organisation.")] = "Demo kommune",
    owner: Annotated[
        str | None,
        typer.Option(
            help="User who owns the demo cases (default: the first analyst or admin "
            "of the demo organisation, who must exist unless you give this)."
        ),
    ] = None,
    lang: LangOpt = "da",
) -> None:
    """Add the demo organisation's cases: the bundled examples (run again: nothing doubled)."""
    try:
        from socialinvest.web.demo import load_demo

        url = _url(database)
        added, skipped, needs_files = load_demo(url, owner=owner, organisation=organisation)
    except InputError as error:
        fail(error, lang)
    typer.echo(say(lang, "cc_demo_cases", added=added, skipped=skipped))
    if needs_files:
        typer.echo(say(lang, "cc_demo_left_out", names=", ".join(needs_files)), err=True)


def register(app: typer.Typer) -> None:
    """Add the web application's commands to the main command line."""
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(demo_app, name="demo")
