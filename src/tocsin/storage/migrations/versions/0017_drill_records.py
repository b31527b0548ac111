"""Drills: what each node saw of its live streams during a drill, and each siren's part in it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_streams",
        sa.Column("drill_id", sa.String(32), primary_key=True),
        sa.Column("node", sa.String(200), primary_key=True),
        sa.Column("watched_from", UTCDateTime, nullable=False),
        sa.Column("watched_until", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("peak_total", sa.Integer, nullable=False),
    )
    op.create_table(
        "drill_sirens",
        sa.Column("drill_id", sa.String(32), primary_key=True),
        sa.Column("siren_id", sa.String(64), primary_key=True, index=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("until", UTCDateTime, nullable=False),
        sa.Column("command_seq", sa.BigInteger, nullable=True),
        sa.Column("commanded_at", UTCDateTime, nullable=True),
        sa.Column("ack_seq", sa.BigInteger, nullable=True),
        sa.Column("acked_at", UTCDateTime, nullable=True),
        sa.Column("last_heartbeat_at", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("drill_sirens")
    op.drop_table("drill_streams")
