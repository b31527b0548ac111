"""Login throttling: one leaky bucket per username, per client address and overall, shared by
every server on the database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("level", sa.Float, nullable=False),
        sa.Column("measured_at", UTCDateTime, nullable=False),
        sa.Column("blocked_until", UTCDateTime, nullable=True),
        sa.Column("idle_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_login_throttle_idle_at", "login_throttle", ["idle_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_idle_at", table_name="login_throttle")
    op.drop_table("login_throttle")
