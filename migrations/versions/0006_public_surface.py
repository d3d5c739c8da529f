"""The public surface: proven phones, session versions, deduplicated alerts, emergency phrases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:00:10.421051
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_phrases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_phrases")),
        sa.UniqueConstraint("phrase", name=op.f("uq_emergency_phrases_phrase")),
    )
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proof_hash", sa.String(length=64), nullable=True),
        sa.Column("proof_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
        sa.UniqueConstraint("proof_hash", name=op.f("uq_phone_verifications_proof_hash")),
    )
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_phone_e164"), ["phone_e164"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_requester"), ["requester"], unique=False
        )

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_from", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_courses_requested_from"), ["requested_from"], unique=False
        )

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.alter_column("patient_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            "ix_outbound_messages_to_phone_sent_at", ["to_phone", "sent_at"], unique=False
        )
        batch_op.create_index("ix_outbound_messages_sent_at", ["sent_at"], unique=False)

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "uq_patients_proven_phone",
            ["phone_e164"],
            unique=True,
            postgresql_where=sa.text("phone_verified_at IS NOT NULL"),
            sqlite_where=sa.text("phone_verified_at IS NOT NULL"),
        )

    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("phone_proven", sa.Boolean(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_staff_alerts_dedupe_key"), ["dedupe_key"])

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("session_version")

    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_alerts_dedupe_key"), type_="unique")
        batch_op.drop_column("phone_proven")
        batch_op.drop_column("dedupe_key")

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_patients_proven_phone",
            postgresql_where=sa.text("phone_verified_at IS NOT NULL"),
            sqlite_where=sa.text("phone_verified_at IS NOT NULL"),
        )
        batch_op.drop_column("phone_verified_at")

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_sent_at")
        batch_op.drop_index("ix_outbound_messages_to_phone_sent_at")
        batch_op.alter_column("patient_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_requested_from"))
        batch_op.drop_column("requested_from")

    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_verifications_requester"))
        batch_op.drop_index(batch_op.f("ix_phone_verifications_phone_e164"))
        batch_op.drop_index(batch_op.f("ix_phone_verifications_created_at"))

    op.drop_table("phone_verifications")
    op.drop_table("emergency_phrases")
