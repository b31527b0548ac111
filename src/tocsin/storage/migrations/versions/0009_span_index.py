"""Statistics: the spans' region index also covers threat, source and direct, in that order.

A region's packed spans are built from one read of this index, grouped by (threat, source,
direct) in index order, without touching the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW = ["region", "status", "threat", "source", "direct", "start_us", "end_us"]
OLD = ["region", "status", "start_us", "end_us"]


def upgrade() -> None:
    op.drop_index("ix_alert_spans_region", table_name="alert_spans")
    op.create_index("ix_alert_spans_region", "alert_spans", NEW)


def downgrade() -> None:
    op.drop_index("ix_alert_spans_region", table_name="alert_spans")
    op.create_index("ix_alert_spans_region", "alert_spans", OLD)
