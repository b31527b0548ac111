"""History import: progress of each imported file; the statistics projection (spans per
alert and region, their packed form, the projector's place in the log).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_imports",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("last_line", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("existing", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "alert_spans",
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("start_us", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("alert_id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("end_us", sa.BigInteger, nullable=True),
        sa.Column("threat", sa.String(32), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("direct", sa.Boolean, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_alert_spans_region", "alert_spans", ["region", "status", "start_us", "end_us"]
    )
    op.create_table(
        "span_packs",
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("starts", sa.LargeBinary, nullable=False),
        sa.Column("ends", sa.LargeBinary, nullable=False),
        sa.Column("direct", sa.LargeBinary, nullable=False),
        sa.Column("threats", sa.LargeBinary, nullable=False),
        sa.Column("sources", sa.LargeBinary, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
    )
    op.create_table(
        "stats_progress",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("stats_progress", "span_packs", "alert_spans", "history_imports"):
        op.drop_table(table)
