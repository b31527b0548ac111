"""A region import reaches the tree of every server on the database: the one that committed it,
another node, and a server beside which `tocsin regions import` ran."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from typer.testing import CliRunner

from nats_support import eventually
from tocsin.bootstrap import Tocsin, build
from tocsin.cli import app as cli
from tocsin.config import Settings
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.commands import UpdateRegion
from tocsin.domain.regions import Region


@contextlib.asynccontextmanager
async def node(database_url: str) -> AsyncIterator[Tocsin]:
    tocsin = await build(Settings(database_url=database_url, channels=(), log_poll_interval=0.05))
    try:
        await tocsin.start()
        yield tocsin
    finally:
        await tocsin.close()


async def test_another_nodes_import_reaches_this_tree(database_url: str) -> None:
    async with node(database_url) as a, node(database_url) as b:
        assert b.regions.tree.get("UA-05-X1") is None
        new = Region("UA-05-X1", "raion", {"en": "New raion"}, parent="UA-05")
        await a.regions.import_regions([new], LOCAL_ADMIN)
        await eventually(lambda: b.regions.tree.get("UA-05-X1") is not None, timeout=20)
        found = b.regions.tree.get("UA-05-X1")
        assert found is not None and found.names["en"] == "New raion"
        assert a.regions.tree.get("UA-05-X1") is not None


async def test_an_import_by_the_command_line_reaches_a_running_server(
    database_url: str, tmp_path: Path
) -> None:
    async with node(database_url) as server:
        before = len(server.regions.tree)
        pack = '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null,'
        pack += ' "properties": {"code": "UA-07-X2", "level": "raion", "parent": "UA-07",'
        pack += ' "name": "Another raion"}}]}'
        path = tmp_path / "pack.geojson"
        path.write_text(pack)
        command = ["--database-url", database_url, "regions", "import", str(path)]
        done = await asyncio.to_thread(CliRunner().invoke, cli, command)
        assert done.exit_code == 0, done.output
        await eventually(lambda: len(server.regions.tree) == before + 1, timeout=20)
        assert server.regions.tree.get("UA-07-X2") is not None


async def test_a_time_to_shelter_set_on_one_node_reaches_the_other(database_url: str) -> None:
    async with node(database_url) as a, node(database_url) as b:
        await a.regions.update_region(UpdateRegion("UA-05", 120), LOCAL_ADMIN)
        changed = a.regions.tree.get("UA-05")
        assert changed is not None and changed.time_to_shelter == 120

        def seen_by_b() -> bool:
            found = b.regions.tree.get("UA-05")
            return found is not None and found.time_to_shelter == 120

        await eventually(seen_by_b, timeout=20)
