"""The clinic's rules, its reminder plan and its own wording of texts, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.calendar.snapshot import load_policy
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.messaging.plans import plan_aftercare, plan_maintenance_due
from scheduler.messaging.texts import TEMPLATES
from scheduler.messaging.wording import (
    current_wording,
    preview,
    reset_wording,
    sample_context,
    save_wording,
    wording_errors,
)
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    ClinicRules,
    MessageKind,
    MessageTemplate,
    OutboundMessage,
)
from scheduler.setup.rules import (
    CalendarRulesInput,
    ReminderPlanInput,
    current_rules,
    save_calendar_rules,
    save_reminder_plan,
)
from scheduler.visits.attendance import record_attendance
from tests.conftest import MONDAY_8AM
from tests.integration.test_courses import NOW, request_for
from tests.support.factories import book, demo_clinic
from tests.support.table_rows import table_rows

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
RULES = CalendarRulesInput("15", "120", "90", "200", "24", "15")
PLAN = ReminderPlanInput("48", "2", "10", "7", "90")


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def refused(db: Database, work: Any, *tables: Any) -> dict[str, list[str]]:
    before = table_rows(db, *tables)
    with pytest.raises(ValidationFailed) as caught, db.transaction() as session:
        work(session)
    assert table_rows(db, *tables) == before
    return caught.value.fields


def planned(db: Database, kind: MessageKind) -> list[OutboundMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboundMessage).where(OutboundMessage.kind == kind)))


# Calendar rules


def test_the_rules_start_at_the_defaults_and_are_saved_in_one_row(db: Database) -> None:
    with db.session() as session:
        assert current_rules(session)["grid_minutes"] == 15
    with db.transaction() as session:
        save_calendar_rules(session, replace(RULES, grid_minutes="30", horizon_days="60"))
    with db.session() as session:
        policy = load_policy(session)
        assert (policy.grid_minutes, policy.horizon.days) == (30, 60)
        assert current_rules(session)["reminder_hours_before"] == 48
        assert len(session.scalars(select(ClinicRules)).all()) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"grid_minutes": "25"}, "grid_minutes", "Choose 5, 10, 15, 20, 30 or 60 minutes."),
        ({"grid_minutes": "x"}, "grid_minutes", "Enter a whole number."),
        ({"minimum_notice_minutes": "-5"}, "minimum_notice_minutes", None),
        ({"horizon_days": "0"}, "horizon_days", "Enter a number from 1 to 730."),
        (
            {"course_horizon_days": "60"},
            "course_horizon_days",
            "Course plans must reach at least as far as single bookings (90 days).",
        ),
        ({"late_cancellation_hours": "200"}, "late_cancellation_hours", None),
        ({"waitlist_hold_minutes": "1"}, "waitlist_hold_minutes", None),
    ],
)
def test_bad_calendar_rules_are_refused_and_nothing_changes(
    db: Database, change: dict[str, str], field: str, message: str | None
) -> None:
    with db.transaction() as session:
        save_calendar_rules(session, RULES)
    fields = refused(db, lambda s: save_calendar_rules(s, replace(RULES, **change)), ClinicRules)
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]


# The reminder plan


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reminder_hours_before": "0"}, "reminder_hours_before", None),
        (
            {"short_reminder_hours_before": "48"},
            "short_reminder_hours_before",
            "Enter a number from 1 to 24.",
        ),
        (
            {"reminder_hours_before": "3", "short_reminder_hours_before": "3"},
            "short_reminder_hours_before",
            "The short reminder must come after the first one (fewer hours before the visit).",
        ),
        (
            {"aftercare_hour": "21"},
            "aftercare_hour",
            "Texts go between 08:00 and 20:00: choose an hour from 8 to 19.",
        ),
        ({"maintenance_notice_days": "30"}, "maintenance_notice_days", None),
        ({"link_grace_days": "nine"}, "link_grace_days", "Enter a whole number."),
    ],
)
def test_a_bad_reminder_plan_is_refused_and_nothing_changes(
    db: Database, change: dict[str, str], field: str, message: str | None
) -> None:
    fields = refused(db, lambda s: save_reminder_plan(s, replace(PLAN, **change)), ClinicRules)
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]


def test_reminder_offsets_from_the_plan_set_when_reminders_are_due(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        save_reminder_plan(
            session, replace(PLAN, reminder_hours_before="24", short_reminder_hours_before="1")
        )
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    (first,) = planned(db, MessageKind.REMINDER_48H)
    (short,) = planned(db, MessageKind.REMINDER_2H)
    assert first.due_at == WEDNESDAY_10AM - timedelta(hours=24)
    assert short.due_at == WEDNESDAY_10AM - timedelta(hours=1)


def test_without_a_plan_the_reminders_keep_48_and_2_hours(db: Database, settings: Settings) -> None:
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    assert planned(db, MessageKind.REMINDER_48H)[0].due_at == WEDNESDAY_10AM - timedelta(hours=48)
    assert planned(db, MessageKind.REMINDER_2H)[0].due_at == WEDNESDAY_10AM - timedelta(hours=2)


def test_the_after_care_hour_comes_from_the_plan(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        save_reminder_plan(session, replace(PLAN, aftercare_hour="15"))
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, service_code="dry_needling").appointment
    with db.transaction() as session:
        completed = record_attendance(
            session,
            visit.id,
            AppointmentStatus.COMPLETED,
            WEDNESDAY_10AM + timedelta(hours=1),
            settings,
        ).visit
        assert plan_aftercare(session, completed, settings, MONDAY_8AM) is None  # written once
    (aftercare,) = planned(db, MessageKind.AFTERCARE)
    assert aftercare.due_at == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_the_maintenance_nudge_goes_the_plans_notice_days_before_the_window(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        course = book_course(session, request_for(db), settings=settings, now=NOW)
        last_weekly = course.appointments[-2]
        for visit in course.appointments[:-1]:
            session.get_one(Appointment, visit.id).status = AppointmentStatus.COMPLETED
    eight_days_before = last_weekly.starts_at + timedelta(weeks=4) - timedelta(days=8)
    with db.transaction() as session:
        assert plan_maintenance_due(session, settings, eight_days_before) == 0  # default: 7
        save_reminder_plan(session, replace(PLAN, maintenance_notice_days="10"))
    with db.transaction() as session:
        assert plan_maintenance_due(session, settings, eight_days_before) == 1


# The clinic's wording


OWN_REMINDER = "{first_name}, {clinic_name} expects you {when}. Reply C to confirm."


def test_rendering_uses_the_clinics_wording_once_saved_and_the_built_in_after_reset(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        save_wording(session, MessageKind.REMINDER_48H, OWN_REMINDER, staff_id=None, now=MONDAY_8AM)
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    (reminder,) = planned(db, MessageKind.REMINDER_48H)
    assert (
        reminder.body
        == "Ana, Clearwater Clinic expects you Wed 4 Mar at 10:00. Reply C to confirm."
    )
    (confirmation,) = planned(db, MessageKind.CONFIRMATION)
    assert confirmation.body.startswith("Hi Ana, booked: Clearwater Clinic")  # not reworded
    with db.transaction() as session:
        assert reset_wording(session, MessageKind.REMINDER_48H) is True
        assert reset_wording(session, MessageKind.REMINDER_48H) is False
    with db.session() as session:
        assert current_wording(session, MessageKind.REMINDER_48H) == (
            TEMPLATES[MessageKind.REMINDER_48H],
            False,
        )


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        (
            MessageKind.REMINDER_48H,
            "Hi {first_name}, your migraine visit is {when}.",
            'Texts never name a condition, treatment or medication: remove "migraine".',
        ),
        (
            MessageKind.REMINDER_48H,
            "Hi {first_name}, bring your Medication list {when}. Headaches?",
            "Texts never name a condition, treatment or medication: remove "
            '"Medication", "Headaches".',
        ),
        (
            MessageKind.REMINDER_2H,
            "Acupuncture at {time} today.",
            'Texts never name a condition, treatment or medication: remove "Acupuncture".',
        ),
        (
            MessageKind.REMINDER_48H,
            "Hi {first_name}, {when}. Change it: {manage_url} {expires}",
            "This text cannot use {expires}. It can use {clinic_name}, {clinic_phone}, "
            "{day}, {first_name}, {manage_url}, {time}, {when}.",
        ),
        (
            MessageKind.DIARY_PROMPT,
            "How was {day}?",
            "This text cannot use {day}. It can use {clinic_name}, {clinic_phone}, {first_name}.",
        ),
        (
            MessageKind.REMINDER_48H,
            "Hi {first_name.__class__}, {when}",
            "This text cannot use {first_name.__class__}. It can use {clinic_name}, "
            "{clinic_phone}, {day}, {first_name}, {manage_url}, {time}, {when}.",
        ),
        (MessageKind.REMINDER_48H, "Hi {first_name, {when}", None),
        (
            MessageKind.REMINDER_48H,
            "Hi {first_name:>200} {when}",
            "Placeholders take no formatting: write them as {first_name}.",
        ),
        (MessageKind.CONFIRMATION, "Booked {when}: {manage_url}", None),
        (MessageKind.WAITLIST_OFFER, "A time is free: {when}. Reply Y.", None),
        (MessageKind.REMINDER_48H, "   ", "Write the text, or reset it to the built-in one."),
        (MessageKind.REMINDER_48H, "{when} " + "x" * 480, "Use at most 480 characters."),
    ],
)
def test_wording_with_a_health_word_or_a_wrong_placeholder_is_refused(
    db: Database, kind: MessageKind, body: str, message: str | None
) -> None:
    fields = refused(
        db,
        lambda s: save_wording(s, kind, body, staff_id=None, now=MONDAY_8AM),
        MessageTemplate,
    )
    assert list(fields) == ["body"]
    if message:
        assert message in fields["body"], fields["body"]


def test_required_parts_are_named_when_left_out() -> None:
    assert wording_errors(MessageKind.CONFIRMATION, "Booked {when}: {manage_url}") == [
        "Keep the word STOP so patients know how to stop texts."
    ]
    assert wording_errors(MessageKind.WAITLIST_OFFER, "A time is free: {when}.") == [
        "Keep {expires} in this text."
    ]


def test_the_preview_counts_segments_of_a_sample_and_warns_above_one(settings: Settings) -> None:
    sample = sample_context(settings, MONDAY_8AM)
    short = preview(MessageKind.REMINDER_48H, OWN_REMINDER, sample)
    assert (short.segments, short.encoding, short.over_one_segment) == (1, "GSM-7", False)
    assert short.text.startswith("Alexandra, Clearwater Clinic expects you Tue 10 Mar at 10:15")
    long = preview(MessageKind.REMINDER_48H, OWN_REMINDER + " Parking is free." * 6, sample)
    assert (long.segments, long.over_one_segment) == (2, True)
    curly = preview(MessageKind.REMINDER_48H, OWN_REMINDER + " \u2019", sample)  # curly quote
    assert curly.encoding == "UCS-2" and curly.segments == 2
    built_in = preview(MessageKind.REMINDER_48H, "", sample)
    assert built_in.text.startswith("Hi Alexandra, a reminder of your visit")
