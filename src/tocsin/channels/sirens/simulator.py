"""Virtual sirens: each one connects to the broker, carries out its commands, acknowledges them
and sends heartbeats, the way a real siren controller must (see docs/sirens.md).

A siren carries out a command once: a command whose `seq` is not above the newest it has
carried out is a duplicate and is only acknowledged again. An actual alert is never interrupted
by a drill: a drill command that arrives while an actual pattern sounds is acknowledged and
noted, not played. `tocsin siren simulate` shows them live; tests drive `Simulator` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiomqtt
import orjson
from rich.table import Table

from tocsin.channels.sirens.link import BrokerAddress
from tocsin.channels.sirens.topics import DEFAULT_PREFIX, Topics, encode
from tocsin.types import iso_time

log = logging.getLogger("tocsin.sirens.simulator")
Now = Callable[[], float]


@dataclass(eq=False)
class VirtualSiren:
    """One siren's state; `handle` is all of its logic (no I/O)."""

    id: str
    region: str
    last_seq: int = 0
    mode: str = "idle"  # idle | sounding | all_clear | stopped
    pattern: str = "none"
    threat: str | None = None
    drill: bool = False
    until: float = 0.0
    message: str | None = None
    connected: bool = False
    conn: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)  # every command, as it came
    carried_out: list[int] = field(default_factory=list)
    acks_sent: int = 0
    acks_dropped: int = 0

    def handle(self, command: dict[str, Any], now: float) -> dict[str, Any]:
        """Carry out a command (unless it is a duplicate); the ack to send."""
        self.received.append(command)
        seq = int(command["seq"])
        if seq <= self.last_seq:
            return {"seq": seq, "result": "duplicate", "time": _now_iso()}
        self.last_seq = seq
        self.carried_out.append(seq)
        drill = bool(command.get("drill"))
        if drill and self.sounding(now) and not self.drill:
            return {
                "seq": seq,
                "result": "ok",
                "note": "drill ignored during an actual alert",
                "time": _now_iso(),
            }
        kind = command.get("command")
        self.drill, self.threat = drill, command.get("threat")
        self.pattern = str(command.get("pattern", "none"))
        self.message = command.get("message")
        if kind in ("sound", "all_clear"):
            self.mode = "sounding" if kind == "sound" else "all_clear"
            self.until = now + float(command.get("seconds", 0))
        else:
            self.mode, self.until = "stopped", now
        return {"seq": seq, "result": "ok", "time": _now_iso()}

    def sounding(self, now: float) -> bool:
        return self.mode in ("sounding", "all_clear") and now < self.until

    def activity(self, now: float) -> str:
        """What a passer-by would notice, e.g. `DRILL sounding continuous 2:53 (missile)`."""
        drill = "DRILL " if self.drill else ""
        if self.sounding(now):
            left = int(self.until - now + 0.999)
            what = "sounding " + self.pattern if self.mode == "sounding" else "all-clear"
            threat = f" ({self.threat})" if self.threat and self.mode == "sounding" else ""
            return f"{drill}{what} {left // 60}:{left % 60:02d}{threat}"
        if self.mode == "stopped":
            return f"{drill}stopped: false alarm"
        return "idle"

    def status(self, now: float, online: bool = True) -> dict[str, Any]:
        return {
            "state": "online" if online else "offline",
            "conn": self.conn,
            "last_seq": self.last_seq,
            "activity": self.activity(now),
            "time": _now_iso(),
        }


class Simulator:
    """N virtual sirens, each on a connection of its own that comes back when it breaks."""

    def __init__(
        self,
        sirens: Iterable[tuple[str, str]],
        *,
        url: str = "mqtt://127.0.0.1:1883",
        prefix: str = DEFAULT_PREFIX,
        fail_ack: float = 0.0,
        heartbeat: float = 30.0,
        backoff: tuple[float, float] = (0.1, 5.0),
        rng: random.Random | None = None,
        clock: Now = time.monotonic,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.topics = Topics(prefix)
        self.sirens = {sid: VirtualSiren(sid, region) for sid, region in sirens}
        self.fail_ack = fail_ack
        self.heartbeat = heartbeat
        self.heartbeats = True  # tests turn them off to make one go stale
        self.backoff = backoff
        self.rng = rng or random.Random()
        self.clock = clock
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for siren in self.sirens.values():
            self._tasks.append(asyncio.create_task(self._run(siren), name=f"siren {siren.id}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    @property
    def connected(self) -> bool:
        return all(siren.connected for siren in self.sirens.values())

    def table(self) -> Table:
        now = self.clock()
        table = Table("siren", "region", "link", "doing", "last seq", "acks", box=None)
        for siren in self.sirens.values():
            lost = f" ({siren.acks_dropped} lost)" if siren.acks_dropped else ""
            table.add_row(
                siren.id,
                siren.region,
                "[green]up[/]" if siren.connected else "[red]down[/]",
                _styled(siren, siren.activity(now)),
                str(siren.last_seq or ""),
                f"{siren.acks_sent}{lost}",
            )
        return table

    async def _run(self, siren: VirtualSiren) -> None:
        delay = self.backoff[0]
        while True:
            siren.conn = uuid.uuid4().hex[:12]
            offline = encode(siren.status(self.clock(), online=False))
            will = aiomqtt.Will(self.topics.status(siren.id), offline, qos=1)
            try:
                async with self.address.client(
                    identifier=f"tocsin-siren-{siren.id}-{siren.conn[:6]}", will=will
                ) as client:
                    delay = self.backoff[0]
                    await self._serve(siren, client)
            except aiomqtt.MqttError as exc:
                log.debug("siren %s: %s", siren.id, exc)
            finally:
                siren.connected = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def _serve(self, siren: VirtualSiren, client: aiomqtt.Client) -> None:
        await client.subscribe(self.topics.command(siren.id), qos=1)
        await client.subscribe(self.topics.bridge, qos=1)
        await self._status(siren, client)
        siren.connected = True
        beats = asyncio.create_task(self._beat(siren, client))
        try:
            async for message in client.messages:
                await self._receive(siren, client, message)
        finally:
            beats.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await beats
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                async with asyncio.timeout(1):  # a clean stop sends no last will: say goodbye
                    goodbye = encode(siren.status(self.clock(), online=False))
                    await client.publish(self.topics.status(siren.id), goodbye, qos=1)

    async def _receive(
        self, siren: VirtualSiren, client: aiomqtt.Client, message: aiomqtt.Message
    ) -> None:
        try:
            data = orjson.loads(message.payload) if isinstance(message.payload, bytes) else None
        except orjson.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        if message.topic.value == self.topics.bridge:
            if data.get("state") == "online":
                await self._status(siren, client)  # the bridge is back: tell it where we are
            return
        if not isinstance(data.get("seq"), int):
            return
        ack = siren.handle(data, self.clock())
        if self.rng.random() < self.fail_ack:
            siren.acks_dropped += 1
            return
        await client.publish(self.topics.ack(siren.id), encode(ack), qos=1)
        siren.acks_sent += 1

    async def _beat(self, siren: VirtualSiren, client: aiomqtt.Client) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            if self.heartbeats:
                await self._status(siren, client)

    async def _status(self, siren: VirtualSiren, client: aiomqtt.Client) -> None:
        status = encode(siren.status(self.clock()))
        await client.publish(self.topics.status(siren.id), status, qos=1)


def _styled(siren: VirtualSiren, text: str) -> str:
    if text.startswith("DRILL"):
        return f"[yellow]{text}[/]"
    if siren.mode == "sounding" and text != "idle":
        return f"[bold red]{text}[/]"
    if siren.mode == "all_clear" and text != "idle":
        return f"[green]{text}[/]"
    return text


def _now_iso() -> str:
    return iso_time(datetime.now(UTC))
