"""Cross-origin reads: public reads and streams answer any origin (or the configured ones);
writes, console and session routes never do, and no preflight lets a write through."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from conftest import serving
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings

MAP = "https://map.example"
READS = [
    "/v1/alerts/active",
    "/v1/alerts",
    "/v1/regions/states?level=oblast",
    "/v1/regions/UA-63",
    "/v1/iot/states",
    "/v1/threats",
    "/v1/events",
    "/cap/feed.atom",
    "/openapi.json",
]
NEVER = [
    ("POST", "/v1/alerts"),
    ("PATCH", "/v1/alerts/x"),
    ("DELETE", "/v1/tokens/x"),
    ("POST", "/v1/session"),
    ("GET", "/v1/tokens"),
    ("GET", "/console/api/status"),
    ("GET", "/v1/session"),
    ("GET", "/console"),
]


async def node_client(tocsin: Tocsin, origins: str | None) -> httpx.AsyncClient:
    settings = tocsin.settings
    if origins is not None:
        settings = settings.model_copy(update={"cors_origins": origins})
    app = create_app(settings)
    app.state.tocsin = tocsin if origins is None else _With(tocsin, settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.test")


class _With:
    """The node with other settings (what a node started with them would read)."""

    def __init__(self, tocsin: Tocsin, settings: Settings) -> None:
        self._tocsin = tocsin
        self.settings = settings

    def __getattr__(self, name: str) -> object:
        return getattr(self._tocsin, name)


@pytest.fixture
async def http(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    async with await node_client(tocsin, None) as client:
        yield client


@pytest.mark.parametrize("path", READS)
async def test_public_reads_answer_any_origin_by_default(
    http: httpx.AsyncClient, path: str
) -> None:
    got = await http.get(path, headers={"Origin": MAP})
    assert got.status_code == 200
    assert got.headers["access-control-allow-origin"] == "*"
    assert "etag" in got.headers["access-control-expose-headers"].lower()
    again = await http.get(path, headers={"Origin": MAP})  # the answer held in memory too
    assert again.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in got.headers
    preflight = await http.options(
        path.split("?")[0],
        headers={"Origin": MAP, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"


def test_the_stream_answers_any_origin(database_url: str) -> None:
    with (
        serving(Settings(database_url=database_url, channels=())) as url,
        httpx.stream("GET", f"{url}/v1/stream", headers={"Origin": MAP}, timeout=10) as response,
    ):
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert next(response.iter_lines()) == "event: ready"


@pytest.mark.parametrize(("method", "path"), NEVER)
async def test_writes_and_private_routes_never_answer_another_origin(
    http: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
) -> None:
    got = await http.request(method, path, headers={"Origin": MAP, **admin}, json={})
    assert "access-control-allow-origin" not in got.headers
    preflight = await http.options(
        path,
        headers={
            "Origin": MAP,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-methods" not in preflight.headers


async def test_a_preflight_for_a_write_to_a_public_path_is_not_allowed(
    http: httpx.AsyncClient,
) -> None:
    for method in ("POST", "PATCH", "DELETE", "PUT"):
        preflight = await http.options(
            "/v1/alerts", headers={"Origin": MAP, "Access-Control-Request-Method": method}
        )
        assert "access-control-allow-origin" not in preflight.headers


async def test_listed_origins_only(tocsin: Tocsin) -> None:
    other = "https://other.example"
    async with await node_client(tocsin, f"{MAP}, https://b.example") as http:
        mine = await http.get("/v1/alerts/active", headers={"Origin": MAP})
        assert mine.headers["access-control-allow-origin"] == MAP
        assert "origin" in mine.headers["vary"].lower()
        theirs = await http.get("/v1/alerts/active", headers={"Origin": other})
        assert theirs.status_code == 200 and "access-control-allow-origin" not in theirs.headers
        preflight = await http.options(
            "/v1/alerts/active", headers={"Origin": other, "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in preflight.headers


async def test_an_empty_setting_allows_no_origin(tocsin: Tocsin) -> None:
    async with await node_client(tocsin, "") as http:
        got = await http.get("/v1/alerts/active", headers={"Origin": MAP})
        assert got.status_code == 200 and "access-control-allow-origin" not in got.headers
