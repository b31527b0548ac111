"""`tocsin siren`: register, list and remove sirens; simulate some to watch them work."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from tocsin.bootstrap import Tocsin
from tocsin.channels.sirens.bridge import configured_url
from tocsin.channels.sirens.simulator import Simulator
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.sirens import SirenRecord
from tocsin.errors import InvalidInput, NotFound
from tocsin.service.sirens import SirenService, check_id

app = typer.Typer(help="Sirens: the registry, and a simulator.", no_args_is_help=True)
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"


def _service(tocsin: Tocsin) -> SirenService:
    return tocsin.sirens


@app.command()
@handle_errors
def register(
    siren_id: Annotated[str, typer.Argument(metavar="ID", help="letters, digits, '-' or '_'")],
    region: Annotated[str, typer.Option(help="region code it stands in, e.g. UA-63-H1272")],
    name: Annotated[str | None, typer.Option(help="where it is, for people")] = None,
) -> None:
    """Register a siren; it sounds for alerts covering its region."""
    settings = current_settings()
    record = with_tocsin(settings, lambda t: t.sirens.register(siren_id, region, LOCAL_ADMIN, name))
    console.print(f"siren {record.id} registered at {record.region}", highlight=False)


@app.command("list")
@handle_errors
def list_(
    region: Annotated[str | None, typer.Option(help="only sirens in this region or below")] = None,
) -> None:
    """List sirens and their state."""
    settings = current_settings()
    records = with_tocsin(settings, lambda t: t.sirens.list(region))
    console.print(_table(records) if records else "no sirens")


@app.command()
@handle_errors
def remove(
    siren_id: Annotated[str, typer.Argument(metavar="ID")],
) -> None:
    """Remove a siren from the registry."""
    settings = current_settings()
    with_tocsin(settings, lambda t: t.sirens.remove(siren_id, LOCAL_ADMIN))
    console.print(f"siren {siren_id} removed", highlight=False)


@app.command()
@handle_errors
def simulate(
    count: Annotated[int, typer.Option(min=1, max=10_000, help="how many sirens")] = 5,
    region: Annotated[
        list[str] | None,
        typer.Option(help="region to place sirens in (repeat; round robin) [every oblast]"),
    ] = None,
    mqtt_url: Annotated[
        str | None, typer.Option(help=f"the broker [mqtt_url, else {DEFAULT_MQTT_URL}]")
    ] = None,
    prefix: Annotated[str | None, typer.Option(help="topic prefix [mqtt_topic_prefix]")] = None,
    fail_ack: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="share of acks the sirens fail to send")
    ] = 0.0,
    heartbeat: Annotated[float, typer.Option(min=0.05, help="seconds between heartbeats")] = 30.0,
    id_prefix: Annotated[str, typer.Option(help="siren ids are PREFIX-001, PREFIX-002, …")] = "sim",
    register: Annotated[
        bool, typer.Option(help="register the sirens in the local database first")
    ] = True,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds [run until Ctrl-C]")
    ] = None,
) -> None:
    """Run virtual sirens against the broker and show what each one is doing."""
    settings = current_settings()
    url = mqtt_url or configured_url(settings) or DEFAULT_MQTT_URL
    topic_prefix = prefix or settings.mqtt_topic_prefix
    check_id(f"{id_prefix}-{count:03d}")
    places = with_tocsin(settings, lambda t: _place(t, count, region or [], id_prefix, register))
    try:
        simulator = Simulator(
            places, url=url, prefix=topic_prefix, fail_ack=fail_ack, heartbeat=heartbeat
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="mqtt_url") from None
    console.print(
        f"{count} sirens on {simulator.address.label}, topics {topic_prefix}/sirens/…; "
        "Ctrl-C stops them",
        highlight=False,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_watch(simulator, duration))


async def _place(
    tocsin: Tocsin, count: int, regions: list[str], id_prefix: str, register: bool
) -> list[tuple[str, str]]:
    """(id, region) of each siren; registers those not registered yet."""
    tree = tocsin.regions.tree
    for code in regions:
        tree.require(code, field="region")
    codes = regions or [r.code for r in tree if r.level == "oblast"] or [r.code for r in tree]
    if not codes:
        raise InvalidInput("no regions: import a region pack first", field="region")
    service = tocsin.sirens
    places = []
    for n in range(1, count + 1):
        siren_id, code = f"{id_prefix}-{n:03d}", codes[(n - 1) % len(codes)]
        if register:
            try:
                code = (await service.get(siren_id)).region  # keep where it is registered
            except NotFound:
                await service.register(siren_id, code, LOCAL_ADMIN, f"simulated siren {n}")
        places.append((siren_id, code))
    return places


async def _watch(simulator: Simulator, duration: float | None) -> None:
    simulator.start()
    try:
        with Live(simulator.table(), console=console, refresh_per_second=4) as live:
            loop = asyncio.get_running_loop()
            end = None if duration is None else loop.time() + duration
            while end is None or loop.time() < end:
                await asyncio.sleep(0.25)
                live.update(simulator.table())
    finally:
        await simulator.stop()


def _table(records: list[SirenRecord]) -> Table:
    table = Table(
        "id",
        "region",
        "name",
        "state",
        "last heartbeat",
        "last command",
        "acked",
        "fault",
        box=None,
    )
    for r in records:
        table.add_row(
            r.id,
            r.region,
            r.name,
            r.state,
            r.last_heartbeat_at.isoformat(timespec="seconds") if r.last_heartbeat_at else "",
            str(r.last_command_seq or ""),
            str(r.last_ack_seq or "") if r.last_ack_at else "",
            r.fault_reason or "",
        )
    return table
