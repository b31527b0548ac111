"""Incidents: a status like an alert's (actual, exercise, test); open / closed becomes `state`.

Existing incidents are actual. The incident's JSON in `data` is rewritten to match; events
already in the log keep what they recorded. Going down drops the status: exercise and test
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
        batch.alter_column(
            "status", new_column_name="state", existing_type=sa.String(16), existing_nullable=False
        )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="actual")
        )
    _rewrite(lambda data: {**data, "state": data["status"], "status": "actual"})


def downgrade() -> None:
    _rewrite(
        lambda data: {**{k: v for k, v in data.items() if k != "state"}, "status": data["state"]}
    )
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("status")
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column(
            "state", new_column_name="status", existing_type=sa.String(16), existing_nullable=False
        )


def _rewrite(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(incidents.c.id, incidents.c.data)).all():
        conn.execute(
            incidents.update().where(incidents.c.id == row.id).values(data=change(row.data))
        )
