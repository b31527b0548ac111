"""`tocsin serve`: run the service."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from tocsin.api import server
from tocsin.api.app import create_app
from tocsin.api.edge import create_edge_app
from tocsin.bootstrap import Tocsin, build
from tocsin.cli.common import console, current_settings, handle_errors
from tocsin.edge import Edge, build_edge
from tocsin.errors import InvalidInput


def register(app: typer.Typer) -> None:
    app.command()(serve)


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on [8000]")] = None,
    edge: Annotated[
        bool,
        typer.Option(
            "--edge",
            help="an edge node: no database; the public reads and streams, from the cluster's "
            "snapshot and event stream (needs TOCSIN_NATS_URL; writes are refused)",
        ),
    ] = False,
) -> None:
    """Run the HTTP service (migrates the database and loads the region packs on first start)."""
    settings = current_settings(host=host, port=port)
    if edge and not settings.nats_servers:
        raise InvalidInput(
            "an edge node reads the cluster: set TOCSIN_NATS_URL (see docs/cluster.md)",
            field="nats_url",
        )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def factory() -> Tocsin:
        tocsin = await build(settings)
        _welcome(tocsin)
        return tocsin

    async def edge_factory() -> Edge:
        node = await build_edge(settings)
        _welcome_edge(node)
        return node

    app = (
        create_edge_app(settings, factory=edge_factory, tune_gc=True)
        if edge
        else create_app(settings, factory=factory, tune_gc=True)
    )
    listener = server.access_log() if settings.access_log else None
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            log_config=None,  # the logging set up here, not uvicorn's own
            access_log=settings.access_log,
            timeout_graceful_shutdown=5,
            **server.options(settings),
        )
    finally:
        if listener is not None:
            listener.stop()


def _welcome(tocsin: Tocsin) -> None:
    settings = tocsin.settings
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"[bold]tocsin[/] on {base}  (database {settings.database_display}, "
        f"{len(tocsin.regions.tree)} regions)"
    )
    console.print(f"  active alerts  {base}/v1/alerts/active")
    console.print(f"  region states  {base}/v1/regions/states")
    console.print(f"  API docs       {base}/docs")
    console.print("  raise alerts with a token: tocsin token create --role admin")


def _welcome_edge(edge: Edge) -> None:
    settings = edge.settings
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"[bold]tocsin edge[/] on {base}  (cluster {settings.cluster!r}, snapshot at seq "
        f"{edge.live.head}, {len(edge.live.tree)} regions; writes go to "
        f"{settings.writer_url or 'the writer nodes'})"
    )
    console.print(f"  active alerts  {base}/v1/alerts/active")
    console.print(f"  live stream    {base}/v1/stream")
