"""CAP output: an alert's latest message, any message by identifier, and the Atom feed.

Everything is rendered from the event log (see `tocsin.cap.render`), once for each change of the
log (the API keeps what it serves in the read model, `tocsin.service.readmodel`); with
signing configured every message is signed, and when signing fails nothing is published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tocsin.cap.feed import EPOCH, atom
from tocsin.cap.render import CapConfig, Rendered, Renderer, parse_identifier
from tocsin.cap.sign import Signer
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.threats import Catalogue
from tocsin.errors import NotFound
from tocsin.service.ports import CapReads, Clock, Regions
from tocsin.types import AlertId


@dataclass(frozen=True, slots=True)
class Published:
    data: bytes
    updated: datetime
    identifier: str | None = None
    until: datetime | None = None  # when it stops being right with no event to say so


class CapPublisher:
    def __init__(
        self,
        reads: CapReads,
        regions: Regions,
        catalogue: Catalogue,
        clock: Clock,
        config: CapConfig,
    ) -> None:
        self.reads = reads
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.config = config

    def with_base_url(self, base_url: str, *, public_url_set: bool) -> CapPublisher:
        """The same publisher with links to `base_url` (when no public URL is configured)."""
        if public_url_set:
            return self
        config = replace(self.config, public_url=base_url.rstrip("/"))
        return CapPublisher(self.reads, self.regions, self.catalogue, self.clock, config)

    @property
    def renderer(self) -> Renderer:
        return Renderer(self.config, self.regions.tree, self.catalogue)

    def publish(self, rendered: Rendered) -> Published:
        """The bytes to serve: signed when signing is configured (or `CapSigningFailed`)."""
        signing = self.config.signing
        data = self.signer().sign(rendered.root) if signing else rendered.to_bytes()
        return Published(data, rendered.event.time, rendered.ref.identifier)

    def signer(self) -> Signer:
        c = self.config
        return Signer(c.sign_key, c.sign_cert, c.sign_password)

    async def latest(self, alert_id: AlertId) -> Published:
        """The latest message of an alert."""
        events = await self.reads.alert_events(alert_id)
        if not events:
            raise NotFound(f"no alert {alert_id!r}", field="id")
        return self.publish(self.renderer.message(events))

    async def message(self, identifier: str) -> Published:
        """One message by its identifier (`tocsin.<alert id>.<version>`)."""
        alert_id, _ = parse_identifier(identifier)
        events = await self.reads.alert_events(alert_id)
        renderer = self.renderer
        for index, event in enumerate(events):
            if renderer.ref(event).identifier == identifier:
                return self.publish(renderer.message(events, index))
        raise NotFound(f"no CAP message {identifier!r}", field="identifier")

    async def feed(
        self, statuses: set[Status], *, region: str | None, self_url: str, title: str
    ) -> Published:
        """The Atom feed of current messages: open alerts and those closed within the
        retention time (`cap_feed_retention`), newest first."""
        if self.config.signing:
            self.signer().load()
        since = self.clock.now() - self.config.retention
        alerts = await self.reads.feed_alerts(statuses, since)
        if region is not None:
            alerts = self._covering(alerts, region)
        events = await self.reads.events_of(a.id for a in alerts)
        renderer = self.renderer
        messages = [renderer.message(events[a.id]) for a in alerts if events.get(a.id)]
        messages.sort(key=lambda m: (m.event.time, m.event.seq), reverse=True)
        last = await self.reads.last_alert_change()
        data = atom(messages, self.config, self_url=self_url, title=title, updated=last)
        updated = max((m.event.time for m in messages), default=last or EPOCH)
        return Published(data, updated, until=self._first_to_leave(alerts))

    def _first_to_leave(self, alerts: list[Alert]) -> datetime | None:
        """When the first closed alert of the feed leaves it (its retention time over)."""
        ends = [a.ended_at for a in alerts if not a.is_open and a.ended_at is not None]
        return min(ends) + self.config.retention if ends else None

    def _covering(self, alerts: list[Alert], code: str) -> list[Alert]:
        tree = self.regions.tree
        tree.require(code, field="region")
        area = {code, *tree.ancestors(code), *tree.descendants(code)}
        return [a for a in alerts if not area.isdisjoint(a.regions)]
