"""Console accounts and sessions through the API: login, CSRF, modes, scopes, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from typer.testing import CliRunner

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.cli import app as cli
from tocsin.errors import InvalidInput

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    """Over https: the session cookie is Secure, so a client keeps it only there."""
    app = create_app(tocsin.settings)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://tocsin.test") as http:
        yield http


@pytest.fixture
async def accounts(tocsin: Tocsin) -> Tocsin:
    await tocsin.accounts.create("olena", PASSWORD, "operator", ["UA-63"])
    await tocsin.accounts.create("petro", PASSWORD, "approver", ["UA"])
    return tocsin


async def login(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post("/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower()
    csrf: str = response.json()["csrf_token"]
    return csrf


async def test_login_and_raise_with_the_session(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    csrf = await login(client, "olena")
    me = (await client.get("/v1/session")).json()
    assert me["username"] == "olena" and me["role"] == "operator" and me["mode"] == "exercise"
    raised = await client.post(
        "/v1/alerts",
        headers={"X-CSRF-Token": csrf},
        json={"threat": "missile", "regions": ["UA-63"], "status": "exercise"},
    )
    assert raised.status_code == 201
    assert raised.json()["raised_by"] == "olena"
    outside = await client.post(
        "/v1/alerts",
        headers={"X-CSRF-Token": csrf},
        json={"threat": "missile", "regions": ["UA-30"], "status": "exercise"},
    )
    assert outside.status_code == 403 and outside.json()["field"] == "regions[0]"


async def test_writes_without_the_csrf_token_are_refused(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    await login(client, "olena")
    before = await accounts.store.last_seq()
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = await client.post(
            "/v1/alerts", headers=headers, json={"threat": "missile", "regions": ["UA-63"]}
        )
        assert response.status_code == 403
        assert response.json()["field"] == "X-CSRF-Token"
    assert await accounts.store.last_seq() == before


async def test_mode_is_per_session(accounts: Tocsin, client: httpx.AsyncClient) -> None:
    csrf = await login(client, "olena")
    changed = await client.patch(
        "/v1/session", headers={"X-CSRF-Token": csrf}, json={"mode": "actual"}
    )
    assert changed.json()["mode"] == "actual"
    bad = await client.patch("/v1/session", headers={"X-CSRF-Token": csrf}, json={"mode": "real"})
    assert bad.status_code == 422 and bad.json()["field"] == "mode"


async def test_wrong_password_and_throttling(accounts: Tocsin, client: httpx.AsyncClient) -> None:
    for _ in range(5):
        wrong = await client.post("/v1/session", json={"username": "olena", "password": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "wrong username or password"
    locked = await client.post("/v1/session", json={"username": "olena", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"


async def test_logout_ends_the_session(accounts: Tocsin, client: httpx.AsyncClient) -> None:
    csrf = await login(client, "olena")
    assert (await client.delete("/v1/session", headers={"X-CSRF-Token": csrf})).status_code == 204
    client.cookies.clear()
    assert (await client.get("/v1/session")).status_code == 401


async def test_disabled_account_loses_its_sessions(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    await login(client, "olena")
    await accounts.accounts.disable("olena")
    assert (await client.get("/v1/session")).status_code == 401
    again = await client.post("/v1/session", json={"username": "olena", "password": PASSWORD})
    assert again.status_code == 401


async def test_two_person_rule_through_two_sessions(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    accounts.alerts.policy = accounts.alerts.policy.__class__(always=True)
    csrf = await login(client, "olena")
    await client.patch("/v1/session", headers={"X-CSRF-Token": csrf}, json={"mode": "actual"})
    await client.patch("/v1/session", headers={"X-CSRF-Token": csrf}, json={"mode": "actual"})
    raised = await client.post(
        "/v1/alerts",
        headers={"X-CSRF-Token": csrf},
        json={"threat": "missile", "regions": ["UA-63"]},
    )
    alert = raised.json()
    assert alert["phase"] == "pending"
    assert await accounts.store.open_alerts() == []
    released = await accounts.alerts.approve(
        alert["id"],
        (
            await accounts.accounts.session(
                (await accounts.accounts.login("petro", PASSWORD, "10.1.1.1"))[0]
            )
        ).actor,
    )
    assert released.phase.value == "active"


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("Olena Big", PASSWORD, "username"),
        ("x", PASSWORD, "username"),
        ("mykola", "short", "password"),
    ],
)
async def test_bad_accounts(tocsin: Tocsin, username: str, password: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await tocsin.accounts.create(username, password, "viewer")
    assert info.value.field == field


def test_cli_user_commands_and_audit_verify(database_url: str) -> None:
    runner = CliRunner()
    env = {"TOCSIN_DATABASE_URL": database_url}
    made = runner.invoke(
        cli,
        [
            "user",
            "create",
            "oksana",
            "--role",
            "operator",
            "--region",
            "RU-BEL",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env=env,
    )
    assert made.exit_code == 0, made.stderr
    listed = runner.invoke(cli, ["user", "list"], env=env)
    assert "oksana" in listed.stdout and "RU-BEL" in listed.stdout
    short = runner.invoke(
        cli, ["user", "passwd", "oksana", "--password-stdin"], input="abc\n", env=env
    )
    assert short.exit_code == 2 and "at least 12" in short.stderr
    verified = runner.invoke(cli, ["audit", "verify"], env=env)
    assert verified.exit_code == 0 and "audit trail intact" in verified.stdout
    shown = runner.invoke(cli, ["audit", "list"], env=env)
    assert "account.created" in shown.stdout and "oksana" in shown.stdout


async def test_a_session_raises_only_in_its_own_mode(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    csrf = await login(client, "olena")  # sessions start in exercise mode
    actual = await client.post(
        "/v1/alerts",
        headers={"X-CSRF-Token": csrf},
        json={"threat": "missile", "regions": ["UA-63"], "status": "actual"},
    )
    assert actual.status_code == 403 and actual.json()["field"] == "status"
    drill = await client.post(
        "/v1/alerts",
        headers={"X-CSRF-Token": csrf},
        json={"threat": "missile", "regions": ["UA-63"], "status": "exercise"},
    )
    assert drill.status_code == 201 and drill.json()["marker"] == "EXERCISE"
