"""`tocsin alert`: raise, update, end, cancel, list and show alerts.

Runs against the local database, or against a running server with `--server` and `--token`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from tocsin.cli import alert_ids
from tocsin.cli.client import AlertClient, open_client
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    run,
)
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert

app = typer.Typer(help="Raise and manage alerts.", no_args_is_help=True)

Server = Annotated[
    str | None,
    typer.Option(envvar="TOCSIN_SERVER", help="a running server, e.g. http://127.0.0.1:8000"),
]
Token = Annotated[str | None, typer.Option(envvar="TOCSIN_TOKEN", help="API token for --server")]
Lang = Annotated[str, typer.Option(help="language of names and instructions: en, uk, ru")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]
Regions = Annotated[list[str] | None, typer.Option("--region", "-r", help="region code (repeat)")]


class Target:
    def __init__(self, server: str | None, token: str | None, lang: str) -> None:
        self.settings = current_settings()
        self.server, self.token, self.lang = server, token, lang

    def call(self, fn: Any) -> Any:
        async def go() -> Any:
            async with open_client(self.settings, self.server, self.token, self.lang) as client:
                return await fn(client)

        return run(go())

    def on(self, alert_id: str, fn: Any) -> Any:
        """Call `fn(client, full_id)` for the alert whose id is or starts with `alert_id`."""

        async def go(client: AlertClient) -> Any:
            return await fn(client, await alert_ids.resolve(client, alert_id))

        return self.call(go)


@app.command("raise")
@handle_errors
def raise_(
    threat: Annotated[str, typer.Option(help="threat type: missile, uav, air, artillery, …")],
    region: Regions = None,
    status: Annotated[Status, typer.Option(help="actual, exercise or test")] = Status.ACTUAL,
    pre_alert: Annotated[bool, typer.Option("--pre-alert", help="early warning only")] = False,
    expires_in: Annotated[int | None, typer.Option(help="minutes until it expires", min=1)] = None,
    headline: Annotated[str | None, typer.Option()] = None,
    text: Annotated[str | None, typer.Option(help="free text for the public")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="retries with it raise once")] = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Raise an alert for one or more regions."""
    expires = datetime.now(UTC) + timedelta(minutes=expires_in) if expires_in else None
    cmd = RaiseAlert(
        threat=threat,
        regions=region or [],
        status=status,
        pre_alert=pre_alert,
        expires_at=expires,
        headline=headline,
        text=text,
        source="cli",
    )
    target = Target(server, token, lang)
    alert = target.call(lambda c: c.raise_alert(cmd, idempotency_key))
    _show(alert, json)


@app.command()
@handle_errors
def update(
    alert_id: Annotated[
        str, typer.Argument(metavar="ID", help="alert id, or a unique prefix of it")
    ],
    threat: Annotated[str | None, typer.Option(help="escalate or de-escalate to this")] = None,
    add_region: Annotated[list[str] | None, typer.Option(help="region to add (repeat)")] = None,
    remove_region: Annotated[
        list[str] | None, typer.Option(help="region to remove (repeat)")
    ] = None,
    headline: Annotated[str | None, typer.Option()] = None,
    text: Annotated[str | None, typer.Option()] = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Escalate or de-escalate an alert, add or remove regions, change its text."""
    cmd = UpdateAlert(
        threat=threat,
        add_regions=add_region or [],
        remove_regions=remove_region or [],
        headline=headline,
        text=text,
    )
    target = Target(server, token, lang)
    _show(target.on(alert_id, lambda c, i: c.update(i, cmd)), json)


def _action(name: str, doc: str) -> None:
    @handle_errors
    def command(
        alert_id: Annotated[
            str, typer.Argument(metavar="ID", help="alert id, or a unique prefix of it")
        ],
        server: Server = None,
        token: Token = None,
        lang: Lang = "en",
        json: Json = False,
    ) -> None:
        target = Target(server, token, lang)
        _show(target.on(alert_id, lambda c, i: c.act(i, name)), json)

    command.__doc__ = doc
    app.command(name)(command)


_action("end", "End an alert: the all-clear.")
_action("activate", "Promote a pre-alert to an active alert.")


@app.command()
@handle_errors
def cancel(
    alert_id: Annotated[
        str, typer.Argument(metavar="ID", help="alert id, or a unique prefix of it")
    ],
    message: Annotated[str | None, typer.Option(help="false-alarm message")] = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Cancel an alert as a false alarm."""
    target = Target(server, token, lang)
    _show(target.on(alert_id, lambda c, i: c.act(i, "cancel", message)), json)


@app.command()
@handle_errors
def show(
    alert_id: Annotated[
        str, typer.Argument(metavar="ID", help="alert id, or a unique prefix of it")
    ],
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Show one alert."""
    target = Target(server, token, lang)
    _show(target.on(alert_id, lambda c, i: c.get(i)), json)


@app.command("list")
@handle_errors
def list_(
    history: Annotated[bool, typer.Option("--history", help="past alerts too")] = False,
    region: Annotated[str | None, typer.Option(help="alerts covering this region")] = None,
    threat: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="actual, exercise, test or all")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """List active alerts (or, with --history, all alerts newest first)."""
    params = {k: v for k, v in {"region": region, "threat": threat}.items() if v}
    target = Target(server, token, lang)
    if history:
        if status and status != "all":
            params["status"] = status
        params["limit"] = str(limit)
        alerts: list[dict[str, Any]] = target.call(lambda c: c.history(params))
    else:
        params["status"] = status or "all"
        alerts = target.call(lambda c: c.active(params))
    if json:
        console.print_json(orjson.dumps({"alerts": alerts}).decode())
        return
    _table(alerts)


def _show(alert: dict[str, Any], as_json: bool) -> None:
    if as_json:
        console.print_json(orjson.dumps(alert).decode())
        return
    threat = alert["threat"]
    lines = [
        ("id", alert["id"]),
        ("signal", alert["signal"]),
        ("status", alert["status"] + (f" ({alert['marker']})" if alert["marker"] else "")),
        ("phase", alert["phase"]),
        ("threat", f"{threat['id']}: {threat.get('name', '')}"),
        ("regions", "; ".join(f"{r['code']} {r['name']}" for r in alert["regions"])),
        ("raised", f"{alert['raised_at']} by {alert['raised_by']}"),
        ("instructions", threat.get("instructions", "")),
    ]
    lines += [
        (key, alert[key])
        for key in ("ended_at", "expires_at", "headline", "text", "cancel_message")
        if alert.get(key)
    ]
    for key, value in lines:
        console.print(f"[bold]{key:>13}[/] {value}", highlight=False, soft_wrap=True)


def _table(alerts: list[dict[str, Any]]) -> None:
    table = Table("id", "status", "phase", "threat", "regions", "raised", box=None)
    for alert in alerts:
        style = "bold red" if alert["status"] == "actual" and alert["phase"] == "active" else ""
        status = alert["status"].upper() if alert["status"] != "actual" else alert["status"]
        regions = ", ".join(f"{r['code']} {r['name']}" for r in alert["regions"][:4])
        if len(alert["regions"]) > 4:
            regions += f" +{len(alert['regions']) - 4}"
        table.add_row(
            alert["id"][:8],
            status,
            alert["phase"],
            alert["signal"],
            regions,
            alert["raised_at"],
            style=style,
        )
    console.print(table if alerts else "no alerts")
