"""The composition root: wires store, services, catalogue and clock from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from py_vapid import Vapid02

from tocsin.cap.render import CapConfig
from tocsin.channels import vapid
from tocsin.channels.context import Channels
from tocsin.channels.delivery import Supervisor
from tocsin.channels.registry import Channel, build_channels
from tocsin.channels.subscriptions import Kinds, SubscriptionChannel
from tocsin.cluster.drill_counts import Copier
from tocsin.cluster.feed import JetStreamFeed
from tocsin.cluster.link import Link, Names, StreamSpec
from tocsin.cluster.relay import Herald, Relay
from tocsin.cluster.snapshots import SnapshotBucket, publish_forever
from tocsin.config import Settings
from tocsin.domain import commands as c
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.threats import Catalogue, builtin
from tocsin.domain.throttle import Limit, Limits
from tocsin.live.snapshot import snapshot_from_store
from tocsin.records.handlers import history as history_handlers
from tocsin.records.handlers import incident_commands, report_commands
from tocsin.records.handlers.incidents import IncidentService
from tocsin.records.handlers.reports import ReportService
from tocsin.records.handlers.stats import StatsService
from tocsin.regions.packs import load_pack
from tocsin.service import accounts as account_handlers
from tocsin.service import alerts as alert_handlers
from tocsin.service import broadcast as broadcast_handlers
from tocsin.service import cap_import
from tocsin.service import drills as drill_handlers
from tocsin.service import push as push_handlers
from tocsin.service import sirens as siren_handlers
from tocsin.service import subscriptions as subscription_handlers
from tocsin.service import tokens as token_handlers
from tocsin.service.accounts import AccountService
from tocsin.service.alerts import AlertService
from tocsin.service.audit import AuditService
from tocsin.service.audit import stop as stop_task
from tocsin.service.bus import CommandBus, Reporter
from tocsin.service.cap_import import CapImportService
from tocsin.service.cap_publish import CapPublisher
from tocsin.service.drills import DrillService
from tocsin.service.exclusive import Exclusive, Step, node_name
from tocsin.service.login import LoginGuard
from tocsin.service.passwords import Passwords
from tocsin.service.ports import Clock, CommitListener, Facts, Leases, SystemClock
from tocsin.service.push import PushService
from tocsin.service.queries import AlertQueries
from tocsin.service.readmodel import ReadModel
from tocsin.service.regions import RegionService
from tocsin.service.sirens import SirenService
from tocsin.service.subscriptions import SubscriptionService
from tocsin.service.tokens import TokenService
from tocsin.storage import migrate
from tocsin.storage.account_store import AccountReads
from tocsin.storage.audit_key import audit_key
from tocsin.storage.cap_store import CapStore
from tocsin.storage.delivery_store import DeliveryStore
from tocsin.storage.drill_store import DrillStore
from tocsin.storage.engine import create_engine
from tocsin.storage.lease_store import SqlLeases
from tocsin.storage.login_store import SqlThrottle
from tocsin.storage.push_key_store import kept_pem
from tocsin.storage.siren_store import SirenStore
from tocsin.storage.store import Store
from tocsin.storage.uow import SqlUnitOfWorkFactory
from tocsin.streams.admission import Admission
from tocsin.streams.drills import DrillStreams
from tocsin.streams.hub import Hub
from tocsin.streams.log import LocalFeed, RunningFeed

logger = logging.getLogger("tocsin")


@dataclass
class Tocsin:
    settings: Settings
    store: Store
    clock: Clock
    catalogue: Catalogue
    bus: CommandBus
    regions: RegionService
    alerts: AlertService
    audit: AuditService
    tokens: TokenService
    sirens: SirenService
    drills: DrillService
    subscriptions: SubscriptionService
    push: PushService
    vapid: Vapid02  # the key pushes are signed with
    queries: AlertQueries
    feed: RunningFeed  # what streams and deliveries read: `log`, or the stream in a cluster
    log: LocalFeed  # the database's log, read in-process
    hub: Hub
    drill_streams: DrillStreams  # this node's live streams during drills
    deliveries: DeliveryStore
    supervisor: Supervisor
    accounts: AccountService
    incidents: IncidentService
    reports: ReportService
    stats: StatsService
    cap: CapPublisher
    cap_import: CapImportService
    leases: Leases
    node: str
    reads: ReadModel[Any]  # the public reads' answers, as the entry points make them
    link: Link | None = None  # to NATS JetStream, in a cluster
    listeners: list[CommitListener] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    duties: list[Exclusive] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def facts(self) -> Facts:
        """How channels report what they observe: as commands on the bus."""
        return Reporter(self.bus, c.FACTS)

    def channel_context(self) -> Channels:
        """What the channels are given: what they read, and `facts`; not this container."""
        return Channels(
            self.settings,
            self.clock,
            self.catalogue,
            self.regions,
            self.queries,
            self.store,
            self.feed,
            self.deliveries,
            self.supervisor,
            self.facts,
            self.vapid,
        )

    async def snapshot(self) -> bytes:
        """The public state as an edge node starts from it: open alerts, those closed within
        the CAP feed's retention, their events, the region tree, and the seq it reflects."""
        now, retention = self.clock.now(), self.cap.config.retention
        store = self.store
        return await snapshot_from_store(self.cap.reads, store, store, now=now, retention=retention)

    async def reconcile(self) -> None:
        """Tell this process's subscription channel that the subscriptions changed."""
        for channel in self.channels:
            if isinstance(channel, SubscriptionChannel):
                await channel.reconcile()

    def duty(self, name: str, start: Step, stop: Step) -> Exclusive:
        """Work that runs on one node of those sharing the database at a time (see
        `tocsin.service.exclusive`); `begin` it with the others in `start`."""
        ttl = self.settings.lease_seconds  # leases keep real time, whatever the alerts' clock
        return Exclusive(
            self.leases, name, self.node, SystemClock(), start=start, stop=stop, ttl=ttl
        )

    def task_duty(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> Exclusive:
        ttl = self.settings.lease_seconds
        return Exclusive.task(self.leases, name, self.node, SystemClock(), work, ttl=ttl)

    async def start(self, *duties: Exclusive) -> None:
        """Start reading the log, and the duties that run once among the nodes: every
        channel, the audit checkpoint, and those given (the server gives the expiry clock).
        The server does this; one-shot commands don't."""
        await self.log.start()
        if self.feed is not self.log:
            await self.feed.start()
        await self.hub.start()
        self.hub.listeners.append(self.drill_streams.seen)
        self.drill_streams.start()
        # another node's region import (or the CLI's beside this server) reaches this tree too
        self.tasks.append(asyncio.create_task(self.regions.follow(self.log), name="regions"))
        # the lexicons for reading reports are built once, off the loop, before the first report
        if self.settings.reports_warm:
            self.tasks.append(asyncio.create_task(self.reports.warm(), name="reports-warm"))
        interval = self.settings.audit_checkpoint_interval
        drill_interval = self.settings.drill_streams_interval
        self.duties = [
            self.duty("channels", self._start_channels, self._stop_channels),
            self.task_duty("audit-checkpoint", lambda: self.audit.run(interval)),
            *duties,
        ]
        if self.link is not None:
            self.duties.insert(0, self.task_duty("relay", Relay(self.log, self.link).run))
            self.duties.append(self.task_duty("snapshot", self._publish_snapshots))
            copier = Copier(self.link, DrillStore(self.store.engine), drill_interval)
            self.duties.append(self.task_duty("drill-streams", copier.run))
        for duty in self.duties:
            await duty.begin()

    async def _publish_snapshots(self) -> None:
        """Keep the snapshot edge nodes start from (the `snapshot` duty, in a cluster)."""
        link = self.link
        assert link is not None
        while True:
            try:
                bucket = await SnapshotBucket.open(link)
                break
            except Exception as exc:  # NATS unreachable: the client reconnects
                logger.warning("the snapshot bucket cannot be opened (%s); trying again", exc)
                await asyncio.sleep(1.0)
        interval = self.settings.snapshot_interval
        await publish_forever(bucket, self.snapshot, lambda: self.log.head, interval)

    async def _start_channels(self) -> None:
        specs = self.settings.channels
        if self.settings.mqtt_url is not None and "sirens" not in specs:
            specs = (*specs, "sirens")  # a broker is all sirens need
        self.channels = build_channels(self.channel_context(), specs)
        for channel in self.channels:
            await channel.start()

    async def _stop_channels(self) -> None:
        for channel in reversed(self.channels):
            await channel.stop()
        self.channels = []
        await self.supervisor.stop()

    async def close(self) -> None:
        for duty in reversed(self.duties):
            await duty.end()
        for task in self.tasks:
            await stop_task(task)
        self.tasks.clear()
        await self.drill_streams.close()
        await self.hub.stop()
        if self.feed is not self.log:
            await self.feed.stop()
        await self.log.stop()
        if self.link is not None:
            await self.link.close()
        self.accounts.passwords.close()
        await self.store.close()


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    listeners: list[CommitListener] | None = None,
    load_packs: bool = True,
) -> Tocsin:
    """Open the database (migrating it to the current schema) and wire the services."""
    clock = clock or SystemClock()
    listeners = listeners if listeners is not None else []
    store = Store(create_engine(settings.database), audit_key=audit_key(settings))
    log = LocalFeed(store, poll_interval=settings.log_poll_interval)
    node = node_name(settings.node_name)
    try:
        link = await _link(settings, node)
    except BaseException:
        await store.close()
        raise
    feed: RunningFeed = log if link is None else JetStreamFeed(link, store=store)
    listeners = [log, *listeners] if link is None else [log, Herald(link), *listeners]
    policy = ApprovalPolicy(
        more_regions_than=settings.approval_more_regions_than,
        free_text=settings.approval_free_text,
        always=settings.approval_always,
    )
    try:
        await migrate.upgrade(store.engine)
        catalogue = builtin().with_overrides(settings.threats)
        bus = CommandBus(
            SqlUnitOfWorkFactory(store),
            clock,
            tree=lambda: regions.tree,
            catalogue=catalogue,
            policy=policy,
            listeners=listeners,
        )
        regions = RegionService(bus, store)
        await regions.load()
        if load_packs and len(regions.tree) == 0:
            for name in settings.packs:
                await regions.import_regions(load_pack(name), LOCAL_ADMIN, pack=name)
        await log.sync()
    except BaseException:
        if link is not None:
            await link.close()
        await store.close()
        raise
    for handlers in (alert_handlers, token_handlers, siren_handlers, broadcast_handlers):
        handlers.register(bus)
    for record_handlers in (
        incident_commands,
        report_commands,
        history_handlers,
        cap_import,
        account_handlers,
    ):
        record_handlers.register(bus)
    drill_handlers.register(bus)
    subscription_handlers.register(bus, settings.languages)
    push_handlers.register(bus, settings.languages, settings.push_max_regions)
    deliveries = DeliveryStore(store.engine)
    push_key = await vapid.load_key(settings, lambda: kept_pem(store.engine, vapid.new_pem))
    subscriptions = SubscriptionService(bus, deliveries, store, Kinds(settings))
    hub = Hub(
        feed,
        buffer=settings.stream_buffer,
        tree=lambda: regions.tree,
        admission=Admission(settings.stream_max_total, settings.stream_max_per_client),
    )
    tocsin = Tocsin(
        settings=settings,
        store=store,
        clock=clock,
        catalogue=catalogue,
        bus=bus,
        regions=regions,
        alerts=AlertService(bus, store),
        audit=AuditService(bus, store, store.audit_key),
        tokens=TokenService(bus, store),
        sirens=SirenService(bus, SirenStore(store.engine), regions),
        drills=DrillService(
            bus,
            DrillStore(store.engine),
            store,
            SirenStore(store.engine),
            regions,
            clock,
            edges_counted=link is not None,
        ),
        subscriptions=subscriptions,
        push=PushService(bus, Kinds(settings), vapid.public_key(push_key)),
        vapid=push_key,
        queries=AlertQueries(store, regions, catalogue),
        feed=feed,
        log=log,
        hub=hub,
        drill_streams=DrillStreams(
            hub.admission,
            DrillStore(store.engine),
            clock,
            node,
            interval=settings.drill_streams_interval,
        ),
        deliveries=deliveries,
        supervisor=Supervisor(feed, deliveries, clock),
        accounts=AccountService(
            bus,
            AccountReads(store.engine),
            regions,
            clock,
            LoginGuard(SqlThrottle(store), bus, clock, _login_limits(settings)),
            Passwords(settings.password_workers, settings.password_queue),
        ),
        incidents=IncidentService(
            bus, store, regions, timedelta(seconds=settings.incident_publish_delay)
        ),
        reports=ReportService(bus, store, regions),
        stats=StatsService(store, regions, catalogue, clock),
        cap=CapPublisher(
            CapStore(store), regions, catalogue, clock, CapConfig.from_settings(settings)
        ),
        cap_import=CapImportService(bus),
        leases=SqlLeases(store.engine),
        node=node,
        # the database's own log: a commit here is read back at once, wherever streams read
        reads=ReadModel(log, clock, keys=settings.read_cache_keys, stamp=lambda: regions.tree),
        link=link,
        listeners=listeners,
    )
    subscriptions.notify = tocsin.reconcile
    tocsin.push.notify = tocsin.reconcile
    return tocsin


async def _link(settings: Settings, node: str) -> Link | None:
    """The connection to NATS JetStream when `nats_url` is set (cluster mode), else None."""
    if not settings.nats_servers:
        return None
    spec = StreamSpec(settings.nats_replicas, settings.nats_stream_max_age)
    return await Link.connect(settings.nats_servers, Names(settings.cluster), spec, node=node)


def _login_limits(settings: Settings) -> Limits:
    def limit(attempts: int) -> Limit:
        return Limit(
            attempts, settings.login_window, settings.login_first_delay, settings.login_max_delay
        )

    return Limits(
        user=limit(settings.login_user_attempts),
        address=limit(settings.login_address_attempts),
        overall=limit(settings.login_global_attempts),
    )
