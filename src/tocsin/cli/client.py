"""What the CLI talks to: the local database directly, or a running server's API.

Both answer with the same JSON the API serves, so the commands print one way.
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tocsin.api.views import alert_view, region_view
from tocsin.bootstrap import Tocsin
from tocsin.cli.common import open_tocsin, using
from tocsin.config import Settings
from tocsin.domain import commands as c
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import Actor, Role
from tocsin.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TocsinError,
    Unauthorized,
    Unavailable,
)
from tocsin.service.queries import ActiveFilter, parse_enum

JSONDict = dict[str, Any]


class AlertClient(Protocol):
    """Alerts, and the few other writes the CLI sends to a server too."""

    async def raise_alert(self, cmd: RaiseAlert, key: str | None) -> JSONDict: ...
    async def update(self, alert_id: str, cmd: UpdateAlert) -> JSONDict: ...
    async def act(self, alert_id: str, action: str, message: str | None = None) -> JSONDict: ...
    async def get(self, alert_id: str) -> JSONDict: ...
    async def active(self, params: dict[str, str]) -> list[JSONDict]: ...
    async def history(self, params: dict[str, str]) -> list[JSONDict]: ...
    async def update_region(self, code: str, changes: JSONDict) -> JSONDict: ...


class LocalClient:
    """Commands run in this process against the database, as the local administrator."""

    def __init__(self, tocsin: Tocsin, lang: str) -> None:
        self.tocsin = tocsin
        self.lang = lang
        self.actor = Actor(name=f"cli:{_user()}", role=Role.ADMIN, origin="cli")

    def _view(self, alert: Any) -> JSONDict:
        return alert_view(alert, self.tocsin.regions.tree, self.tocsin.catalogue, self.lang)

    async def raise_alert(self, cmd: RaiseAlert, key: str | None) -> JSONDict:
        alert, _ = await self.tocsin.alerts.raise_alert(cmd, self.actor, idempotency_key=key)
        return self._view(alert)

    async def update(self, alert_id: str, cmd: UpdateAlert) -> JSONDict:
        return self._view(await self.tocsin.alerts.update_alert(alert_id, cmd, self.actor))

    async def act(self, alert_id: str, action: str, message: str | None = None) -> JSONDict:
        service = self.tocsin.alerts
        if action == "cancel":
            return self._view(await service.cancel(alert_id, self.actor, message))
        handler = {"end": service.end, "activate": service.activate}[action]
        return self._view(await handler(alert_id, self.actor))

    async def get(self, alert_id: str) -> JSONDict:
        return self._view(await self.tocsin.alerts.get(alert_id))

    async def active(self, params: dict[str, str]) -> list[JSONDict]:
        found = await self.tocsin.queries.active(ActiveFilter(**params))
        return [self._view(a) for a in found]

    async def history(self, params: dict[str, str]) -> list[JSONDict]:
        status = parse_enum(Status, params["status"], "status") if "status" in params else None
        found = await self.tocsin.queries.history(
            region=params.get("region"),
            threat=params.get("threat"),
            status=status,
            limit=int(params.get("limit", "100")),
        )
        return [self._view(a) for a in found]

    async def update_region(self, code: str, changes: JSONDict) -> JSONDict:
        cmd = c.UpdateRegion(code, changes["time_to_shelter"])
        return region_view(await self.tocsin.regions.update_region(cmd, self.actor), self.lang)


class RemoteClient:
    """Commands sent to a running server with a token."""

    def __init__(self, http: httpx.AsyncClient, lang: str) -> None:
        self.http = http
        self.lang = lang

    async def raise_alert(self, cmd: RaiseAlert, key: str | None) -> JSONDict:
        body: JSONDict = {
            "threat": cmd.threat,
            "regions": list(cmd.regions),
            "status": cmd.status.value,
            "pre_alert": cmd.pre_alert,
            "headline": cmd.headline,
            "text": cmd.text,
            "expires_at": cmd.expires_at.isoformat() if cmd.expires_at else None,
        }
        headers = {"Idempotency-Key": key} if key else {}
        return await self._send("POST", "/v1/alerts", json=body, headers=headers)

    async def update(self, alert_id: str, cmd: UpdateAlert) -> JSONDict:
        body: JSONDict = {
            "threat": cmd.threat,
            "headline": cmd.headline,
            "text": cmd.text,
            "add_regions": list(cmd.add_regions),
            "remove_regions": list(cmd.remove_regions),
        }
        if cmd.regions is not None:
            body["regions"] = list(cmd.regions)
        if cmd.expires_at is not None:
            body["expires_at"] = cmd.expires_at.isoformat()
        return await self._send("PATCH", f"/v1/alerts/{alert_id}", json=body)

    async def act(self, alert_id: str, action: str, message: str | None = None) -> JSONDict:
        body = {"message": message} if action == "cancel" and message else None
        return await self._send("POST", f"/v1/alerts/{alert_id}/{action}", json=body)

    async def get(self, alert_id: str) -> JSONDict:
        return await self._send("GET", f"/v1/alerts/{alert_id}")

    async def active(self, params: dict[str, str]) -> list[JSONDict]:
        alerts: list[JSONDict] = (await self._send("GET", "/v1/alerts/active", params=params))[
            "alerts"
        ]
        return alerts

    async def history(self, params: dict[str, str]) -> list[JSONDict]:
        alerts: list[JSONDict] = (await self._send("GET", "/v1/alerts", params=params))["alerts"]
        return alerts

    async def update_region(self, code: str, changes: JSONDict) -> JSONDict:
        return await self._send("PATCH", f"/v1/regions/{quote(code, safe='')}", json=changes)

    async def _send(self, method: str, path: str, **kwargs: Any) -> JSONDict:
        params = {**kwargs.pop("params", {}), "lang": self.lang}
        try:
            response = await self.http.request(method, path, params=params, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot reach {self.http.base_url}: {exc}") from None
        return _checked(response)


@asynccontextmanager
async def open_client(
    settings: Settings, server: str | None, token: str | None, lang: str
) -> AsyncIterator[AlertClient]:
    if server:
        if not token:
            raise InvalidInput("--server needs --token (or TOCSIN_TOKEN)", field="token")
        using(f"server {server}")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=30) as http:
            yield RemoteClient(http, lang)
        return
    async with open_tocsin(settings) as tocsin:
        yield LocalClient(tocsin, lang)


ERRORS: dict[int, type[TocsinError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    400: InvalidInput,
    503: Unavailable,
}


def _checked(response: httpx.Response) -> JSONDict:
    if response.is_success:
        body: JSONDict = response.json()
        return body
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:200]}
    kind = ERRORS.get(response.status_code, TocsinError)
    raise kind(
        str(problem.get("detail", response.reason_phrase)),
        field=problem.get("field"),
        code=problem.get("code"),
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
