"""Incidents: claims, sources and response actions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = (
    "incident_log",
    "response_updates",
    "incident_responses",
    "claim_status_changes",
    "incident_claims",
    "incident_alerts",
    "incident_threats",
    "incident_regions",
    "incidents",
)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", UTCDateTime, nullable=False),
        sa.Column("end_at", UTCDateTime, nullable=True),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_incidents_start", "incidents", ["start_at", "id"])
    _pair("incident_regions", "region", 64)
    _pair("incident_threats", "threat", 32)
    op.create_table(
        "incident_alerts",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("alert_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_incident_alerts_alert", "incident_alerts", ["alert_id"])
    _appended("incident_claims", "id", sa.Column("measure", sa.String(32), nullable=False))
    _appended(
        "claim_status_changes",
        "claim_id",
        sa.Column("status", sa.String(16), nullable=False),
        seq_key=True,
    )
    _appended("incident_responses", "id", sa.Column("kind", sa.String(32), nullable=False))
    _appended(
        "response_updates",
        "response_id",
        sa.Column("status", sa.String(16), nullable=False),
        seq_key=True,
    )
    op.create_table(
        "incident_log",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)


def _pair(table: str, column: str, length: int) -> None:
    op.create_table(
        table,
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column(column, sa.String(length), primary_key=True),
    )
    op.create_index(f"ix_{table}_{column}", table, [column, "incident_id"])


def _appended(table: str, key: str, extra: sa.Column[str], *, seq_key: bool = False) -> None:
    op.create_table(
        table,
        sa.Column(key, sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=seq_key, autoincrement=False, nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        extra,
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index(f"ix_{table}_incident", table, ["incident_id", "seq"])
