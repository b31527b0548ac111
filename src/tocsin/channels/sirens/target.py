"""The siren channel's delivery target: the log, folded into open alerts, published.

For each alert event it publishes, at QoS 1, the retained state of every region whose state
changed and a command to every siren the event concerns (see `commands`); the worker moves its
cursor only when that is done. A publish that fails (the broker is down) is a failed delivery:
the worker retries the same event once the link is back, so nothing is lost; only that
in-flight event may reach a receiver twice (`seq` tells).

Sirens that reconnect may have missed commands (a broker restart forgets sessions). Commands
therefore go only to sirens known to be listening ("in sync"): a siren becomes in sync when its
status arrives on the current connection, and is first sent, in order, every command it has not
carried out: those after the `last_seq` it reports (and after its last ack), derived again from
the log. Its commands always arrive in `seq` order. (A siren that has never sent a status is
taken for a plain subscriber and gets every command live.)

The exercise alert of a drill planned with `sirens: false` (raised with the source
`drill:<id>`) is not the sirens' business: it sends no command and no region state, and the
sirens judge the other alerts as if it were not there. Whether a drill wants its sirens is read
from the drills' table, once per drill (a drill cannot change once it has started). The
commands of a drill's alert are also noted in the drill's own record of its sirens
(`drill_sirens`), once per siren: its report reads them there, whatever the siren is sent after.

After each (re)connect the broker's retained states are read back and those that differ from
ours are published (all of them the first time): a broker that restarted may have lost them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiomqtt

from tocsin.channels.delivery import Outcome
from tocsin.channels.sirens.commands import (
    Command,
    SirenPlace,
    advance,
    event_alert,
    says,
    siren_command,
    state_key,
    state_payload,
    touches,
)
from tocsin.channels.sirens.link import Link, read_retained
from tocsin.channels.sirens.topics import Topics, encode, topic_safe
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import RegionTree
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.state import RegionState, region_states
from tocsin.storage.drill_store import DrillStore
from tocsin.storage.siren_store import SirenStore
from tocsin.types import AlertId, RegionCode, Seq, iso_time

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext

log = logging.getLogger("tocsin.sirens")

States = dict[RegionCode, RegionState]
DRILL_SOURCE = "drill:"  # the source a drill's alert is raised with, before the drill's id


@dataclass(frozen=True, slots=True)
class _Plan:
    after: dict[AlertId, Alert]
    status: Status
    states: States
    changed: list[RegionState]
    commands: list[Command]


class SirenTarget:
    """One worker's target: every alert event, as region states and siren commands."""

    def __init__(
        self,
        tocsin: ChannelContext,
        link: Link,
        topics: Topics,
        *,
        consumer: str,
        applied: Seq,
        alerts: Iterable[Alert],
        conn: str | None = None,
        connect_wait: float = 5.0,
        quiet: float = 0.3,
    ) -> None:
        self.tocsin = tocsin
        self.link = link
        self.topics = topics
        self.sirens = SirenStore(tocsin.store.engine)
        self.drills = DrillStore(tocsin.store.engine)
        self._silent: dict[str, bool] = {}  # drill id → planned with sirens: false
        self.connect_wait = connect_wait
        self.conn = conn or uuid.uuid4().hex[:12]
        self.applied = applied
        self.alerts = {a.id: a for a in alerts}
        self.states = {s: self._states(self.alerts.values(), s) for s in Status}
        self.synced: dict[str, str | None] = {}  # siren → the connection it is in sync on
        self.lock = asyncio.Lock()
        self.quiet = quiet
        self.reconciled = asyncio.Event()
        self._reconciler: asyncio.Task[None] | None = None
        self._consumer = consumer

    @property
    def consumer(self) -> str:
        return self._consumer

    @property
    def channel(self) -> str:
        return "sirens"

    @property
    def label(self) -> str:
        return f"{self.link.address.label}/{self.topics.prefix}"

    @property
    def tree(self) -> RegionTree:
        return self.tocsin.regions.tree

    def wants(self, event: Event) -> bool:
        return event_alert(event, self.tree) is not None

    async def silent(self, alert: Alert) -> bool:
        """Is this the exercise alert of a drill planned with `sirens: false`?"""
        source = alert.source or ""
        if alert.status is not Status.EXERCISE or not source.startswith(DRILL_SOURCE):
            return False
        drill_id = source.removeprefix(DRILL_SOURCE)
        if drill_id not in self._silent:
            drill = await self.drills.get(drill_id)
            self._silent[drill_id] = drill is not None and not drill.sirens
        return self._silent[drill_id]

    async def sounding(self, alerts: Iterable[Alert]) -> list[Alert]:
        """`alerts` without those the sirens must not sound for (see `silent`)."""
        return [a for a in alerts if not await self.silent(a)]

    async def leave_out_silent(self) -> None:
        """Drop, from the open alerts it starts from, those the sirens must not sound for."""
        self.alerts = {a.id: a for a in await self.sounding(self.alerts.values())}
        self.states = {s: self._states(self.alerts.values(), s) for s in Status}

    async def send(self, event: Event) -> Outcome:
        alert = event_alert(event, self.tree)
        if alert is None or event.seq <= self.applied:
            return Outcome.ok()
        if await self.silent(alert):
            self.applied = event.seq
            return Outcome.ok()
        if not await self.link.wait_connected(self.connect_wait):
            return Outcome.failed(f"broker unreachable: {self.link.last_error}", retry_after=0.1)
        async with self.lock:
            try:
                await self._deliver(event, alert)
            except aiomqtt.MqttError as exc:
                return Outcome.failed(f"publish failed: {exc}", retry_after=0.1)
            except Exception as exc:  # e.g. the database: retry soon, not after a long backoff
                log.exception("sirens: event %s failed", event.seq)
                return Outcome.failed(f"{type(exc).__name__}: {exc}", retry_after=1.0)
        return Outcome.ok()

    async def _deliver(self, event: Event, alert: Alert) -> None:
        sirens = await self.sirens.all()
        plan = self._plan(event, alert, sirens)
        # recorded first, so that an ack cannot overtake it: the command is owed from now on
        await self.sirens.record_commands([c.siren for c in plan.commands], event.seq, self._now())
        await self._note_drill(alert, event.seq, plan.commands, sirens)
        live = {r.id for r in sirens if self.listening(r)}
        for command in plan.commands:
            if command.siren in live:
                await self._command(command)
        for state in plan.changed:
            await self._state(state, plan.status, event.seq, event.id, event.time)
        self.alerts, self.states[plan.status], self.applied = plan.after, plan.states, event.seq

    async def _note_drill(
        self, alert: Alert, seq: Seq, commands: list[Command], sirens: list[SirenRecord]
    ) -> None:
        """The drill's record of which of its sirens were sent its command, and when."""
        source = alert.source or ""
        if alert.status is not Status.EXERCISE or not source.startswith(DRILL_SOURCE):
            return
        if not commands or alert.expires_at is None:
            return
        regions = {r.id: r.region for r in sirens}
        sent = [(c.siren, regions[c.siren]) for c in commands if c.siren in regions]
        drill_id = source.removeprefix(DRILL_SOURCE)
        if len(drill_id) != 32 or drill_id.strip("0123456789abcdef"):
            return  # not a drill's id: raised by hand with a source that looks like one
        command = (seq, self._now())
        await self.drills.note_sirens(
            drill_id, sent, alert.raised_at, alert.expires_at, command=command
        )

    async def connected(self) -> None:
        """After each (re)connect: every siren must sync again, and the broker's retained
        states are checked against ours (a broker that restarted may have lost or aged them)."""
        self.synced.clear()  # at once: no command may go out on the new connection before a sync
        async with self.lock:
            self.synced.clear()
            birth = {"state": "online", "conn": self.conn, "time": iso_time(self._now())}
            await self.link.publish(self.topics.bridge, encode(birth), retain=True)
        if self._reconciler is not None:
            self._reconciler.cancel()
        self.reconciled.clear()
        self._reconciler = asyncio.create_task(self._reconcile(), name="siren states check")

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler

    async def _reconcile(self) -> None:
        """Publish every state the broker does not hold as it is (all of them, the first time)."""
        patterns = (self.topics.states, f"{self.topics.states}/+")
        try:
            held = await read_retained(self.link.address, patterns, quiet=self.quiet)
            published = 0
            for status in Status:
                codes = list(self.states[status])
                for start in range(0, len(codes), 200):
                    async with self.lock:  # the worker may move on between chunks
                        published += await self._refresh(held, status, codes[start : start + 200])
        except aiomqtt.MqttError as exc:
            log.warning("could not check the retained states: %s (next connect will)", exc)
            return
        except Exception:
            log.exception("could not check the retained states (next connect will)")
            return
        self.reconciled.set()
        log.info("retained states checked: %d published", published)

    async def _refresh(self, held: dict[str, Any], status: Status, codes: list[str]) -> int:
        published = 0
        states, now = self.states[status], self._now()
        for code in codes:
            state = states.get(code)
            if state is not None and not says(
                held.get(self.topics.state(code, status)), state, status
            ):
                await self._state(state, status, self.applied, None, now)
                published += 1
        return published

    def _now(self) -> datetime:
        return self.tocsin.clock.now()

    async def sync(self, siren_id: str, conn: str | None, reported: Seq) -> None:
        """A siren is listening: send what it has not carried out, then keep it in sync."""
        if siren_id in self.synced and self.synced[siren_id] == conn:
            return  # the usual heartbeat
        async with self.lock:
            if siren_id in self.synced and self.synced[siren_id] == conn:
                return
            record = await self.sirens.get(siren_id)
            if record is None:
                return
            for command in await self.replay(record, max(reported, record.acked), self.applied):
                await self._command(command)
            self.synced[siren_id] = conn
            log.info("siren %s in sync (from seq %s)", siren_id, reported)

    def listening(self, record: SirenRecord) -> bool:
        """Send this siren its commands as they come? Yes if it is in sync, or if it has never
        sent a status (a plain subscriber: it gets every command live, and no re-sends); a
        siren that speaks the protocol but is out of sync gets them, in order, when it syncs."""
        return record.id in self.synced or record.last_heartbeat_at is None

    def gone(self, siren_id: str, conn: str | None) -> None:
        """A siren's connection ended (its last will): stop sending until it syncs again."""
        if siren_id in self.synced and conn in (None, self.synced[siren_id]):
            del self.synced[siren_id]

    async def resend(self, record: SirenRecord) -> int:
        """Send a siren again the commands it has not acknowledged; how many."""
        async with self.lock:
            if record.id not in self.synced:
                return 0
            commands = await self.replay(record, record.acked, self.applied)
            for command in commands:
                await self._command(command)
        return len(commands)

    async def replay(self, record: SirenRecord, after: Seq, upto: Seq) -> list[Command]:
        """The commands a siren was due for events (after, upto], derived again from the log."""
        tree, catalogue = self.tree, self.tocsin.catalogue
        if record.region not in tree or after >= upto:
            return []
        place = SirenPlace(record.id, record.region, frozenset(tree.lineage(record.region)))
        opened = await self.sounding(await self.sirens.open_alerts_at(after))
        alerts: dict[AlertId, Alert] = {a.id: a for a in opened}
        commands: list[Command] = []
        while after < upto:
            events = [e for e in await self.tocsin.store.events_after(after, 500) if e.seq <= upto]
            if not events:
                break
            for event in events:
                alert = event_alert(event, tree)
                if alert is None or await self.silent(alert):
                    continue
                following = advance(alerts, alert)
                if touches(alert, alerts, place.lineage):
                    command = siren_command(event, alert, alerts, following, place, catalogue)
                    commands += [command] if command else []
                alerts = following
            after = events[-1].seq
        return commands

    def _plan(self, event: Event, alert: Alert, sirens: list[SirenRecord]) -> _Plan:
        tree, catalogue = self.tree, self.tocsin.catalogue
        after = advance(self.alerts, alert)
        states = self._states(after.values(), alert.status)
        before = self.states[alert.status]
        changed = [s for code, s in states.items() if state_key(s) != state_key(before.get(code))]
        commands = []
        for record in sirens:
            if record.region not in tree or record.acked >= event.seq:
                continue  # the siren is newer than the event, or already has its command
            place = SirenPlace(record.id, record.region, frozenset(tree.lineage(record.region)))
            if touches(alert, self.alerts, place.lineage):
                command = siren_command(event, alert, self.alerts, after, place, catalogue)
                commands += [command] if command else []
        return _Plan(after, alert.status, states, changed, commands)

    def _states(self, alerts: Iterable[Alert], status: Status) -> States:
        return region_states(self.tree, alerts, self.tocsin.catalogue, status)

    async def _command(self, command: Command) -> None:
        await self.link.publish(self.topics.command(command.siren), encode(command.to_json()))

    async def _state(
        self, state: RegionState, status: Status, seq: Seq, event_id: str | None, time: datetime
    ) -> None:
        if not topic_safe(state.code) or "/" in state.code:
            return
        payload = state_payload(state, status, seq=seq, event_id=event_id, time=iso_time(time))
        await self.link.publish(self.topics.state(state.code, status), encode(payload), retain=True)
