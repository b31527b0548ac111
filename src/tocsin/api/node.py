"""What the public reads need of a node: a writer and an edge alike."""

from __future__ import annotations

from typing import Any, Protocol

from tocsin.config import Settings
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.threats import Catalogue
from tocsin.service.cap_publish import CapPublisher
from tocsin.service.ports import Clock, Regions
from tocsin.service.queries import AlertQueries
from tocsin.service.readmodel import ReadModel
from tocsin.streams.hub import Hub
from tocsin.types import Seq


class PublicStore(Protocol):
    """What the public reads ask of the store: the database, or an edge's state in memory."""

    async def open_alerts(self, status: Status | None = None) -> list[Alert]: ...

    async def last_seq(self) -> Seq: ...

    @property
    def backend(self) -> str: ...


class Public(Protocol):
    """What the public reads need of a node: a writer (`tocsin.bootstrap.Tocsin`) and an edge
    (`tocsin.edge.Edge`) alike."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def catalogue(self) -> Catalogue: ...
    @property
    def regions(self) -> Regions: ...
    @property
    def queries(self) -> AlertQueries: ...
    @property
    def cap(self) -> CapPublisher: ...
    @property
    def reads(self) -> ReadModel[Any]: ...
    @property
    def hub(self) -> Hub: ...
    @property
    def store(self) -> PublicStore: ...
