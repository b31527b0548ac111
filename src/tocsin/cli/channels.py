"""`tocsin channel`: delivery targets with their backlog and last error, from the database.

Read from what every worker leaves behind (durable cursors, the attempt log and subscription
states), so it works whether or not a server is running.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from tocsin.bootstrap import Tocsin
from tocsin.channels.subscriptions import KINDS, shown
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)
from tocsin.cli.subscriptions import folding
from tocsin.types import iso_time

app = typer.Typer(help="Delivery channels: backlog and last error.", no_args_is_help=True)


async def report(tocsin: Tocsin) -> dict[str, Any]:
    """Every consumer with a cursor or a subscription: its cursor, backlog and last error."""
    deliveries = tocsin.deliveries
    head = await tocsin.store.last_seq()
    cursors = await deliveries.cursors()
    errors = await deliveries.last_errors()
    subscriptions = {r.consumer: r for r in await deliveries.subscriptions()}
    rows = []
    for consumer in sorted(cursors.keys() | subscriptions.keys()):
        record = subscriptions.get(consumer)
        channel = consumer.partition(":")[0]
        if record is None and channel in KINDS:
            continue  # the cursor of a removed subscription
        cursor = cursors.get(consumer, record.start_seq if record else 0)
        error = errors.get(consumer)
        rows.append(
            {
                "consumer": consumer,
                "channel": channel,
                "target": shown(record.kind, record.url) if record else None,
                "state": record.state if record else None,
                "cursor": cursor,
                "backlog": max(0, head - cursor),
                "last_error": (record.state_reason if record else None)
                or (error[1] if error else None),
                "last_error_at": iso_time(error[0]) if error else None,
            }
        )
    return {"last_seq": head, "targets": rows}


@app.command("list")
@handle_errors
def list_(
    json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List delivery targets: state, cursor, backlog and last error."""
    found = with_tocsin(current_settings(), report)
    if json:
        print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return
    rows = found["targets"]
    table = folding("consumer", "target", "state", "cursor", "backlog", "last error")
    for row in rows:
        error = row["last_error"] or ""
        table.add_row(
            row["consumer"],
            row["target"] or "",
            row["state"] or "",
            str(row["cursor"]),
            str(row["backlog"]),
            f"{error} ({row['last_error_at']})" if error and row["last_error_at"] else error,
        )
    console.print(f"log at event {found['last_seq']}", highlight=False)
    console.print(table if rows else "no delivery targets yet", highlight=False)
