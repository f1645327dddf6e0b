"""Job rows and the result cache (the work itself is done by ``socialinvest.web.jobs``)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialinvest.store.models import CachedResult, Job, JobStatus, now

ACTIVE = (JobStatus.queued.value, JobStatus.running.value)


def cache_key(kind: str, **parts: Any) -> str:
    """The cache key of a computation: its kind and everything that determines its result
    (the case version's digest, draws, seed, options, package and knowledge-base versions)."""
    blob = json.dumps({"kind": kind, **parts}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cached(db: Session, key: str) -> CachedResult | None:
    return db.scalar(select(CachedResult).where(CachedResult.key == key))


def store_result(db: Session, key: str, kind: str, media_type: str, content: bytes) -> None:
    """Keep a result under ``key`` (committed); a result already kept under it stays."""
    if cached(db, key) is not None:
        return
    db.add(CachedResult(key=key, kind=kind, media_type=media_type, content=content))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()  # another process stored the same result first


def active_with_key(db: Session, key: str) -> Job | None:
    return db.scalar(
        select(Job).where(Job.cache_key == key, Job.status.in_(ACTIVE)).order_by(Job.id.desc())
    )


def mark_stale_interrupted(
    db: Session, *, runner: str | None = None, stale_after: float = 60.0
) -> int:
    """Jobs left queued or running by a server that stopped: shown as interrupted (committed).

    A job counts as left behind when its runner is not ``runner`` (this server instance) and,
    when it ran, its heartbeat is older than ``stale_after`` seconds."""
    limit = now() - timedelta(seconds=stale_after)
    query = update(Job).where(Job.status.in_(ACTIVE))
    if runner is not None:
        query = query.where(Job.runner != runner)
    query = query.where((Job.heartbeat_at.is_(None)) | (Job.heartbeat_at < limit))
    result = db.execute(
        query.values(status=JobStatus.interrupted.value, finished_at=now()).execution_options(
            synchronize_session=False
        )
    )
    db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
