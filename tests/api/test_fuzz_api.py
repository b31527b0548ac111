"""Property-based tests of the whole HTTP API with schemathesis, on SQLite and PostgreSQL.

Every operation of the OpenAPI document is called with what schemathesis derives from it
(the coverage phase's edge cases, then generated and deliberately invalid input), and a
stateful phase chains them along the links added below (create an alert, then read, change
and end it; create an incident, then add claims and responses, …). The database holds real
alerts, incidents, claims, responses, a siren, a subscription, a token and a console session;
path parameters, the `Authorization` header and the session cookie are the real ones more often
than not, so calls get past 404 and 401. A response of 5xx, or one that breaks its documented
schema or media type, fails the test.

`TOCSIN_FUZZ_SECONDS` bounds the time of each backend (default 75); operations share three
quarters of it, the stateful phase the rest, and each operation is given one generated example
for every six seconds (generating costs time too, sent or not).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from conftest import START, PostgresDatabase, run_apart
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.records.domain.incidents import AddClaim, CreateIncident, SourceInput
from tocsin.records.domain.responses import AddResponse
from tocsin.service.ports import ManualClock
from tocsin.service.subscriptions import Filters, NewSubscription

SECONDS = float(os.environ.get("TOCSIN_FUZZ_SECONDS", "75"))
EXAMPLES = max(5, round(SECONDS / 6))  # generating an example costs time even when not sent
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SETTINGS = hypothesis.settings(
    deadline=None,
    database=None,
    max_examples=EXAMPLES,
    suppress_health_check=list(hypothesis.HealthCheck),
    print_blob=True,
)
SKIPPED = ("/v1/stream", "/v1/broadcast/radio")  # endless streams: tested on their own
SESSION_COOKIE = "tocsin_session"


# --- the schema, with links for the stateful phase -----------------------------------------

# created by POST {collection}: the id in the body names the resource at {collection}/{param}
CREATED = {
    "/v1/alerts": "alert_id",
    "/v1/incidents": "incident_id",
    "/v1/incidents/{incident_id}/claims": "claim_id",
    "/v1/incidents/{incident_id}/responses": "response_id",
    "/v1/subscriptions": "subscription_id",
    "/v1/tokens": "token_id",
    "/v1/sirens": "siren_id",
}


def document() -> dict[str, Any]:
    """The app's OpenAPI document, with links from each creation to what it created."""
    raw: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    paths = raw["paths"]
    for path in SKIPPED:
        paths.pop(path, None)
    for collection, param in CREATED.items():
        post = paths[collection]["post"]
        links: dict[str, Any] = {}
        known = set(re.findall(r"\{(\w+)\}", collection))
        for path, item in paths.items():
            if not path.startswith(f"{collection}/{{{param}}}"):
                continue
            for method, operation in item.items():
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
                if not set(names) <= {param, *known}:
                    continue  # it needs an id that only a later creation gives
                parameters = {
                    name: "$response.body#/id" if name == param else f"$request.path.{name}"
                    for name in names
                }
                links[f"{method}-{path}"] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                }
        for status in ("200", "201"):
            post["responses"].setdefault(status, {"description": "created"})["links"] = links
    return raw


schema = schemathesis.openapi.from_dict(document())


# --- real data, and the app over it ------------------------------------------------------


@dataclass
class Fuzzed:
    """One backend's app, the ids of what its database holds, and the time spent."""

    app: Any
    ids: dict[str, str]
    admin: str
    session: str
    per_operation: float
    started: dict[str, float] = field(default_factory=dict)

    def over_budget(self, label: str) -> bool:
        start = self.started.setdefault(label, time.monotonic())
        return time.monotonic() - start > self.per_operation


async def seed(settings: Settings) -> tuple[dict[str, str], str, str]:
    """Alerts, an incident with a claim and a response, a siren, a subscription, a spare token
    and a console session; their ids, an admin token and the session's secret."""
    tocsin = await build(settings, clock=ManualClock(START))
    try:
        return await _seed(tocsin)
    finally:
        await tocsin.close()


async def _seed(tocsin: Tocsin) -> tuple[dict[str, str], str, str]:
    admin = await tocsin.tokens.create("admin", (), name="fuzz-admin")
    spare = await tocsin.tokens.create("viewer", (), name="fuzz-spare")
    alert, _ = await tocsin.alerts.raise_alert(
        RaiseAlert(threat="missile", regions=["UA-63"], headline="Missile threat"), LOCAL_ADMIN
    )
    await tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=["UA-59"]), LOCAL_ADMIN)
    created = CreateIncident(regions=["UA-63"], threats=["missile"], start=START)
    record, _ = await tocsin.incidents.create(created, LOCAL_ADMIN)
    incident_id = record.incident.id
    claim = AddClaim(measure="launched", source=SourceInput("Air Force"), value=5)
    _, added, _ = await tocsin.incidents.add_claim(incident_id, claim, LOCAL_ADMIN)
    _, action = await tocsin.incidents.add_response(
        incident_id, AddResponse(kind="crew", task="rescue"), LOCAL_ADMIN
    )
    siren = await sirens_register(tocsin)
    subscription = await tocsin.subscriptions.create(
        NewSubscription("webhook", "https://93.184.216.34/hook", Filters([], [], ["actual"]),
                        "en", None, {}),
        LOCAL_ADMIN,
    )  # fmt: skip
    await tocsin.accounts.create("duty", "a long password 1", "admin")
    session_secret, _ = await tocsin.accounts.login("duty", "a long password 1", "127.0.0.1")
    ids = {
        "alert_id": alert.id,
        "incident_id": incident_id,
        "claim_id": added.id,
        "response_id": action.id,
        "siren_id": siren,
        "subscription_id": subscription.record.id,
        "token_id": spare.record.id,
        "code": "UA-63",
        "identifier": f"tocsin.{alert.id}.1",
    }
    return ids, admin.secret, session_secret


async def sirens_register(tocsin: Tocsin) -> str:
    record = await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN, "Kharkiv centre")
    return str(record.id)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    settings = Settings(database_url=_database(request, tmp_path_factory), channels=())
    ids, admin, session = run_apart(seed(settings))

    async def factory() -> Tocsin:
        return await build(settings, clock=ManualClock(START))

    operations = sum(1 for _ in schema.get_all_operations())
    app = create_app(settings, factory=factory)
    yield Fuzzed(app, ids, admin, session, SECONDS * 0.75 / operations)
    with contextlib.suppress(Exception):
        asgi.shutdown_lifespans()


def _database(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = factory.mktemp("fuzz") / "tocsin.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    run_apart(database.reset())
    return database.url


# --- generation: real ids, credentials and session more often than not ----------------------

_current: list[Fuzzed] = []  # the backend being fuzzed (hooks have no fixtures)


def _real_or(generated: dict[str, Any] | None, real: dict[str, Any]) -> st.SearchStrategy[Any]:
    if not real:
        return st.just(generated)
    return st.one_of(st.just({**(generated or {}), **real}), st.just(generated))


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    ids = _current[-1].ids if _current else {}
    return _real_or(path_parameters, {k: ids[k] for k in path_parameters or {} if k in ids})


@schema.hook
def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> Any:
    if not _current or "authorization" not in {k.lower() for k in headers or {}}:
        return st.just(headers)
    kept = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
    return _real_or(headers, {**kept, "authorization": f"Bearer {_current[-1].admin}"})


@schema.hook
def flatmap_cookies(context: Any, cookies: dict[str, Any] | None) -> Any:
    if not _current or SESSION_COOKIE not in (cookies or {}):
        return st.just(cookies)
    return _real_or(cookies, {SESSION_COOKIE: _current[-1].session})


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture
def backend(fuzzed: Fuzzed) -> Iterator[Fuzzed]:
    _current.append(fuzzed)
    try:
        yield fuzzed
    finally:
        _current.pop()


@schema.parametrize()
@hypothesis.settings(SETTINGS)
def test_every_operation(case: Any, backend: Fuzzed) -> None:
    if backend.over_budget(case.operation.label):
        return
    case.call_and_validate(app=backend.app, checks=CHECKS)


def test_stateful(backend: Fuzzed) -> None:
    machine = schema.as_state_machine()

    class Machine(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {backend.admin}"}
            return {"app": backend.app, "headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    deadline = time.monotonic() + SECONDS * 0.25
    runs = hypothesis.settings(SETTINGS, max_examples=5, stateful_step_count=10)
    while time.monotonic() < deadline:
        Machine.run(settings=runs)
