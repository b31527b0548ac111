"""MQTT topic names and the JSON payloads that travel on them (see docs/sirens.md).

Every topic starts with a configurable prefix (`mqtt_topic_prefix`, default `tocsin/v1`):

    {prefix}/regions/{code}/state            retained, QoS 1   actual region state
    {prefix}/regions/{code}/state/{status}   retained, QoS 1   exercise / test region state
    {prefix}/sirens/{id}/command             QoS 1             service → siren
    {prefix}/sirens/{id}/ack                 QoS 1             siren → service
    {prefix}/sirens/{id}/status              QoS 1             siren → service (heartbeats)
    {prefix}/bridge                          retained, QoS 1   the service's online/offline

Payloads are UTF-8 JSON objects; their fields are the TypedDicts below. Receivers must ignore
fields they do not know: new ones may be added within `v1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import orjson

from tocsin.domain.alerts import Status

DEFAULT_PREFIX = "tocsin/v1"
_FORBIDDEN = ("+", "#", "\x00")


class StatePayload(TypedDict):
    """A region's state, as of log position `seq`."""

    region: str
    status: str  # actual | exercise | test: whose alerts count
    state: str  # active | partial | none
    letter: str  # A | P | N, as in /v1/iot/states
    threat: str | None  # the most severe threat naming the state
    alerts: list[str]  # alerts covering the whole region
    partial_alerts: list[str]  # alerts covering only part of it
    pre_alert: bool  # an early warning is out for it
    since: str | None  # when the earliest deciding alert became active
    seq: int  # the event this state follows from (or the bridge's position, for a snapshot)
    event_id: str | None  # that event's id (None for a snapshot)
    time: str  # the event's time (the snapshot's, for a snapshot)
    cause: Literal["event", "snapshot"]


class CommandPayload(TypedDict):
    """What one siren must do. `seq` orders a siren's commands and is the idempotency key."""

    siren: str
    region: str
    seq: int
    event_id: str
    time: str
    command: Literal["sound", "all_clear", "stop"]
    pattern: str  # continuous | wail | pulsed | all_clear | none
    seconds: int
    threat: str | None
    status: str
    drill: bool  # status is not actual: play the drill variant
    alert_id: str
    message: str | None  # the false-alarm message of a cancel


class AckPayload(TypedDict, total=False):
    seq: int  # required: the command acknowledged
    result: str  # ok | duplicate | error
    error: str
    time: str


class StatusPayload(TypedDict, total=False):
    state: str  # required: online | offline
    conn: str  # one value per connection: a new value means the siren reconnected
    last_seq: int  # the newest command the siren has carried out
    activity: str
    time: str


class BridgePayload(TypedDict):
    state: Literal["online", "offline"]
    conn: str
    time: str


@dataclass(frozen=True, slots=True)
class Ack:
    siren: str
    seq: int
    ok: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class SirenStatus:
    siren: str
    online: bool
    conn: str | None
    last_seq: int


class Topics:
    """The topic names under one prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = check_prefix(prefix)
        self.acks = f"{self.prefix}/sirens/+/ack"
        self.statuses = f"{self.prefix}/sirens/+/status"
        self.bridge = f"{self.prefix}/bridge"
        self.states = f"{self.prefix}/regions/+/state"

    def state(self, region: str, status: Status = Status.ACTUAL) -> str:
        base = f"{self.prefix}/regions/{region}/state"
        return base if status is Status.ACTUAL else f"{base}/{status.value}"

    def command(self, siren: str) -> str:
        return f"{self.prefix}/sirens/{siren}/command"

    def ack(self, siren: str) -> str:
        return f"{self.prefix}/sirens/{siren}/ack"

    def status(self, siren: str) -> str:
        return f"{self.prefix}/sirens/{siren}/status"

    def siren_topic(self, topic: str) -> tuple[str, str] | None:
        """(siren id, "ack" | "status" | "command") for a siren topic under this prefix."""
        head = f"{self.prefix}/sirens/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head) :].split("/")
        if len(parts) != 2 or not parts[0] or parts[1] not in ("ack", "status", "command"):
            return None
        return parts[0], parts[1]


def check_prefix(prefix: str) -> str:
    if not prefix or prefix.startswith("/") or prefix.endswith("/") or not topic_safe(prefix):
        raise ValueError(
            f"an MQTT topic prefix is one or more levels without wildcards, e.g. "
            f"{DEFAULT_PREFIX}; got {prefix!r}"
        )
    return prefix


def topic_safe(name: str) -> bool:
    """True if `name` may be a part of a topic one publishes to."""
    return bool(name) and not any(c in name for c in _FORBIDDEN)


def encode(payload: Any) -> bytes:
    return orjson.dumps(payload)


def parse_ack(siren: str, payload: bytes) -> Ack | None:
    """The ack of a siren, or None when the payload is not one."""
    data = _object(payload)
    seq = data.get("seq") if data else None
    if not _count(seq):
        return None
    assert isinstance(seq, int)
    assert data is not None
    if data.get("result", "ok") != "error":
        return Ack(siren, seq, True, None)
    return Ack(siren, seq, False, str(data.get("error") or "the siren reported an error"))


def parse_status(siren: str, payload: bytes) -> SirenStatus | None:
    """A siren's status or heartbeat, or None when the payload is not one."""
    data = _object(payload)
    if data is None or data.get("state") not in ("online", "offline"):
        return None
    last = data.get("last_seq", 0)
    conn = data.get("conn")
    return SirenStatus(
        siren,
        data["state"] == "online",
        conn if isinstance(conn, str) else None,
        last if _count(last) else 0,
    )


def _object(payload: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
