"""Clinic details for patients: the address, a map link, a cancellation policy, service prices.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("map_url", sa.String(length=500), server_default="", nullable=False),
        sa.Column("cancellation_policy", sa.String(length=1000), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_details")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price_pence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("price_pence")
    op.drop_table("clinic_details")
