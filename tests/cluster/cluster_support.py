"""Helpers of the cluster tests: a node's settings in cluster mode, alerts to relay."""

from __future__ import annotations

from nats_support import Nats
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN

OBLASTS = ["UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23"]


def cluster_settings(database: str, nats: Nats, cluster: str, **more: object) -> Settings:
    return Settings(
        database_url=database,
        nats_url=nats.url,
        cluster=cluster,
        channels=(),
        lease_seconds=0.6,
        **more,  # type: ignore[arg-type]
    )


async def raise_alerts(tocsin: Tocsin, count: int, first: int = 0) -> None:
    for index in range(first, first + count):
        region = OBLASTS[index % len(OBLASTS)]
        await tocsin.alerts.raise_alert(RaiseAlert(threat="missile", regions=[region]), LOCAL_ADMIN)
