"""The loaded region tree, region imports and changes to one region (commands on the bus,
admin only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tocsin.domain import commands as c
from tocsin.domain.auth import Actor, Role
from tocsin.domain.events import REGION_TYPES, NewEvent
from tocsin.domain.regions import Region, RegionTree, check_time_to_shelter
from tocsin.errors import NotFound, RegionImportError
from tocsin.service.bus import CommandBus, Context, Outcome
from tocsin.service.ports import LogFeed, RegionReads, UnitOfWork

IMPORTED = "regions.imported"
UPDATED = "regions.updated"
log = logging.getLogger("tocsin.regions")


@dataclass(frozen=True, slots=True)
class ImportResult:
    pack: str | None
    added: int
    replaced: int
    total: int


async def import_regions(cmd: c.ImportRegions, ctx: Context) -> Outcome[ImportResult]:
    """Add or replace regions; the combined tree must stay consistent."""
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("a region pack has no actual or exercise status")
    ctx.no_policy("the two-person rule is for alerts")
    regions = cmd.regions
    if not regions:
        raise RegionImportError("nothing to import: no regions given", field="regions")
    incoming = {r.code: r for r in regions}
    tree = ctx.tree
    _check_parents([*(r for r in tree if r.code not in incoming), *regions])
    replaced = sum(1 for code in incoming if code in tree)
    added = len(incoming) - replaced
    total = len(tree) + added

    async def write(uow: UnitOfWork) -> None:
        await uow.regions.put(regions)

    data = {"pack": cmd.pack, "added": added, "replaced": replaced}
    event = NewEvent(IMPORTED, ctx.now, ctx.actor.label, None, data)
    detail = {"codes": len(incoming), "replaced": replaced}
    result = ImportResult(cmd.pack, added, replaced, total)
    return Outcome(result, IMPORTED, cmd.pack, detail, write, [event])


async def update_region(cmd: c.UpdateRegion, ctx: Context) -> Outcome[Region]:
    """Change one region in place (admin, within the caller's scope); the log says so."""
    ctx.authorize_role(Role.ADMIN)
    region = ctx.tree.get(cmd.code)
    if region is None:
        raise NotFound(f"no region {cmd.code!r}", field="code")
    ctx.authorize_regions([cmd.code], field="code", subject="regions")
    ctx.no_mode("a region has no actual or exercise status")
    ctx.no_policy("the two-person rule is for alerts")
    changed = replace(region, time_to_shelter=check_time_to_shelter(cmd.time_to_shelter))

    async def write(uow: UnitOfWork) -> None:
        await uow.regions.change(changed)

    data = {"code": cmd.code, "time_to_shelter": changed.time_to_shelter}
    event = NewEvent(UPDATED, ctx.now, ctx.actor.label, None, data)
    detail = {"time_to_shelter": [region.time_to_shelter, changed.time_to_shelter]}
    return Outcome(changed, UPDATED, cmd.code, detail, write, [event])


class RegionService:
    """The loaded region tree, read again after every import this process commits, and (while
    `follow` runs) after every import another process commits to the same database."""

    def __init__(self, bus: CommandBus, store: RegionReads) -> None:
        self.bus = bus
        self.store = store
        self.tree = RegionTree(())
        bus.register(c.ImportRegions, import_regions)
        bus.register(c.UpdateRegion, update_region)

    async def load(self) -> RegionTree:
        self.tree = RegionTree(await self.store.regions())
        return self.tree

    async def follow(self, feed: LogFeed, *, wait: float = 30.0) -> None:
        """Read the tree again whenever the log shows regions imported or changed (by another
        node, or by `tocsin regions` beside a running server). Runs until cancelled."""
        seen = feed.head
        while True:
            try:
                head = await feed.wait(seen, wait)
                imported = False
                while seen < head:
                    events = await feed.read(seen, 1000)
                    imported |= any(e.type in REGION_TYPES for e in events)
                    seen = events[-1].seq if events else head  # none: not there to be read
                if imported:
                    tree = await self.load()
                    log.info("region tree read again after a change: %d regions", len(tree))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("following region imports failed; trying again")
                await asyncio.sleep(1.0)

    async def import_regions(
        self, regions: Sequence[Region], actor: Actor, *, pack: str | None = None
    ) -> ImportResult:
        result: ImportResult = await self.bus.handle(c.ImportRegions(tuple(regions), pack), actor)
        await self.load()
        return replace(result, total=len(self.tree))

    async def update_region(self, cmd: c.UpdateRegion, actor: Actor) -> Region:
        region: Region = await self.bus.handle(cmd, actor)
        await self.load()
        return region


def _check_parents(regions: Sequence[Region]) -> None:
    parents = {r.code: r.parent for r in regions}
    for region in regions:
        if region.parent is not None and region.parent not in parents:
            raise RegionImportError(
                f"region {region.code!r} names unknown parent {region.parent!r}", field="parent"
            )
    for code in parents:
        seen = {code}
        current = parents[code]
        while current is not None:
            if current in seen:
                raise RegionImportError(f"regions form a cycle through {code!r}", field="parent")
            seen.add(current)
            current = parents.get(current)
