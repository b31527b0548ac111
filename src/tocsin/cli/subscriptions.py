"""`tocsin subscription`: webhook, apprise and broadcast subscriptions (in the local database).

A running server picks changes up within seconds.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.table import Column, Table

from tocsin.api.subscriptions import attempt_view, subscription_view
from tocsin.bootstrap import Tocsin
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.errors import InvalidInput
from tocsin.service.subscriptions import Filters, NewSubscription
from tocsin.types import DEFAULT_LANG

app = typer.Typer(help="Webhook, apprise and broadcast subscriptions.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="print JSON")]
SubscriptionId = Annotated[str, typer.Argument(help="subscription id, e.g. sub_1a2b3c4d5e6f")]


def folding(key: str, *headers: str) -> Table:
    """A table whose first column (an id) never wraps and whose others fold, never cut."""
    columns = [Column(key, no_wrap=True), *(Column(h, overflow="fold") for h in headers)]
    return Table(*columns, box=None)


def _print_json(body: Any) -> None:
    print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())


def _options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"an option is KEY=VALUE; got {pair!r}", field="option")
        options[key.strip()] = value
    return options


async def _views(tocsin: Tocsin, subscription_id: str | None = None) -> list[dict[str, Any]]:
    service = tocsin.subscriptions
    head, cursors = await service.progress()
    if subscription_id is not None:
        records = [await service.get(subscription_id)]
    else:
        records = await service.records()
    return [subscription_view(r, head, cursors) for r in records]


def _filters_text(filters: dict[str, Any]) -> str:
    regions = ", ".join(filters.get("regions") or []) or "all regions"
    threats = ", ".join(filters.get("threats") or []) or "all threats"
    statuses = ", ".join(filters.get("statuses") or ["actual"])
    return f"{regions}; {threats}; {statuses}"


@app.command()
@handle_errors
def add(
    url: Annotated[str, typer.Option(help="where to deliver, e.g. https://example.org/hook")],
    kind: Annotated[str, typer.Option(help="webhook, apprise or broadcast")] = "webhook",
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="region code (repeat)")
    ] = None,
    threat: Annotated[list[str] | None, typer.Option(help="threat id (repeat)")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="actual, exercise, test or all (repeat)")
    ] = None,
    lang: Annotated[str, typer.Option(help="language of texts: en, uk, ru")] = DEFAULT_LANG,
    secret: Annotated[
        str | None, typer.Option(help="webhook secret whsec_…; made if not given")
    ] = None,
    option: Annotated[list[str] | None, typer.Option(help="kind option KEY=VALUE (repeat)")] = None,
    json: Json = False,
) -> None:
    """Subscribe a target to the events of the regions and threats given (default: all)."""
    settings = current_settings()
    new = NewSubscription(
        kind,
        url,
        Filters(region or [], threat or [], status or ["actual"]),
        lang,
        secret,
        _options(option or []),
    )

    async def go(tocsin: Tocsin) -> tuple[dict[str, Any], str | None]:
        created = await tocsin.subscriptions.create(new, LOCAL_ADMIN)
        [view] = await _views(tocsin, created.record.id)
        return view, created.secret

    view, new_secret = with_tocsin(settings, go)
    if json:
        _print_json({**view, "secret": new_secret} if new_secret else view)
        return
    console.print(
        f"subscription {view['id']} ({view['kind']} to {view['url']}; "
        f"{_filters_text(view['filters'])})",
        highlight=False,
    )
    if new_secret is not None:
        console.print("its signing secret; keep it, it is not shown again:", highlight=False)
        print(new_secret)


@app.command("list")
@handle_errors
def list_(json: Json = False) -> None:
    """List subscriptions with their state and backlog (never their secrets)."""
    views = with_tocsin(current_settings(), _views)
    if json:
        _print_json({"subscriptions": views})
        return
    table = folding("id", "kind", "target", "filters", "state", "backlog", "reason")
    for v in views:
        table.add_row(
            v["id"],
            v["kind"],
            v["url"],
            _filters_text(v["filters"]),
            v["state"],
            str(v["backlog"]),
            v["state_reason"] or "",
        )
    console.print(table if views else "no subscriptions", highlight=False)


@app.command()
@handle_errors
def show(
    subscription_id: SubscriptionId,
    json: Json = False,
) -> None:
    """Show one subscription."""
    [view] = with_tocsin(current_settings(), lambda t: _views(t, subscription_id))
    if json:
        _print_json(view)
        return
    view["filters"] = _filters_text(view["filters"])
    width = max(len(key) for key in view)
    for key, value in view.items():
        shown = "" if value is None else value
        console.print(f"{key:<{width}}  {shown}", highlight=False)


@app.command()
@handle_errors
def remove(
    subscription_id: SubscriptionId,
) -> None:
    """Remove a subscription; nothing more is delivered to it."""
    settings = current_settings()
    with_tocsin(settings, lambda t: t.subscriptions.delete(subscription_id))
    console.print(f"subscription {subscription_id} removed", highlight=False)


@app.command()
@handle_errors
def resume(
    subscription_id: SubscriptionId,
) -> None:
    """Deliver again to a paused subscription, from the event it stopped at."""
    settings = current_settings()
    with_tocsin(settings, lambda t: t.subscriptions.resume(subscription_id))
    console.print(f"subscription {subscription_id} is active again", highlight=False)


@app.command()
@handle_errors
def deliveries(
    subscription_id: SubscriptionId,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    json: Json = False,
) -> None:
    """Show a subscription's delivery attempts, newest first."""
    settings = current_settings()
    attempts = with_tocsin(settings, lambda t: t.subscriptions.attempts(subscription_id, limit))
    views = [attempt_view(a) for a in attempts]
    if json:
        _print_json({"deliveries": views})
        return
    table = folding("time", "event", "attempt", "outcome", "ms", "error")
    for v in views:
        table.add_row(
            v["time"],
            str(v["event_seq"]),
            str(v["attempt"]),
            v["outcome"],
            f"{v['latency_ms']:.0f}",
            v["error"] or "",
        )
    console.print(table if views else "no delivery attempts yet", highlight=False)
