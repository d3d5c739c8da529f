"""The full headache diary, safety screens, questionnaires, the audit trail and console records.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 13:34:12.644534
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("via", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity", "entity_id", "at"], unique=False)

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_calendar_feeds_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "diary_attacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("peak_pain", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("quality", sa.String(length=10), nullable=False),
        sa.Column("worse_with_activity", sa.Boolean(), nullable=False),
        sa.Column("nausea", sa.Boolean(), nullable=False),
        sa.Column("vomiting", sa.Boolean(), nullable=False),
        sa.Column("light_sound_sensitivity", sa.Boolean(), nullable=False),
        sa.Column("aura", sa.Boolean(), nullable=False),
        sa.Column("aura_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "function",
            sa.Enum(
                "normal", "reduced", "bed", name="attackfunction", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "aura_minutes IS NULL OR aura_minutes >= 0", name=op.f("ck_diary_attacks_aura")
        ),
        sa.CheckConstraint("peak_pain BETWEEN 0 AND 10", name=op.f("ck_diary_attacks_peak")),
        sa.CheckConstraint("started_at < ended_at", name=op.f("ck_diary_attacks_order")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_diary_attacks_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_attacks")),
    )
    with op.batch_alter_table("diary_attacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diary_attacks_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("midas", "hit6", name="questionnairekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("point", sa.String(length=40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_questionnaire_responses_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
        sa.UniqueConstraint(
            "patient_id", "kind", "point", name=op.f("uq_questionnaire_responses_patient_id")
        ),
    )
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_responses_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_message_templates_updated_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("kind", name=op.f("uq_message_templates_kind")),
    )
    op.create_table(
        "patient_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_users.id"], name=op.f("fk_patient_notes_author_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_notes_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_notes")),
    )
    with op.batch_alter_table("patient_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_notes_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "safety_screens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column(
            "tier",
            sa.Enum(
                "emergent",
                "urgent",
                "review",
                "clear",
                name="safetytier",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_safety_screens_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_safety_screens_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_safety_screens_reviewed_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_screens")),
    )
    with op.batch_alter_table("safety_screens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_screens_patient_id"), ["patient_id"], unique=False
        )

    with op.batch_alter_table("clinic_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_hours_before", sa.Integer(), server_default="48", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "short_reminder_hours_before", sa.Integer(), server_default="2", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("aftercare_hour", sa.Integer(), server_default="10", nullable=False)
        )
        batch_op.add_column(
            sa.Column("maintenance_notice_days", sa.Integer(), server_default="7", nullable=False)
        )
        batch_op.add_column(
            sa.Column("link_grace_days", sa.Integer(), server_default="90", nullable=False)
        )

    with op.batch_alter_table("diary_days", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "medication_class",
                sa.Enum(
                    "triptan",
                    "ergot",
                    "opioid",
                    "combination",
                    "simple",
                    "other",
                    name="medicationclass",
                    native_enum=False,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("menstruation", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("sleep_hours", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("stress", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("triggers", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("notes", sa.Text(), server_default="", nullable=False))
        batch_op.create_check_constraint("stress", "stress IS NULL OR stress BETWEEN 0 AND 10")
        batch_op.create_check_constraint(
            "sleep", "sleep_hours IS NULL OR (sleep_hours >= 0 AND sleep_hours <= 24)"
        )

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safety_flags", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("safety_flags")

    with op.batch_alter_table("diary_days", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_diary_days_sleep"), type_="check")
        batch_op.drop_constraint(op.f("ck_diary_days_stress"), type_="check")
        batch_op.drop_column("notes")
        batch_op.drop_column("triggers")
        batch_op.drop_column("stress")
        batch_op.drop_column("sleep_hours")
        batch_op.drop_column("menstruation")
        batch_op.drop_column("medication_class")

    with op.batch_alter_table("clinic_rules", schema=None) as batch_op:
        batch_op.drop_column("link_grace_days")
        batch_op.drop_column("maintenance_notice_days")
        batch_op.drop_column("aftercare_hour")
        batch_op.drop_column("short_reminder_hours_before")
        batch_op.drop_column("reminder_hours_before")

    with op.batch_alter_table("safety_screens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_screens_patient_id"))

    op.drop_table("safety_screens")
    with op.batch_alter_table("patient_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_notes_patient_id"))

    op.drop_table("patient_notes")
    op.drop_table("message_templates")
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_responses_patient_id"))

    op.drop_table("questionnaire_responses")
    with op.batch_alter_table("diary_attacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_attacks_patient_id"))

    op.drop_table("diary_attacks")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_practitioner_id"))

    op.drop_table("calendar_feeds")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
