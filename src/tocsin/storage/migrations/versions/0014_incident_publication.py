"""Incidents: publication. An actual incident is public only once an officer publishes it.

Existing incidents were public from the start and stay so: the new `published_at` column is set
to when they were recorded. Their JSON in `data` is left as it is: an incident whose JSON has no
`published_at` was recorded before publication existed and reads as published when recorded
(`Incident.from_json`). Going down drops the column: every incident is then public again.

Revision ID: 0014_incident_publication
Revises: 0012_push_subscriptions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.storage.tables import UTCDateTime

revision = "0014_incident_publication"
down_revision = "0012_push_subscriptions"
branch_labels = None
depends_on = None

incidents = sa.table(
    "incidents",
    sa.column("recorded_at", UTCDateTime),
    sa.column("published_at", UTCDateTime),
)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("published_at", UTCDateTime, nullable=True))
    op.execute(incidents.update().values(published_at=incidents.c.recorded_at))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("published_at")
