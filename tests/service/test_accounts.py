"""Console accounts and sessions through the API: login, CSRF, modes, scopes, audit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.cli import app as cli
from tocsin.errors import Forbidden, InvalidInput, Unauthorized

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
    secret, _ = await accounts.accounts.login("petro", PASSWORD, "10.1.1.1")
    in_exercise = (await accounts.accounts.session(secret)).actor
    with pytest.raises(Forbidden) as refused:  # an actual alert is approved in actual mode only
        await accounts.alerts.approve(alert["id"], in_exercise)
    assert refused.value.field == "status"
    assert await accounts.store.open_alerts() == []
    in_actual = (await accounts.accounts.set_mode(secret, "actual")).actor
    released = await accounts.alerts.approve(alert["id"], in_actual)
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


async def test_another_mode_may_stand_an_alert_down_but_never_raise_it(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    from tocsin.domain.alerts import RaiseAlert
    from tocsin.domain.auth import LOCAL_ADMIN

    async def actual(threat: str, *regions: str) -> str:
        cmd = RaiseAlert(threat=threat, regions=list(regions))
        return (await accounts.alerts.raise_alert(cmd, LOCAL_ADMIN))[0].id

    csrf = {"X-CSRF-Token": await login(client, "olena")}  # sessions start in exercise mode
    a, b, c, d = [r.code for r in accounts.regions.tree.children("UA-63")][:4]  # her scope
    first, second = await actual("uav", a, b), await actual("missile", c)
    head = await accounts.store.last_seq()
    for path, body in [
        (f"/v1/alerts/{first}", {"threat": "missile"}),  # escalation
        (f"/v1/alerts/{first}", {"add_regions": [d]}),
        (f"/v1/alerts/{first}", {"headline": "Changed"}),
    ]:
        refused = await client.patch(path, headers=csrf, json=body)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json()["field"] == "status"
        assert "switch the mode to change an actual alert" in refused.json()["detail"]
    assert await accounts.store.last_seq() == head  # nothing was written
    removed = await client.patch(f"/v1/alerts/{first}", headers=csrf, json={"remove_regions": [b]})
    assert removed.status_code == 200, removed.text
    lowered = await client.patch(f"/v1/alerts/{second}", headers=csrf, json={"threat": "air"})
    assert lowered.status_code == 200 and lowered.json()["threat"]["id"] == "air"
    for alert_id, action in ((first, "end"), (second, "cancel")):
        done = await client.post(f"/v1/alerts/{alert_id}/{action}", headers=csrf)
        assert done.status_code == 200, done.text
    assert await accounts.store.open_alerts() == []


async def test_a_password_change_through_the_api_ends_every_session(
    accounts: Tocsin, client: httpx.AsyncClient
) -> None:
    elsewhere = (await accounts.accounts.login("olena", PASSWORD, "10.1.1.2"))[0]
    csrf = {"X-CSRF-Token": await login(client, "olena")}
    new = "violet tram under the bridge"
    weak = await client.put(
        "/v1/session/password",
        headers=csrf,
        json={"current_password": PASSWORD, "password": "password1234"},
    )
    assert weak.status_code == 422 and weak.headers["content-type"] == "application/problem+json"
    assert weak.json()["field"] == "password" and "too easy to guess" in weak.json()["detail"]
    bad = await client.put(
        "/v1/session/password", headers=csrf, json={"current_password": "nope", "password": new}
    )
    assert bad.status_code == 403 and bad.json()["field"] == "current_password"
    assert (await client.get("/v1/session")).status_code == 200  # refusals end nothing
    changed = await client.put(
        "/v1/session/password", headers=csrf, json={"current_password": PASSWORD, "password": new}
    )
    assert changed.status_code == 204
    with pytest.raises(Unauthorized):
        await accounts.accounts.session(elsewhere)
    assert (await client.get("/v1/session")).status_code == 401
    client.cookies.clear()
    again = await client.post("/v1/session", json={"username": "olena", "password": new})
    assert again.status_code == 200


async def test_the_cli_changing_a_password_or_a_role_ends_every_session(
    accounts: Tocsin, client: httpx.AsyncClient, database_url: str
) -> None:
    runner = CliRunner()
    env = {"TOCSIN_DATABASE_URL": database_url}

    async def cli_(*args: str, password: str = "") -> Result:
        return await asyncio.to_thread(runner.invoke, cli, list(args), input=password, env=env)

    await login(client, "olena")
    passwd = await cli_("user", "passwd", "olena", "--password-stdin", password=PASSWORD + "\n")
    assert passwd.exit_code == 0, passwd.stderr
    assert (await client.get("/v1/session")).status_code == 401
    assert "sessions ended" in passwd.stdout
    await login(client, "olena")
    role = await cli_("user", "role", "olena", "--role", "viewer")
    assert role.exit_code == 0, role.stderr
    assert (await client.get("/v1/session")).status_code == 401
    await login(client, "olena")
    assert (await client.get("/v1/session")).json()["role"] == "viewer"
    entries = [e for e in await accounts.store.audit_entries() if e.target == "olena"]
    assert [(e.action, e.detail.get("sessions_ended")) for e in entries[-4:]] == [
        ("account.password_set", 1),
        ("session.login", None),
        ("account.role_set", 1),
        ("session.login", None),
    ]
    unknown = await cli_("user", "role", "nobody", "--role", "viewer")
    assert unknown.exit_code == 1 and "no account 'nobody'" in unknown.stderr


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "iloveyouiloveyou", "olena1234567"]
)
async def test_common_passwords_are_refused(tocsin: Tocsin, password: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await tocsin.accounts.create("olena", password, "viewer")
    assert info.value.field == "password" and "too easy to guess" in info.value.message


def test_the_cli_refuses_a_common_password(database_url: str) -> None:
    made = CliRunner().invoke(
        cli,
        ["user", "create", "oksana", "--role", "viewer", "--password-stdin"],
        input="password1234\n",
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    assert made.exit_code == 2
    assert "[password]" in made.stderr and "too easy to guess" in made.stderr
