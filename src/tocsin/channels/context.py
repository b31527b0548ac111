"""What a channel is given: what it reads, and where it reports facts. Not the whole container.

A channel reads the log, the alerts and the regions, keeps its own delivery progress, and
reports what it observes (a target that keeps failing, a siren falling silent, a repeat falling
due) through `facts`, as commands on the bus. It never writes the warning system's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from py_vapid import Vapid02

    from tocsin.channels.delivery import Supervisor
    from tocsin.config import Settings
    from tocsin.domain.threats import Catalogue
    from tocsin.service.ports import Clock, Facts
    from tocsin.service.queries import AlertQueries
    from tocsin.service.regions import RegionService
    from tocsin.storage.delivery_store import DeliveryStore
    from tocsin.storage.store import Store
    from tocsin.streams.log import LogFeed


class ChannelContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def regions(self) -> RegionService:
        """Only its `tree` is read."""
        ...

    @property
    def queries(self) -> AlertQueries: ...

    @property
    def store(self) -> Store:
        """Read only: the log, the alerts."""
        ...

    @property
    def feed(self) -> LogFeed: ...

    @property
    def deliveries(self) -> DeliveryStore:
        """Subscriptions (read), and the consumers' cursors and attempt logs."""
        ...

    @property
    def supervisor(self) -> Supervisor: ...

    @property
    def facts(self) -> Facts: ...

    @property
    def vapid(self) -> Vapid02:
        """The key Web Push is signed with."""
        ...


@dataclass(frozen=True, slots=True)
class Channels:
    """The `ChannelContext` the server gives its channels."""

    settings: Settings
    clock: Clock
    catalogue: Catalogue
    regions: RegionService
    queries: AlertQueries
    store: Store
    feed: LogFeed
    deliveries: DeliveryStore
    supervisor: Supervisor
    facts: Facts
    vapid: Vapid02
