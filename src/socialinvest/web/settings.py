"""The web application's settings, from options and the environment.

Secrets never have defaults in the code: the key that signs sessions and hashes API tokens comes
from ``SOCIALINVEST_SECRET_KEY`` or, when that is unset, from a key file generated once in the
user's data directory (readable by its owner only).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from socialinvest.errors import InputError
from socialinvest.store.db import check_url, data_dir, default_url

ENV_SECRET = "SOCIALINVEST_SECRET_KEY"
ENV_SCHEDULER = "SOCIALINVEST_SCHEDULER"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def secret_key(directory: Path | None = None) -> bytes:
    """The server's secret key: ``SOCIALINVEST_SECRET_KEY``, else ``secret_key`` in the data
    directory (created with 64 random bytes, mode 0600, on first use)."""
    from_env = os.environ.get(ENV_SECRET)
    if from_env:
        if len(from_env) < 32:
            raise InputError(
                "at least 32 characters (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')",
                field=ENV_SECRET,
                has_value=False,
            )
        return from_env.encode("utf-8")
    path = (directory or data_dir()) / "secret_key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(64)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: bytes = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    #: Session cookies only over HTTPS; on unless the server listens on this machine only.
    secure_cookies: bool = False
    #: Dask scheduler (tcp://HOST:PORT) on which jobs run their chunks; None: in the job process.
    scheduler: str | None = None
    #: Largest request body accepted (an uploaded case file, a form).
    max_upload_bytes: int = 2 * 1024 * 1024
    #: Worker processes for jobs.
    job_workers: int = 1
    #: Monte Carlo runs with at least this many draws become jobs: a success-rate case runs
    #: about 30,000 draws a second here, so 50,000 take well over a second and a half with the
    #: request around them; a state-transition case counts each draw ten times.
    job_draws_threshold: int = 50_000
    session_hours: int = 12
    #: Failed logins per user name (and per client address) within ``throttle_minutes``.
    max_failed_logins: int = 5
    throttle_minutes: int = 15
    #: Apply migrations when the application starts.
    migrate_on_start: bool = True
    #: Start a job worker process with the application (else with the first job).
    prestart_job_worker: bool = True
    #: This is the only server process on the database: at start, every job another start left
    #: queued or running is interrupted. With several (``serve --workers N``) only jobs whose
    #: heartbeat stopped are.
    exclusive_jobs: bool = True

    @classmethod
    def from_env(
        cls,
        *,
        database_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        scheduler: str | None = None,
    ) -> Settings:
        url = check_url(database_url or default_url())
        secure = host not in LOCAL_HOSTS
        forced = os.environ.get("SOCIALINVEST_SECURE_COOKIES")
        if forced is not None:
            secure = forced.strip().lower() in ("1", "true", "yes", "on")
        return cls(
            database_url=url,
            secret_key=secret_key(),
            host=host,
            port=port,
            secure_cookies=secure,
            scheduler=scheduler or os.environ.get(ENV_SCHEDULER) or None,
        )

    def but(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
