"""`tocsin regions`: import, list, show and change regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from tocsin.bootstrap import Tocsin
from tocsin.cli.alerts import Json, Server, Target, Token
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.regions import MAX_TIME_TO_SHELTER, Region
from tocsin.errors import InvalidInput
from tocsin.regions.importer import read_geojson_file
from tocsin.regions.packs import available_packs, load_pack
from tocsin.service.regions import ImportResult

app = typer.Typer(help="Regions: packs, custom GeoJSON, the tree.", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_(
    source: Annotated[
        str, typer.Argument(help="a built-in pack (ua, ru-border) or a GeoJSON file")
    ],
    hierarchy: Annotated[
        Path | None,
        typer.Option(
            help="CSV or JSON with code,parent,level[,name_en,name_uk,name_ru,time_to_shelter]"
        ),
    ] = None,
    code_property: Annotated[str, typer.Option(help="feature property holding the code")] = "code",
) -> None:
    """Import a region pack or a custom GeoJSON file (regions with the same code are replaced)."""
    settings = current_settings()
    is_pack = source in available_packs() and not Path(source).exists()

    async def go(tocsin: Tocsin) -> ImportResult:
        if is_pack:
            regions = load_pack(source)
        else:
            regions = read_geojson_file(
                Path(source),
                hierarchy,
                code_property=code_property,
                known=list(tocsin.regions.tree),
            )
        return await tocsin.regions.import_regions(
            regions, LOCAL_ADMIN, pack=source if is_pack else Path(source).name
        )

    result = with_tocsin(settings, go)
    console.print(
        f"imported {source}: {result.added} added, {result.replaced} replaced; "
        f"{result.total} regions in all"
    )


@app.command("list")
@handle_errors
def list_(
    level: Annotated[str | None, typer.Option(help="country, oblast, raion, hromada, …")] = None,
    parent: Annotated[str | None, typer.Option(help="only the children of this region")] = None,
    search: Annotated[str | None, typer.Option(help="part of a name or code")] = None,
    lang: Annotated[str, typer.Option(help="en, uk or ru")] = "en",
) -> None:
    """List regions."""
    settings = current_settings()
    regions = with_tocsin(settings, _all_regions)
    needle = search.casefold() if search else None
    chosen = [
        r
        for r in regions
        if (level is None or r.level == level)
        and (parent is None or r.parent == parent)
        and (
            needle is None
            or needle in r.code.casefold()
            or any(needle in n.casefold() for n in r.names.values())
        )
    ]
    table = Table("code", "level", "parent", "name", "shape", box=None)
    for r in chosen:
        table.add_row(
            r.code, r.level, r.parent or "", r.name(lang), "yes" if r.geometry is not None else ""
        )
    console.print(table if chosen else "no regions match")
    console.print(f"{len(chosen)} of {len(regions)} regions")


@app.command()
@handle_errors
def show(
    code: Annotated[str, typer.Argument(help="region code, e.g. UA-63")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one region: names, parent, children, time to shelter."""
    settings = current_settings()

    async def go(tocsin: Tocsin) -> dict[str, object]:
        tree = tocsin.regions.tree
        region = tree.require(code, field="code")
        return {
            "code": region.code,
            "level": region.level,
            "parent": region.parent,
            "names": dict(region.names),
            "time_to_shelter": region.time_to_shelter,
            "external_id": region.external_id,
            "pack": region.pack,
            "ancestors": tree.ancestors(code),
            "children": [c.code for c in tree.children(code)],
            "has_geometry": region.geometry is not None,
        }

    info = with_tocsin(settings, go)
    if json:
        console.print_json(orjson.dumps(info).decode())
        return
    for key, value in info.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command()
@handle_errors
def update(
    code: Annotated[str, typer.Argument(help="region code, e.g. UA-63")],
    time_to_shelter: Annotated[
        str,
        typer.Option(
            metavar="SECONDS|none",
            help=f"seconds people have to reach shelter, 0 to {MAX_TIME_TO_SHELTER}; "
            "none clears it",
        ),
    ],
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Change a region: its time to shelter (admin)."""
    changes = {"time_to_shelter": _seconds(time_to_shelter)}
    target = Target(server, token, "en")
    region = target.call(lambda client: client.update_region(code, changes))
    if json:
        console.print_json(orjson.dumps(region).decode())
        return
    shelter = region["time_to_shelter"]
    console.print(
        f"{region['code']}: time to shelter {'not set' if shelter is None else f'{shelter} s'}",
        highlight=False,
    )


def _seconds(given: str) -> int | None:
    if given.strip().lower() in ("none", "null", ""):
        return None
    try:
        return int(given)
    except ValueError:
        raise InvalidInput(
            f"time to shelter is whole seconds or none, not {given!r}", field="time_to_shelter"
        ) from None


@app.command()
def packs() -> None:
    """List the built-in region packs."""
    for name in available_packs():
        console.print(name)


async def _all_regions(tocsin: Tocsin) -> list[Region]:
    return list(tocsin.regions.tree)
