"""Scheduling figures: free slots for eight weeks, and planning a migraine course."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bench.dataset import NOW, TODAY, ZONE
from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.config import Settings
from scheduler.courses.booking import CourseRequest, plan_for_request
from scheduler.db import Database
from scheduler.models import CourseTemplate, Service
from scheduler.visits.booking import BookingRequest, PatientDetails

RUNS = 21


def median_ms(run: Callable[[], object], runs: int = RUNS) -> float:
    gc.collect()  # start from a clean heap: building the data set leaves much garbage behind
    run()  # warm caches, as a running server would have them
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(db: Database, settings: Settings) -> dict[str, float]:
    with db.session() as session:
        acupuncture = session.scalars(select(Service).where(Service.code == "acupuncture")).one()
        initial = session.scalars(select(Service).where(Service.code == "initial")).one()
        migraine = session.scalars(
            select(CourseTemplate.id).where(CourseTemplate.code == "migraine")
        ).one()

    def availability() -> object:
        with db.session() as session:
            return free_slots(
                session,
                service_id=acupuncture.id,
                first_day=TODAY + timedelta(days=1),
                last_day=TODAY + timedelta(weeks=8),
                zone=ZONE,
                now=NOW,
            )

    slots = availability()
    with db.session() as session:
        first = free_slots(
            session,
            service_id=initial.id,
            first_day=TODAY + timedelta(days=2),
            last_day=TODAY + timedelta(days=9),
            zone=ZONE,
            now=NOW,
        )[0]
    request = CourseRequest(
        template_id=migraine,
        booking=BookingRequest(
            service_id=initial.id,
            practitioner_id=first.practitioner_ids[0],
            starts_at=from_minutes(first.start),
            patient=PatientDetails("Ana", "Silva", "+447400123456"),
            consent_reminders=True,
            consent_diary_prompts=False,
        ),
    )

    def course_plan() -> object:
        with db.session() as session:
            return plan_for_request(session, request, settings=settings, now=NOW)

    plan = course_plan()[3]  # type: ignore[index]
    return {
        "availability_8w_ms": median_ms(availability),
        "availability_8w_slots": float(len(slots)),  # type: ignore[arg-type]
        "course_plan_ms": median_ms(course_plan),
        "course_plan_visits": float(sum(1 for v in plan if v.placed)),
    }
