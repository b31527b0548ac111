"""CAP messages imported from other authorities: which alert each one acted on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cap_messages",
        sa.Column("sender", sa.String(255), primary_key=True),
        sa.Column("identifier", sa.String(255), primary_key=True),
        sa.Column("sent", UTCDateTime, nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_cap_messages_alert_id", "cap_messages", ["alert_id"])


def downgrade() -> None:
    op.drop_table("cap_messages")
