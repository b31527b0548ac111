"""The loaded region tree and region imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tocsin.domain.auth import Actor
from tocsin.domain.regions import Region, RegionTree
from tocsin.errors import RegionImportError
from tocsin.service.ports import Clock, CommitListener
from tocsin.storage.store import Store


@dataclass(frozen=True, slots=True)
class ImportResult:
    pack: str | None
    added: int
    replaced: int
    total: int


class RegionService:
    def __init__(
        self, store: Store, clock: Clock, listeners: Sequence[CommitListener] = ()
    ) -> None:
        self.store = store
        self.clock = clock
        self.listeners = list(listeners)
        self.tree = RegionTree(())

    async def load(self) -> RegionTree:
        self.tree = RegionTree(await self.store.regions())
        return self.tree

    async def import_regions(
        self, regions: Sequence[Region], actor: Actor, *, pack: str | None = None
    ) -> ImportResult:
        """Add or replace regions; the combined tree must stay consistent."""
        if not regions:
            raise RegionImportError("nothing to import: no regions given", field="regions")
        incoming = {r.code: r for r in regions}
        kept = [r for r in self.tree if r.code not in incoming]
        combined = [*kept, *regions]
        _check_parents(combined)
        async with self.store.write() as tx:
            start = await self.store.max_region_position() + 1
            await tx.put_regions(regions, start=start)
            replaced = sum(1 for code in incoming if code in self.tree)
            detail = {"codes": len(incoming), "replaced": replaced}
            await tx.audit(actor, "regions.imported", pack, detail, self.clock.now())
            await tx.append(
                type="regions.imported",
                time=self.clock.now(),
                actor=actor.label,
                alert_id=None,
                data={"pack": pack, "added": len(incoming) - replaced, "replaced": replaced},
            )
        await self.load()
        for listener in self.listeners:
            listener.committed(tx.events)
        return ImportResult(pack, len(incoming) - replaced, replaced, len(self.tree))


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
