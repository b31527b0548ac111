"""The composition root: wires store, services, catalogue and clock from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from tocsin.channels.delivery import Supervisor
from tocsin.channels.registry import Channel, build_channels
from tocsin.config import Settings
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.threats import Catalogue, builtin
from tocsin.records.handlers.incidents import IncidentService
from tocsin.records.handlers.stats import StatsService
from tocsin.regions.packs import load_pack
from tocsin.service.accounts import AccountService
from tocsin.service.alerts import AlertService
from tocsin.service.ports import Clock, CommitListener, SystemClock
from tocsin.service.queries import AlertQueries
from tocsin.service.regions import RegionService
from tocsin.service.tokens import TokenService
from tocsin.storage import migrate
from tocsin.storage.delivery_store import DeliveryStore
from tocsin.storage.engine import create_engine
from tocsin.storage.store import Store
from tocsin.streams.admission import Admission
from tocsin.streams.hub import Hub
from tocsin.streams.log import LocalFeed


@dataclass
class Tocsin:
    settings: Settings
    store: Store
    clock: Clock
    catalogue: Catalogue
    regions: RegionService
    alerts: AlertService
    tokens: TokenService
    queries: AlertQueries
    feed: LocalFeed
    hub: Hub
    deliveries: DeliveryStore
    supervisor: Supervisor
    accounts: AccountService
    incidents: IncidentService
    stats: StatsService
    listeners: list[CommitListener] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)

    async def start(self) -> None:
        """Start reading the log and every channel (the server does; one-shot commands don't)."""
        await self.feed.start()
        await self.hub.start()
        specs = self.settings.channels
        if self.settings.mqtt_url is not None and "sirens" not in specs:
            specs = (*specs, "sirens")  # a broker is all sirens need
        self.channels = build_channels(self, specs)
        for channel in self.channels:
            await channel.start()

    async def close(self) -> None:
        for channel in reversed(self.channels):
            await channel.stop()
        await self.supervisor.stop()
        await self.hub.stop()
        await self.feed.stop()
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
    store = Store(create_engine(settings.database))
    feed = LocalFeed(store, poll_interval=settings.log_poll_interval)
    listeners = [feed, *listeners]
    try:
        await migrate.upgrade(store.engine)
        catalogue = builtin().with_overrides(settings.threats)
        regions = RegionService(store, clock, listeners)
        await regions.load()
        if load_packs and len(regions.tree) == 0:
            for name in settings.packs:
                await regions.import_regions(load_pack(name), LOCAL_ADMIN, pack=name)
    except BaseException:
        await store.close()
        raise
    policy = ApprovalPolicy(
        more_regions_than=settings.approval_more_regions_than,
        free_text=settings.approval_free_text,
        always=settings.approval_always,
    )
    alerts = AlertService(store, regions, catalogue, clock, listeners, policy)
    tokens = TokenService(store, regions, clock)
    queries = AlertQueries(store, regions, catalogue)
    admission = Admission(settings.stream_max_total, settings.stream_max_per_client)
    hub = Hub(feed, buffer=settings.stream_buffer, admission=admission)
    deliveries = DeliveryStore(store.engine)
    supervisor = Supervisor(feed, deliveries, clock)
    accounts = AccountService(store, regions, clock)
    incidents = IncidentService(store, regions, catalogue, clock, listeners)
    stats = StatsService(store, regions, catalogue, clock)
    return Tocsin(
        settings,
        store,
        clock,
        catalogue,
        regions,
        alerts,
        tokens,
        queries,
        feed,
        hub,
        deliveries,
        supervisor,
        accounts,
        incidents,
        stats,
        listeners,
    )
