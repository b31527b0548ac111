"""Regions: the KATOTTG code and other names (former names, other spellings).

Revision ID: 0015
Revises: 0014_incident_publication
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014_incident_publication"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regions") as batch:
        batch.add_column(sa.Column("katottg", sa.String(32), nullable=True))
        batch.add_column(sa.Column("aliases", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("regions") as batch:
        batch.drop_column("aliases")
        batch.drop_column("katottg")
