"""Safety alerts as a work queue: the screen behind an alert, who closed it, how, and escalation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_alerts_screen_id_safety_screens"),
            "safety_screens",
            ["screen_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_alerts_closed_by_id_staff_users"),
            "staff_users",
            ["closed_by_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_staff_alerts_open", ["resolved_at", "kind", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_alerts_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_alerts_patient_id"))
        batch_op.drop_index("ix_staff_alerts_open")
        batch_op.drop_constraint(
            batch_op.f("fk_staff_alerts_closed_by_id_staff_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_staff_alerts_screen_id_safety_screens"), type_="foreignkey"
        )
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("note")
        batch_op.drop_column("outcome")
        batch_op.drop_column("closed_by_id")
        batch_op.drop_column("screen_id")
