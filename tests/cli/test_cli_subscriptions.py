"""`tocsin subscription …` and `tocsin channel list`, on the local database, and against a
server running in another thread that picks the CLI's changes up (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.channels import webhook
from tocsin.cli import app as tocsin_app
from tocsin.cli import channels, subscriptions
from tocsin.domain.commands import PauseSubscription
from tocsin.service.audit import SYSTEM
from tocsin.storage.delivery_store import Attempt
from webhook_support import Reply, ThreadedReceiver, always, settings, wait_until

runner = CliRunner()
HOOK = "https://93.184.216.34/hook"
CHANNEL = "tocsin.channels.subscriptions:SubscriptionChannel"

cli = typer.Typer()
cli.add_typer(subscriptions.app, name="subscription")
cli.add_typer(channels.app, name="channel")
cli.add_typer(tocsin_app, name="main")  # `main alert raise …` for the commands already wired


def tocsin(database_url: str, *args: str, code: int = 0) -> str:
    env = {"TOCSIN_DATABASE_URL": database_url, "COLUMNS": "250"}  # tables unfolded
    result = runner.invoke(cli, [*args], env=env)
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def as_json(database_url: str, *args: str) -> Any:
    return json.loads(tocsin(database_url, *args, "--json"))


def in_db(database_url: str, fn: Any) -> Any:
    async def go() -> Any:
        app = await build(settings(database_url))
        try:
            return await fn(app)
        finally:
            await app.close()

    return asyncio.run(go())


def test_add_list_show_and_remove(database_url: str) -> None:
    added = tocsin(
        database_url, "subscription", "add", "--url", HOOK, "-r", "UA-63", "--threat", "missile"
    )
    *lines, secret = added.strip().splitlines()
    assert secret.startswith("whsec_") and "not shown again" in lines[-1]
    assert f"webhook to {HOOK}; UA-63; missile; actual" in lines[0]
    sub = lines[0].split()[1]
    listed = tocsin(database_url, "subscription", "list")
    assert sub in listed and "active" in listed and secret not in listed
    shown = tocsin(database_url, "subscription", "show", sub)
    assert "UA-63; missile; actual" in shown and "whsec_…" + secret[-4:] in shown
    view = as_json(database_url, "subscription", "show", sub)
    assert view["secret"] == "whsec_…" + secret[-4:] and view["backlog"] == 0
    assert as_json(database_url, "subscription", "list")["subscriptions"] == [view]
    assert "no delivery attempts yet" in tocsin(database_url, "subscription", "deliveries", sub)
    assert f"subscription {sub} removed" in tocsin(database_url, "subscription", "remove", sub)
    assert "no subscriptions" in tocsin(database_url, "subscription", "list")
    missing = tocsin(database_url, "subscription", "show", sub, code=1)
    assert f"error [id]: no subscription '{sub}'" in missing


def test_add_with_everything_given_as_json(database_url: str) -> None:
    given = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    view = as_json(
        database_url,
        "subscription",
        "add",
        "--url",
        HOOK,
        "--status",
        "exercise",
        "--status",
        "test",
        "--lang",
        "uk",
        "--secret",
        given,
    )
    assert view["secret"] == given and view["lang"] == "uk"
    assert view["filters"] == {"regions": [], "threats": [], "statuses": ["exercise", "test"]}


REFUSED = [
    (["--region", "UA-99"], "error [regions[0]]: unknown region code 'UA-99'"),
    (["--threat", "meteor"], "error [threats[0]]"),
    (["--status", "real"], "error [statuses[0]]"),
    (["--kind", "sms"], "error [kind]: unknown subscription kind 'sms'"),
    (["--option", "novalue"], "error [option]"),
    (["--url", "http://127.0.0.1:8000/x"], "error [url]: 127.0.0.1 is a loopback address"),
]


def test_bad_input_is_refused_with_the_field(database_url: str) -> None:
    for args, message in REFUSED:
        out = tocsin(database_url, "subscription", "add", "--url", HOOK, *args, code=2)
        assert message in out
    assert "no subscriptions" in tocsin(database_url, "subscription", "list")


def test_a_paused_subscription_is_reported(database_url: str) -> None:
    view = as_json(database_url, "subscription", "add", "--url", HOOK + "?token=x")
    sub, consumer = view["id"], f"webhook:{view['id']}"

    async def fail(app: Tocsin) -> int:
        seq: int = view["start_seq"] + 1
        moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        for attempt in (1, 2):
            await app.deliveries.record(
                Attempt(
                    consumer,
                    "webhook",
                    HOOK + "?***",
                    seq,
                    "e-1",
                    attempt,
                    moment,
                    12.5,
                    "failed",
                    "HTTP 410",
                )
            )
        await app.facts.report(PauseSubscription(sub, f"event {seq}: HTTP 410"), SYSTEM)
        return seq

    seq = in_db(database_url, fail)
    listed = tocsin(database_url, "subscription", "list")
    assert "paused" in listed and f"event {seq}: HTTP 410" in listed
    attempts = as_json(database_url, "subscription", "deliveries", sub)["deliveries"]
    assert [(a["attempt"], a["outcome"], a["error"]) for a in attempts] == [
        (2, "failed", "HTTP 410"),
        (1, "failed", "HTTP 410"),
    ]
    table = tocsin(database_url, "subscription", "deliveries", sub, "--limit", "1")
    assert "HTTP 410" in table and table.count("failed") == 1
    report = as_json(database_url, "channel", "list")
    [row] = report["targets"]
    assert row == {
        "consumer": consumer,
        "channel": "webhook",
        "target": HOOK + "?***",
        "state": "paused",
        "cursor": view["start_seq"],
        "backlog": report["last_seq"] - view["start_seq"],
        "last_error": f"event {seq}: HTTP 410",
        "last_error_at": "2026-03-01T12:00:00Z",
    }
    text = tocsin(database_url, "channel", "list")
    assert consumer in text and "paused" in text and "HTTP 410" in text
    assert "active again" in tocsin(database_url, "subscription", "resume", sub)
    assert as_json(database_url, "subscription", "show", sub)["state"] == "active"


def test_channel_list_without_targets_and_with_other_consumers(database_url: str) -> None:
    assert "no delivery targets yet" in tocsin(database_url, "channel", "list")

    async def other_channel(app: Tocsin) -> None:
        await app.deliveries.advance("sirens:bridge-1", 1, datetime.now(UTC))
        await app.deliveries.advance("webhook:sub_removed00001", 1, datetime.now(UTC))

    in_db(database_url, other_channel)
    rows = as_json(database_url, "channel", "list")["targets"]
    assert [(r["consumer"], r["channel"], r["cursor"]) for r in rows] == [
        ("sirens:bridge-1", "sirens", 1)  # the cursor of a removed subscription is not shown
    ]


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """A server on a free port with the subscription channel, allowed to reach loopback."""

    async def factory() -> Tocsin:
        return await build(settings(database_url, webhook_allow_private=True, channels=(CHANNEL,)))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(factory=factory), host="127.0.0.1", port=port, log_level="warning"
    )
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    wait_until(lambda: live.started, timeout=20)
    yield f"http://127.0.0.1:{port}"
    live.should_exit = True
    thread.join(10)


def test_a_running_server_follows_the_cli(
    database_url: str, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the CLI's own check of the address; `TOCSIN_WEBHOOK_ALLOW_PRIVATE=1` once config has it
    monkeypatch.setattr(webhook, "allow_private", lambda _settings: True)
    with ThreadedReceiver(always(410)) as receiver:
        view = as_json(database_url, "subscription", "add", "--url", receiver.url, "-r", "UA-63")
        sub = view["id"]
        raised = json.loads(
            tocsin(
                database_url, "main", "alert", "raise", "--threat", "uav", "-r", "UA-63", "--json"
            )
        )
        assert raised["regions"][0]["code"] == "UA-63"
        seq = view["start_seq"] + 1
        wait_until(lambda: len(receiver.requests) == 1)
        wait_until(lambda: as_json(database_url, "subscription", "show", sub)["state"] == "paused")
        shown = as_json(database_url, "subscription", "show", sub)
        assert shown["state_reason"] == f"event {seq}: HTTP 410"
        receiver.plan = lambda _request, _count: Reply()
        tocsin(database_url, "subscription", "resume", sub)
        wait_until(lambda: receiver.seqs == [seq])
        wait_until(lambda: as_json(database_url, "channel", "list")["targets"][0]["backlog"] == 0)
        [row] = as_json(database_url, "channel", "list")["targets"]
        assert (row["state"], row["cursor"], row["last_error"]) == ("active", seq + 1, "HTTP 410")
        attempts = as_json(database_url, "subscription", "deliveries", sub)["deliveries"]
        assert [a["outcome"] for a in attempts] == ["delivered", "failed"]
