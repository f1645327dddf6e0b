"""schemathesis against the OpenAPI document: no 5xx response, every response's body as the
document says (three generated requests per operation: bounded, so the suite stays quick)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from socialinvest.store import cases as case_store
from socialinvest.store.db import make_engine, session_factory, upgrade

from ..conftest import EXAMPLES
from .conftest import bearer, make_app, make_people

_DIR = Path(tempfile.mkdtemp(prefix="si-openapi-"))
_URL = f"sqlite:///{_DIR / 'api.db'}"
upgrade(_URL)  # the document is loaded through the app, whose start needs the tables
# Every run with more than one draw becomes a job, so no generated request computes for long.
APP = make_app(_URL, job_draws_threshold=2)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module")
def headers() -> Iterator[dict[str, str]]:
    engine = make_engine(_URL)
    with session_factory(engine)() as db:
        people = make_people(db)
        text = (EXAMPLES / "impact60-job-education.yaml").read_text(encoding="utf-8")
        case = case_store.create_case(db, people.admin, "Aalborg", text)
        case_store.save_version(db, case, people.analyst, text + "# v2\n", base=1)
        found = bearer(db, people.admin)
    engine.dispose()
    with TestClient(APP):  # starts the job runner
        yield found
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case: Any, headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=headers,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
