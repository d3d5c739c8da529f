"""The real Celery worker and beat on Redis: dispatch, send once, cancellations, heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.health import read_heartbeat
from scheduler.models import MessageKind, MessageStatus, OutboundMessage
from scheduler.visits.cancellation import cancel_visit
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.factories import book, demo_clinic
from tests.support.processes import ManagedProcess, celery_beat, celery_worker, wait_until
from tests.support.stack import next_weekday_at, process_env, task_client


@pytest.fixture
def env(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    fake_twilio: FakeTwilio,
    redis_client: redis_lib.Redis,
) -> dict[str, str]:
    return process_env(database_url, redis_url, tmp_path / "instance", fake_twilio)


def message_statuses(db: Database, appointment_id: int) -> dict[MessageKind, MessageStatus]:
    with db.session() as session:
        return dict(
            session.execute(
                select(OutboundMessage.kind, OutboundMessage.status).where(
                    OutboundMessage.appointment_id == appointment_id
                )
            ).all()
        )


def test_beat_and_worker_send_a_confirmation_once_and_nothing_for_a_cancelled_visit(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    tmp_path: Path,
    fake_twilio: FakeTwilio,
    processes: list[ManagedProcess],
    redis_client: redis_lib.Redis,
) -> None:
    demo_clinic(db)
    now = datetime.now(UTC)
    kept = book(db, settings, now, next_weekday_at(10))
    dropped = book(db, settings, now, next_weekday_at(11), phone="+447400123457")
    with db.transaction() as session:
        cancel_visit(session, dropped.appointment.id, now)

    processes.append(celery_worker(env, tmp_path))
    processes.append(celery_beat(env, tmp_path))

    wait_until(
        lambda: message_statuses(db, kept.appointment.id)[MessageKind.CONFIRMATION] == "sent",
        30,
        0.2,
        "the confirmation to be sent",
    )
    (sent,) = fake_twilio.messages
    assert sent["to"] == "+447400123456"
    assert message_statuses(db, kept.appointment.id)[MessageKind.REMINDER_48H] in (
        "pending",
        "sent",
    )
    assert set(message_statuses(db, dropped.appointment.id).values()) == {"cancelled"}
    wait_until(
        lambda: read_heartbeat(redis_client, datetime.now(UTC)).status == "ok", 15, 0.2, "beat"
    )
    assert "Traceback" not in processes[0].log()


def test_a_send_task_delivered_twice_sends_once(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    tmp_path: Path,
    fake_twilio: FakeTwilio,
    processes: list[ManagedProcess],
    redis_url: str,
) -> None:
    demo_clinic(db)
    result = book(db, settings, datetime.now(UTC), next_weekday_at(10))
    processes.append(celery_worker(env, tmp_path))
    client = task_client(redis_url)
    client.send_task("clinic.dispatch_due_messages", queue="clinic")
    wait_until(lambda: fake_twilio.messages, 30, 0.1, "the first send")
    with db.session() as session:
        confirmation = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.kind == MessageKind.CONFIRMATION)
        ).one()
    for _ in range(3):  # redeliveries, and a second dispatcher
        client.send_task("clinic.send_message", args=[confirmation], queue="clinic")
        client.send_task("clinic.dispatch_due_messages", queue="clinic")
    wait_until(
        lambda: processes[0].log().count("clinic.send_message") >= 8, 30, 0.2, "the redeliveries"
    )
    assert len(fake_twilio.messages) == 1
    assert message_statuses(db, result.appointment.id)[MessageKind.CONFIRMATION] == "sent"


def test_planning_tasks_run_twice_by_the_worker_change_nothing_the_second_time(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    tmp_path: Path,
    processes: list[ManagedProcess],
    redis_url: str,
) -> None:
    from scheduler.courses.booking import CourseRequest, book_course
    from scheduler.models import Appointment, CourseTemplate
    from tests.support.factories import booking_request

    demo_clinic(db)
    now = datetime.now(UTC)
    with db.session() as session:
        template = session.scalars(
            select(CourseTemplate.id).where(CourseTemplate.code == "migraine")
        ).one()
    request = CourseRequest(
        template_id=template,
        booking=booking_request(db, next_weekday_at(10), service_code="initial"),
    )
    with db.transaction() as session:
        course = book_course(session, request, settings=settings, now=now)
        third = course.appointments[2].id
    with db.transaction() as session:
        cancel_visit(session, third, now)
    processes.append(celery_worker(env, tmp_path))
    client = task_client(redis_url)

    def replacements() -> list[int]:
        with db.session() as session:
            return list(
                session.scalars(select(Appointment.id).where(Appointment.replaces_id == third))
            )

    client.send_task("clinic.after_visit_missed", args=[third], queue="clinic")
    wait_until(replacements, 30, 0.2, "the replacement")
    client.send_task("clinic.after_visit_missed", args=[third], queue="clinic")
    client.send_task("clinic.sweep_course_events", queue="clinic")
    wait_until(
        lambda: processes[0].log().count("clinic.after_visit_missed") >= 6, 30, 0.2, "reruns"
    )
    assert len(replacements()) == 1
    with db.session() as session:
        active = session.scalars(
            select(Appointment.id).where(Appointment.course_id == course.course.id)
        ).all()
    assert len(active) == 15  # 14 planned, one cancelled and one replacement
