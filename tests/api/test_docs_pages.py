"""`/docs` and `/redoc` refer only to the service itself: scripts, styles and favicon are
served from the package (the pages render offline: tests/web/test_api_docs.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tocsin.api.app import create_app
from tocsin.config import Settings

REFERENCE = re.compile(r"""(?:src|href)="([^"]+)"|url: '([^']+)'|spec-url="([^"]+)\"""")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(Settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_loads_everything_from_the_service(
    http: httpx.AsyncClient, page: str
) -> None:
    answer = await http.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "http://" not in answer.text and "https://" not in answer.text
    references = [next(filter(None, m)) for m in REFERENCE.findall(answer.text)]
    assert len(references) >= 2 and all(r.startswith("/") for r in references), references
    for reference in references:
        assert (await http.get(reference)).status_code == 200, reference


async def test_swagger_ui_does_not_ask_the_public_validator(http: httpx.AsyncClient) -> None:
    assert '"validatorUrl": null' in (await http.get("/docs")).text


async def test_redoc_may_load_nothing_from_another_host(http: httpx.AsyncClient) -> None:
    policy = (await http.get("/redoc")).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


async def test_the_docs_pages_are_not_in_the_schema(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert "/docs" not in paths and "/redoc" not in paths


async def test_the_docs_pages_follow_the_root_path() -> None:
    transport = httpx.ASGITransport(app=create_app(Settings()), root_path="/tocsin")
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as client:
        text = (await client.get("/docs")).text
    assert "url: '/tocsin/openapi.json'" in text
    assert 'src="/tocsin/static/vendor/swagger-ui/swagger-ui-bundle.js"' in text
