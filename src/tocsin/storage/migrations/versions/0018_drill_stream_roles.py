"""Drills: a node's row of streams says whether it is a server node's or an edge node's.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drill_streams") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="server"))


def downgrade() -> None:
    with op.batch_alter_table("drill_streams") as batch:
        batch.drop_column("role")
