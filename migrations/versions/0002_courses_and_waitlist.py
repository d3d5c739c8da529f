"""Treatment courses, time off, clinic closures, calendar rules and the waitlist.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 11:38:09.008558
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ACTIVE_COURSE_VISIT = (
    "status IN ('proposed', 'pending_review', 'booked', 'confirmed', 'arrived', 'completed') "
    "AND course_id IS NOT NULL"
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "clinic_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_minutes", sa.Integer(), nullable=False),
        sa.Column("minimum_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("course_horizon_days", sa.Integer(), nullable=False),
        sa.Column("late_cancellation_hours", sa.Integer(), nullable=False),
        sa.Column("waitlist_hold_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grid_minutes IN (5, 10, 15, 20, 30, 60)", name=op.f("ck_clinic_rules_grid")
        ),
        sa.CheckConstraint(
            "horizon_days > 0 AND course_horizon_days >= horizon_days",
            name=op.f("ck_clinic_rules_horizon"),
        ),
        sa.CheckConstraint("minimum_notice_minutes >= 0", name=op.f("ck_clinic_rules_notice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_rules")),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_closures_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
    )
    op.create_table(
        "course_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_course_templates_code")),
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "completed", "stopped", name="coursestatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("preferred_weekdays", sa.String(length=20), nullable=False),
        sa.Column("preferred_time", sa.Time(), nullable=False),
        sa.Column("maintenance_interval_weeks", sa.Integer(), nullable=True),
        sa.Column("unplaced", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_courses_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_courses_practitioner_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["course_templates.id"],
            name=op.f("fk_courses_template_id_course_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "template_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "cadence",
            sa.Enum("once", "weekly", "maintenance", name="cadence", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("visits_per_week", sa.Integer(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("min_gap_days", sa.Integer(), nullable=False),
        sa.Column("interval_min_weeks", sa.Integer(), nullable=False),
        sa.Column("interval_default_weeks", sa.Integer(), nullable=False),
        sa.Column("interval_max_weeks", sa.Integer(), nullable=False),
        sa.Column("then_service_id", sa.Integer(), nullable=True),
        sa.Column("aftercare", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "interval_min_weeks <= interval_default_weeks "
            "AND interval_default_weeks <= interval_max_weeks",
            name=op.f("ck_template_phases_interval"),
        ),
        sa.CheckConstraint("min_gap_days BETWEEN 0 AND 14", name=op.f("ck_template_phases_gap")),
        sa.CheckConstraint(
            "visits_per_week BETWEEN 1 AND 3", name=op.f("ck_template_phases_per_week")
        ),
        sa.CheckConstraint("weeks BETWEEN 1 AND 26", name=op.f("ck_template_phases_weeks")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_template_phases_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["course_templates.id"],
            name=op.f("fk_template_phases_template_id_course_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["then_service_id"],
            ["services.id"],
            name=op.f("fk_template_phases_then_service_id_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_phases")),
        sa.UniqueConstraint("template_id", "position", name=op.f("uq_template_phases_template_id")),
    )
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_time_off_order")),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_time_off_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_time_off_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("earliest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "offered",
                "fulfilled",
                "withdrawn",
                name="waitliststatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("earliest < latest", name=op.f("ck_waitlist_entries_window")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_waitlist_entries_practitioner_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_entries_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_entries_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_waitlist_entries_waiting", ["service_id", "created_at"], unique=False
        )

    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "expired",
                "declined",
                name="offerstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_offers_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_waitlist_offers_appointment_id")),
    )
    with op.batch_alter_table("waitlist_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waitlist_offers_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            "ix_waitlist_offers_open",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("course_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("phase_position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("planning_note", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.create_index("ix_appointments_starts_at", ["starts_at"], unique=False)
        batch_op.create_index(
            "uq_appointments_course_visit",
            ["course_id", "visit_number"],
            unique=True,
            postgresql_where=sa.text(ACTIVE_COURSE_VISIT),
            sqlite_where=sa.text(ACTIVE_COURSE_VISIT),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_course_id_courses"), "courses", ["course_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_replaces_id_appointments"),
            "appointments",
            ["replaces_id"],
            ["id"],
        )


def downgrade() -> None:

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_replaces_id_appointments"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_course_id_courses"), type_="foreignkey"
        )
        batch_op.drop_index(
            "uq_appointments_course_visit",
            postgresql_where=sa.text(ACTIVE_COURSE_VISIT),
            sqlite_where=sa.text(ACTIVE_COURSE_VISIT),
        )
        batch_op.drop_index("ix_appointments_starts_at")
        batch_op.drop_column("planning_note")
        batch_op.drop_column("hold_expires_at")
        batch_op.drop_column("replaces_id")
        batch_op.drop_column("visit_number")
        batch_op.drop_column("phase_position")
        batch_op.drop_column("course_id")

    with op.batch_alter_table("waitlist_offers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_waitlist_offers_open",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_waitlist_offers_entry_id"))

    op.drop_table("waitlist_offers")
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_entries_waiting")
        batch_op.drop_index(batch_op.f("ix_waitlist_entries_patient_id"))

    op.drop_table("waitlist_entries")
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_off_practitioner_id"))

    op.drop_table("time_off")
    op.drop_table("template_phases")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_patient_id"))

    op.drop_table("courses")
    op.drop_table("course_templates")
    op.drop_table("closures")
    op.drop_table("clinic_rules")
