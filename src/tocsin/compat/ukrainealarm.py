"""Answers in the shape of api.ukrainealarm.com's v3 API.

- `/alerts`: each place under an alert raised for it, with its active alerts;
- `/alerts/{regionId}`: that one place (a list of one), with the alerts of the place and of the
  places above it (an oblast's alert covers its raions), each naming the place it was raised
  for;
- `/alerts/status`: `{"lastActionIndex"}`, a number that grows whenever the alerts change;
- `/regions`: the tree of states, districts and communities.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tocsin.compat.places import Place, Places
from tocsin.compat.shown import Shown


def region(place: Place, alerts: Iterable[Shown]) -> dict[str, Any]:
    active = [
        {
            "regionId": str(entry.place.uid),
            "regionType": entry.place.region_type,
            "type": entry.type.ua_type,
            "lastUpdate": stamp(entry.updated_at),
        }
        for entry in alerts
    ]
    updates = [item["lastUpdate"] for item in active]
    return {
        "regionId": str(place.uid),
        "regionType": place.region_type,
        "regionName": place.title,
        "regionEngName": place.title_en,
        "lastUpdate": max(updates) if updates else None,
        "activeAlerts": active,
    }


def alerts(entries: list[Shown]) -> list[dict[str, Any]]:
    """Each place under an alert raised for it."""
    by_place: dict[int, tuple[Place, list[Shown]]] = {}
    for entry in entries:
        by_place.setdefault(entry.place.uid, (entry.place, []))[1].append(entry)
    return [region(place, found) for _, (place, found) in sorted(by_place.items())]


def alerts_of(place: Place, entries: list[Shown], places: Places) -> list[dict[str, Any]]:
    """One place, with the alerts raised for it or for a place above it."""
    covering = {p.uid for p in places.covering(place.code)}
    return [region(place, [e for e in entries if e.place.uid in covering])]


def regions(places: Places) -> dict[str, Any]:
    return {"states": [_tree(place, places) for place in places.oblasts]}


def _tree(place: Place, places: Places) -> dict[str, Any]:
    children = sorted(places.children(place), key=lambda p: p.title.casefold())
    return {
        "regionId": str(place.uid),
        "regionName": place.title,
        "regionType": place.region_type,
        "regionChildIds": [_tree(child, places) for child in children],
    }


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
