"""Email beside SMS in the outbox: a channel, an address, a subject, HTML and a calendar invite;
a visit's revision (the invite's SEQUENCE); the channel each kind of visit message goes by.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DESTINATION = (
    "(channel = 'sms' AND to_phone IS NOT NULL) OR "
    "(channel = 'email' AND to_email IS NOT NULL AND subject IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.Enum("sms", "email", name="channel", native_enum=False, length=20),
                server_default="sms",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("to_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("invite", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fallback_for_id", sa.Integer(), nullable=True))
        batch_op.alter_column("to_phone", existing_type=sa.String(length=16), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_messages_fallback_for_id_outbound_messages"),
            "outbound_messages",
            ["fallback_for_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_outbound_messages_destination"), DESTINATION
        )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("clinic_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("message_channels", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    op.execute("DELETE FROM outbound_messages WHERE channel = 'email'")
    with op.batch_alter_table("clinic_rules", schema=None) as batch_op:
        batch_op.drop_column("message_channels")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbound_messages_destination"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_outbound_messages_fallback_for_id_outbound_messages"),
            type_="foreignkey",
        )
        batch_op.alter_column("to_phone", existing_type=sa.String(length=16), nullable=False)
        for column in ("fallback_for_id", "invite", "html_body", "subject", "to_email", "channel"):
            batch_op.drop_column(column)
