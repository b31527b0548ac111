"""Delivery: consumer cursors, the attempt log, subscriptions and sirens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cursors",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_deliveries_consumer", "deliveries", ["consumer", "event_seq"])
    op.create_index("ix_deliveries_event", "deliveries", ["event_seq"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("start_seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sirens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("registered_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fault_reason", sa.Text, nullable=True),
        sa.Column("last_heartbeat_at", UTCDateTime, nullable=True),
        sa.Column("last_command_seq", sa.BigInteger, nullable=True),
        sa.Column("last_command_at", UTCDateTime, nullable=True),
        sa.Column("last_ack_seq", sa.BigInteger, nullable=True),
        sa.Column("last_ack_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_sirens_region", "sirens", ["region"])


def downgrade() -> None:
    for table in ("sirens", "subscriptions", "deliveries", "cursors"):
        op.drop_table(table)
