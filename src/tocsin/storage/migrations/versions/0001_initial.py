"""Event log, alerts, regions, tokens, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    log_head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(log_head, [{"id": 1, "seq": 0}])
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("alert_id", sa.String(36), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_alert_id", "events", ["alert_id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("threat", sa.String(32), nullable=False),
        sa.Column("raised_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_alerts_open", "alerts", ["phase", "status"])
    op.create_index("ix_alerts_raised", "alerts", ["raised_at", "id"])
    op.create_table(
        "alert_regions",
        sa.Column("alert_id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
    )
    op.create_index("ix_alert_regions_region", "alert_regions", ["region", "alert_id"])
    op.create_table(
        "regions",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("parent", sa.String(64), nullable=True),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("geometry", sa.Text, nullable=True),
        sa.Column("time_to_shelter", sa.Integer, nullable=True),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("pack", sa.String(64), nullable=True),
    )
    op.create_index("ix_regions_parent", "regions", ["parent"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("regions", sa.JSON, nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "idempotency",
        sa.Column("actor", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "idempotency",
        "tokens",
        "regions",
        "alert_regions",
        "alerts",
        "events",
        "log_head",
    ):
        op.drop_table(table)
