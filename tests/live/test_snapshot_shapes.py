"""A snapshot names a shipped pack's shapes instead of repeating them, and fits one message."""

from __future__ import annotations

import zlib

import orjson
import shapely

from tocsin.domain.regions import Region
from tocsin.live.snapshot import Snapshot
from tocsin.regions.packs import load_pack

NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024


def snapshot_of(regions: list[Region]) -> Snapshot:
    return Snapshot(seq=7, regions_at=3, regions=regions, last_change=None, alerts=[])


def test_pack_shapes_come_back_from_the_pack() -> None:
    regions = [*load_pack("ua"), *load_pack("ru-border")]
    data = snapshot_of(regions).encode()
    assert len(zlib.compress(data, 6)) < NATS_DEFAULT_MAX_PAYLOAD / 4
    restored = {r.code: r for r in Snapshot.decode(data).regions}
    for region in regions:
        again = restored[region.code]
        assert again == region
        if region.geometry is None:
            assert again.geometry is None
        else:
            assert again.geometry is not None and shapely.equals(again.geometry, region.geometry)


def test_shapes_of_imported_regions_travel_in_the_snapshot() -> None:
    square = shapely.box(30.0, 50.0, 30.1, 50.1)
    mine = Region("X-1", "oblast", {"en": "Mine"}, geometry=square, aliases=("Old name",))
    data = snapshot_of([mine]).encode()
    body = orjson.loads(data)
    assert body["regions"][0]["geometry"] != "pack"
    (again,) = Snapshot.decode(data).regions
    assert again.aliases == ("Old name",)
    assert again.geometry is not None and shapely.equals(again.geometry, square)
