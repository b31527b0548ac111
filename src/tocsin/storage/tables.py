"""The schema. Changes to it go through a new migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(moment, datetime)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


metadata = MetaData()

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("alert_id", String(36), nullable=True, index=True),
    Column("data", JSON, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("phase", String(16), nullable=False),
    Column("threat", String(32), nullable=False),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_alerts_open", "phase", "status"),
    Index("ix_alerts_raised", "raised_at", "id"),
)

alert_regions = Table(
    "alert_regions",
    metadata,
    Column("alert_id", String(36), primary_key=True),
    Column("region", String(64), primary_key=True),
    Index("ix_alert_regions_region", "region", "alert_id"),
)

regions = Table(
    "regions",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("parent", String(64), nullable=True, index=True),
    Column("level", String(32), nullable=False),
    Column("names", JSON, nullable=False),
    Column("geometry", Text, nullable=True),
    Column("time_to_shelter", Integer, nullable=True),
    Column("external_id", String(128), nullable=True),
    Column("pack", String(64), nullable=True),
    Column("katottg", String(32), nullable=True),
    Column("aliases", JSON, nullable=True),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("regions", JSON, nullable=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("alert_id", String(36), nullable=False),  # what it made: an alert, incident or claim
    Column("created_at", UTCDateTime, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("consumer", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("until", UTCDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("consumer", String(200), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("target", String(500), nullable=False),
    Column("event_seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_deliveries_consumer", "consumer", "event_seq"),
    Index("ix_deliveries_event", "event_seq"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=True),
    Column("filters", JSON, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("options", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("start_seq", BigInteger, nullable=False),
)

sirens = Table(
    "sirens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("region", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("fault_reason", Text, nullable=True),
    Column("last_heartbeat_at", UTCDateTime, nullable=True),
    Column("last_command_seq", BigInteger, nullable=True),
    Column("last_command_at", UTCDateTime, nullable=True),
    Column("last_ack_seq", BigInteger, nullable=True),
    Column("last_ack_at", UTCDateTime, nullable=True),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("origin", String(200), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=True),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("regions", JSON, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("origin", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("level", Float, nullable=False),
    Column("measured_at", UTCDateTime, nullable=False),
    Column("blocked_until", UTCDateTime, nullable=True),
    Column("idle_at", UTCDateTime, nullable=False, index=True),
)

push_keys = Table(
    "push_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

drills = Table(
    "drills",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("threat", String(64), nullable=False),
    Column("regions", JSON, nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=False, index=True),
    Column("announce_before", Integer, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("sirens", Boolean, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("alert_id", String(64), nullable=True),
    Column("postponed", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("announced_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
)

drill_streams = Table(
    "drill_streams",
    metadata,
    Column("drill_id", String(32), primary_key=True),
    Column("node", String(200), primary_key=True),
    Column("role", String(16), nullable=False, server_default="server"),
    Column("watched_from", UTCDateTime, nullable=False),
    Column("watched_until", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("peak_total", Integer, nullable=False),
)

drill_sirens = Table(
    "drill_sirens",
    metadata,
    Column("drill_id", String(32), primary_key=True),
    Column("siren_id", String(64), primary_key=True, index=True),
    Column("region", String(64), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("command_seq", BigInteger, nullable=True),
    Column("commanded_at", UTCDateTime, nullable=True),
    Column("ack_seq", BigInteger, nullable=True),
    Column("acked_at", UTCDateTime, nullable=True),
    Column("last_heartbeat_at", UTCDateTime, nullable=True),
)
