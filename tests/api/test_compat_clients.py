"""The real clients of the original APIs, `alerts-in-ua` and `ukrainealarm` from PyPI, pointed at
a running tocsin by their base URL and nothing else, while tocsin raises, escalates and ends
alerts on oblasts and raions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from alerts_in_ua import Client as AlertsInUa
from ukrainealarm.client import Client as UkraineAlarm

from conftest import bearer, serving
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings

KHARKIV, KHARKIVSKYI, KYIV = 22, 124, 31
Json = dict[str, Any]


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    with serving(Settings(database_url=database_url, channels=())) as url:
        yield url


class Officer:
    """Raises, escalates and ends alerts through tocsin's own API."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.http = httpx.AsyncClient(base_url=url, headers=headers)

    async def raise_alert(self, threat: str, region: str) -> str:
        response = await self.http.post("/v1/alerts", json={"threat": threat, "regions": [region]})
        assert response.status_code == 201, response.text
        alert_id: str = response.json()["id"]
        return alert_id

    async def escalate(self, alert_id: str, threat: str) -> None:
        response = await self.http.patch(f"/v1/alerts/{alert_id}", json={"threat": threat})
        assert response.status_code == 200, response.text

    async def end(self, alert_id: str) -> None:
        response = await self.http.post(f"/v1/alerts/{alert_id}/end")
        assert response.status_code == 200, response.text


def alerts_in_ua(url: str) -> AlertsInUa:
    client = AlertsInUa(token="any-token")
    client.base_url = f"{url}/compat/alerts-in-ua/v1/"
    return client


async def test_the_alerts_in_ua_client_follows_tocsin(server: str, tocsin: Tocsin) -> None:
    officer = Officer(server, await bearer(tocsin, "admin"))
    client = alerts_in_ua(server)

    def read() -> tuple[Any, Any, Any, Any]:
        return (
            client.get_active_alerts(),
            client.get_air_raid_alert_statuses_by_oblast(include_alert_level=True),
            client.get_air_raid_alert_statuses(include_alert_level=True),
            client.get_air_raid_alert_status(KHARKIV),
        )

    alerts, oblasts, places, kharkiv = await asyncio.to_thread(read)
    assert len(alerts) == 0 and len(oblasts.get_no_alert_oblasts()) == 27
    assert kharkiv.is_no_alert() and places.get_status(KHARKIV).status == "no_alert"

    drones = await officer.raise_alert("uav", "UA-63-R124")
    alerts, oblasts, places, kharkiv = await asyncio.to_thread(read)
    [alert] = alerts.get_alerts_by_location_type("raion")
    assert (alert.location_uid, alert.location_title) == (str(KHARKIVSKYI), "Харківський район")
    assert alert.location_oblast_uid == KHARKIV and alert.is_yellow()
    assert [t.threat_type for t in alert.threats] == ["drones"] and not alert.is_finished()
    assert alert.started_at is not None and alert.started_at.tzinfo is not None
    assert [o.location_title for o in oblasts.get_partly_active_alert_oblasts()] == [
        "Харківська область"
    ]
    assert places.get_status(KHARKIVSKYI).status == "active"
    assert places.get_status(KHARKIVSKYI).is_yellow() and kharkiv.is_partly_active()

    missiles = await officer.raise_alert("missile", "UA-30")
    await officer.escalate(drones, "missile")
    alerts, oblasts, places, kharkiv = await asyncio.to_thread(read)
    assert {a.location_uid for a in alerts.get_air_raid_alerts()} == {str(KHARKIVSKYI), "31"}
    assert all(a.is_red() for a in alerts) and len(alerts.get_red_alerts()) == 2
    assert [o.location_title for o in oblasts.get_red_alert_oblasts()] == ["м. Київ"]
    assert places.get_status(KHARKIVSKYI).is_red()

    await officer.end(drones)
    await officer.end(missiles)
    alerts, oblasts, places, kharkiv = await asyncio.to_thread(read)
    assert len(alerts) == 0 and kharkiv.is_no_alert()
    assert len(oblasts.get_no_alert_oblasts()) == 27

    history = await asyncio.to_thread(client.get_alerts_history, KHARKIV, "week_ago")
    [ended] = history.get_alerts_by_location_type("raion")
    assert ended.is_finished() and ended.location_uid == str(KHARKIVSKYI)
    by_title = await asyncio.to_thread(client.get_alerts_history, "Харківська область")
    assert [a.id for a in by_title] == [ended.id]
    await officer.http.aclose()


async def test_the_ukrainealarm_client_follows_tocsin(
    server: str, tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = Officer(server, await bearer(tocsin, "admin"))
    monkeypatch.setattr(UkraineAlarm, "BASE_PATH", f"{server}/compat/ukrainealarm/api/v3")
    async with aiohttp.ClientSession() as session:
        client = UkraineAlarm(session, "any-token")
        regions = await client.get_regions()
        kharkiv = next(s for s in regions["states"] if s["regionId"] == str(KHARKIV))
        assert str(KHARKIVSKYI) in {d["regionId"] for d in kharkiv["regionChildIds"]}
        first = (await client.get_last_alert_index())["lastActionIndex"]

        alert_id = await officer.raise_alert("uav", "UA-63")
        assert (await client.get_last_alert_index())["lastActionIndex"] > first
        [state] = await client.get_alerts()
        assert (state["regionId"], state["regionType"]) == (str(KHARKIV), "State")
        assert await types(client, str(KHARKIVSKYI)) == {"AIR"}  # as Home Assistant reads it

        await officer.escalate(alert_id, "chemical")
        assert await types(client, str(KHARKIV)) == {"CHEMICAL"}
        await officer.raise_alert("artillery", "UA-63-R124")
        assert await types(client, str(KHARKIVSKYI)) == {"CHEMICAL", "ARTILLERY"}
        assert await types(client, str(KYIV)) == set()

        await officer.end(alert_id)
        assert await types(client, str(KHARKIV)) == set()
        assert await types(client, str(KHARKIVSKYI)) == {"ARTILLERY"}
    await officer.http.aclose()


async def types(client: UkraineAlarm, region_id: str) -> set[str]:
    """The alert types a place is under, as Home Assistant's integration reads them."""
    found = await client.get_alerts(region_id)
    return {alert["type"] for alert in found[0]["activeAlerts"]}
