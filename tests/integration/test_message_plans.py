"""Texts beyond the booking: diary prompts, after-care, recalls; and the send-time limits."""

from __future__ import annotations

import threading
import time as clock_time
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.plans import plan_aftercare, plan_diary_prompts, plan_maintenance_due
from scheduler.messaging.rate_limit import TokenBucket
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_message
from scheduler.messaging.sms.console import ConsoleBackend
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from scheduler.visits.attendance import record_attendance
from tests.integration.test_courses import NOW, request_for
from tests.support.factories import book, demo_clinic


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def rows(db: Database, kind: MessageKind) -> list[OutboundMessage]:
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.kind == kind)
                .order_by(OutboundMessage.due_at)
            )
        )


def send_due(db: Database, clock: FrozenClock, policy: SendPolicy | None = None) -> list:  # type: ignore[type-arg]
    with db.transaction() as session:
        ids = claim_due(session, clock.now(), 100)
    return [send_outbound_message(db, i, ConsoleBackend(), clock, None, policy) for i in ids]


def test_diary_prompts_are_planned_once_a_day_at_the_patients_time(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        book_course(
            session, request_for(db, consent_diary_prompts=True), settings=settings, now=NOW
        )
    for _ in range(2):  # planning again adds nothing
        with db.transaction() as session:
            plan_diary_prompts(session, settings, NOW)
    prompts = rows(db, MessageKind.DIARY_PROMPT)
    assert [p.due_at for p in prompts] == [
        datetime(2026, 3, 1, 19, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 19, 0, tzinfo=UTC),
    ]
    assert prompts[0].body == (
        "Clearwater Clinic: How was today? Reply 0 if pain-free, or 1-10 for your worst pain."
    )


def test_a_diary_prompt_needs_the_diary_consent_at_send_time(
    db: Database, settings: Settings
) -> None:
    from scheduler.models import Consent, ConsentKind

    request = request_for(db, consent_diary_prompts=True)
    with db.transaction() as session:
        course = book_course(session, request, settings=settings, now=NOW)
        plan_diary_prompts(session, settings, NOW)
        session.add(  # withdrawn on the manage page after the prompts were planned
            Consent(
                patient_id=course.patient.id,
                kind=ConsentKind.DIARY_PROMPTS,
                granted=False,
                wording="withdrawn",
                channel="web",
                recorded_at=NOW,
            )
        )
    clock = FrozenClock(datetime(2026, 3, 1, 19, 0, tzinfo=UTC))
    outcomes = send_due(db, clock)
    assert SendOutcome.SKIPPED in outcomes
    prompt = rows(db, MessageKind.DIARY_PROMPT)[0]
    assert prompt.status == MessageStatus.SKIPPED
    assert "diary prompts" in (prompt.error_message or "")


def test_a_completed_dry_needling_visit_gets_after_care_the_next_morning(
    db: Database, settings: Settings
) -> None:
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    visit = book(db, settings, NOW, start, service_code="dry_needling").appointment
    with db.transaction() as session:
        completed = record_attendance(
            session, visit.id, AppointmentStatus.COMPLETED, start + timedelta(hours=1), settings
        ).visit
        assert plan_aftercare(session, completed, settings, NOW) is None  # planned once only
    (aftercare,) = rows(db, MessageKind.AFTERCARE)
    assert aftercare.due_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_a_message_due_in_quiet_hours_is_held_back_not_dropped(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        book_course(
            session, request_for(db, consent_diary_prompts=True), settings=settings, now=NOW
        )
        plan_diary_prompts(session, settings, NOW)
    late = FrozenClock(datetime(2026, 3, 1, 21, 30, tzinfo=UTC))  # a backlog, sent late
    assert SendOutcome.DEFERRED in send_due(db, late)
    prompt = rows(db, MessageKind.DIARY_PROMPT)[0]
    assert prompt.status == MessageStatus.PENDING
    assert prompt.due_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_the_daily_cap_makes_a_message_wait_for_tomorrow(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    book(db, settings, clock.now(), datetime(2026, 3, 4, 10, tzinfo=UTC))
    send_due(db, clock)  # the confirmation does not count: it answers the booking
    with db.transaction() as session:
        visit = session.scalars(select(Appointment)).one()
        for n in range(3):
            session.add(
                OutboundMessage(
                    patient_id=visit.patient_id,
                    kind=MessageKind.AFTERCARE,
                    dedupe_key=f"cap:{n}",
                    to_phone=visit.patient.phone_e164,
                    body="x",
                    due_at=clock.now(),
                    status=MessageStatus.PENDING,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    outcomes = send_due(db, clock, SendPolicy(daily_cap=2))
    assert sorted(outcomes) == sorted([SendOutcome.SENT] * 2 + [SendOutcome.DEFERRED])
    (waiting,) = [m for m in rows(db, MessageKind.AFTERCARE) if m.status == "pending"]
    assert waiting.due_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert waiting.error_message == "waiting: daily cap"


def test_the_maintenance_nudge_goes_a_week_before_the_window_when_nothing_is_booked(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        course = book_course(session, request_for(db), settings=settings, now=NOW)
        last_weekly = course.appointments[-2]
        for visit in course.appointments[:-1]:
            row = session.get_one(Appointment, visit.id)
            row.status = AppointmentStatus.COMPLETED
    window = last_weekly.starts_at + timedelta(weeks=4)
    before = window - timedelta(days=8)
    with db.transaction() as session:
        assert plan_maintenance_due(session, settings, before) == 0
    during = window - timedelta(days=6)
    for _ in range(2):
        with db.transaction() as session:
            plan_maintenance_due(session, settings, during)
    (nudge,) = rows(db, MessageKind.MAINTENANCE_DUE)
    assert "time to plan your next visit" in nudge.body


def test_the_send_rate_is_shared_by_every_client_of_one_redis(
    redis_client: redis_lib.Redis,
) -> None:
    buckets = [TokenBucket(redis_client, "clinic:test:rate", rate=20, burst=1) for _ in range(4)]
    granted: list[float] = []
    lock = threading.Lock()
    deadline = clock_time.monotonic() + 1.5

    def sender(bucket: TokenBucket) -> None:
        while clock_time.monotonic() < deadline:
            if bucket.take() == 0:
                with lock:
                    granted.append(clock_time.monotonic())
            else:
                clock_time.sleep(0.005)

    threads = [threading.Thread(target=sender, args=(b,)) for b in buckets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 a second for 1.5 s, plus the one token a full bucket starts with: never 4 x 20.
    assert 25 <= len(granted) <= 33
