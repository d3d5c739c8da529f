"""Two-way SMS: inbound messages, staff alerts, diary days and per-patient message settings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:55:32.180961
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "diary_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("headache", sa.Boolean(), nullable=False),
        sa.Column("worst_pain", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Double(), nullable=True),
        sa.Column("acute_medication", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hours IS NULL OR (hours >= 0 AND hours <= 24)", name=op.f("ck_diary_days_hours")
        ),
        sa.CheckConstraint("worst_pain BETWEEN 0 AND 10", name=op.f("ck_diary_days_pain")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_diary_days_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_days")),
        sa.UniqueConstraint("patient_id", "day", name=op.f("uq_diary_days_patient_id")),
    )
    with op.batch_alter_table("diary_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diary_days_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=False),
        sa.Column("from_phone", sa.String(length=32), nullable=False),
        sa.Column("to_phone", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("understood_as", sa.String(length=30), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_inbound_messages_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_inbound_messages_provider_sid")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_from_phone"), ["from_phone"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "staff_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name=op.f("fk_staff_alerts_inbound_id_inbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_staff_alerts_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_staff_alerts_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_alerts")),
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_reply_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_messages_in_reply_to_id_inbound_messages"),
            "inbound_messages",
            ["in_reply_to_id"],
            ["id"],
        )

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("diary_prompt_time", sa.Time(), nullable=False, server_default="19:00:00")
        )
        batch_op.add_column(
            sa.Column(
                "diary_frequency", sa.String(length=10), nullable=False, server_default="daily"
            )
        )
        batch_op.add_column(
            sa.Column("phone_flagged_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("phone_flagged_at")
        batch_op.drop_column("diary_frequency")
        batch_op.drop_column("diary_prompt_time")

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbound_messages_in_reply_to_id_inbound_messages"), type_="foreignkey"
        )
        batch_op.drop_column("in_reply_to_id")

    op.drop_table("staff_alerts")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_patient_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_from_phone"))

    op.drop_table("inbound_messages")
    with op.batch_alter_table("diary_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_days_patient_id"))

    op.drop_table("diary_days")
