"""`tocsin radio`: relay a server's live radio feed to an Icecast server as its source."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.channels.media import icecast
from tocsin.cli.common import handle_errors, run, using

app = typer.Typer(help="The live radio feed, for broadcasters.", no_args_is_help=True)


@app.command("icecast")
@handle_errors
def to_icecast(
    mount: Annotated[
        str, typer.Argument(help="the Icecast mount, icecast://source:PASSWORD@host:8000/mount")
    ],
    region: Annotated[str, typer.Option(help="the region, e.g. UA-63")],
    lang: Annotated[str, typer.Option(help="language of the announcements: en, uk or ru")] = "uk",
    server: Annotated[str, typer.Option(help="the tocsin server")] = "http://127.0.0.1:8000",
    format: Annotated[str, typer.Option(help="mp3 or ogg (Opus)")] = "mp3",
    status: Annotated[str, typer.Option(help="actual, exercise, test or all")] = "actual",
) -> None:
    """Push REGION's feed (silence, sirens, announcements) to MOUNT until stopped."""
    target = icecast.Mount.parse(mount)
    feed = server.rstrip("/") + "/v1/broadcast/radio"
    using(f"server {server}, pushing to {target}")
    params = {"region": region, "lang": lang, "format": format, "status": status}
    run(icecast.relay(feed, params, target))
