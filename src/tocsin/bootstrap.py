"""The composition root: wires store, services, catalogue and clock from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from tocsin.config import Settings
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.threats import Catalogue, builtin
from tocsin.regions.packs import load_pack
from tocsin.service.alerts import AlertService
from tocsin.service.ports import Clock, CommitListener, SystemClock
from tocsin.service.queries import AlertQueries
from tocsin.service.regions import RegionService
from tocsin.service.tokens import TokenService
from tocsin.storage import migrate
from tocsin.storage.engine import create_engine
from tocsin.storage.store import Store


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
    listeners: list[CommitListener] = field(default_factory=list)

    async def close(self) -> None:
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
    alerts = AlertService(store, regions, catalogue, clock, listeners)
    tokens = TokenService(store, regions, clock)
    queries = AlertQueries(store, regions, catalogue)
    return Tocsin(settings, store, clock, catalogue, regions, alerts, tokens, queries, listeners)
