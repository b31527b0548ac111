"""Incidents: a mode like an alert's status (actual, exercise, test); status stays open / closed.

Existing incidents are actual. The incident's JSON in `data` gets the same `mode`; events
already in the log keep what they recorded. Going down drops the mode: exercise and test
incidents then look actual.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

incidents = sa.table("incidents", sa.column("id", sa.String), sa.column("data", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="actual"))
    _rewrite(lambda data: {**data, "mode": "actual"})


def downgrade() -> None:
    _rewrite(lambda data: {k: v for k, v in data.items() if k != "mode"})
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("mode")


def _rewrite(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(incidents.c.id, incidents.c.data)).all():
        conn.execute(
            incidents.update().where(incidents.c.id == row.id).values(data=change(row.data))
        )
