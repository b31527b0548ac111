"""The `tocsin` command."""

from __future__ import annotations

import typer

from tocsin.cli import (
    alerts,
    audit,
    cap,
    channels,
    db,
    drills,
    history,
    incidents,
    radio,
    regions,
    replay,
    reports,
    serve,
    sirens,
    stats,
    subscriptions,
    tokens,
    users,
)
from tocsin.cli.common import root
from tocsin.cli.metavars import ReadableGroup

app = typer.Typer(
    name="tocsin",
    help="tocsin: public warning system for air threats.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.callback(cls=ReadableGroup)(root)
app.add_typer(db.app, name="db")
app.add_typer(regions.app, name="regions")
app.add_typer(alerts.app, name="alert")
app.add_typer(tokens.app, name="token")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(cap.app, name="cap")
app.add_typer(incidents.app, name="incident")
app.add_typer(reports.app, name="report")
app.add_typer(sirens.app, name="siren")
app.add_typer(drills.app, name="drill")
app.add_typer(history.app, name="history")
app.add_typer(stats.app, name="stats")
app.add_typer(subscriptions.app, name="subscription")
app.add_typer(channels.app, name="channel")
app.add_typer(radio.app, name="radio")
replay.register(app)
serve.register(app)


def main() -> None:
    app()
