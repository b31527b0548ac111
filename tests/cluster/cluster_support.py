"""Helpers of the cluster tests: alerts to relay (a node's settings: `nats_support`)."""

from __future__ import annotations

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN

OBLASTS = ["UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23"]


async def raise_alerts(tocsin: Tocsin, count: int, first: int = 0) -> None:
    for index in range(first, first + count):
        region = OBLASTS[index % len(OBLASTS)]
        await tocsin.alerts.raise_alert(RaiseAlert(threat="missile", regions=[region]), LOCAL_ADMIN)
