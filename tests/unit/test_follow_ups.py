"""The follow-up rule, the task names, and that workers and beat use exactly those names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery import Celery

from scheduler.config import PROJECT_ROOT
from scheduler.follow_ups import (
    FollowUp,
    FreedTime,
    Task,
    after_visit_completed,
    after_visit_missed,
    fill_unplaced_visits,
    offer_freed_time,
    what_follows,
)
from scheduler.models import Appointment, AppointmentStatus

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LATER = FreedTime(3, NOW + timedelta(days=2))


def visit(status: AppointmentStatus, course_id: int | None = None) -> Appointment:
    return Appointment(id=7, status=status, course_id=course_id, practitioner_id=3)


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_LATE])
def test_a_cancelled_course_visit_is_replaced_and_its_time_offered(
    status: AppointmentStatus,
) -> None:
    follow_ups = what_follows(visit(status, course_id=1), NOW, LATER)
    assert follow_ups == (after_visit_missed(7), offer_freed_time(LATER))


def test_a_cancelled_single_visit_only_offers_its_time() -> None:
    assert what_follows(visit(AppointmentStatus.CANCELLED), NOW, LATER) == (
        offer_freed_time(LATER),
    )


def test_a_time_already_past_is_not_offered() -> None:
    gone = FreedTime(3, NOW - timedelta(minutes=20))
    assert what_follows(visit(AppointmentStatus.NO_SHOW, course_id=1), NOW, gone) == (
        after_visit_missed(7),
    )
    assert what_follows(visit(AppointmentStatus.NO_SHOW), NOW, gone) == ()


def test_a_completed_course_visit_books_the_next_day_and_a_single_one_nothing() -> None:
    completed = AppointmentStatus.COMPLETED
    assert what_follows(visit(completed, course_id=1), NOW) == (after_visit_completed(7),)
    assert what_follows(visit(completed), NOW) == ()


def test_a_moved_course_visit_only_offers_the_time_it_left() -> None:
    moved = visit(AppointmentStatus.BOOKED, course_id=1)
    assert what_follows(moved, NOW, LATER) == (offer_freed_time(LATER),)


def test_arrival_asks_for_nothing() -> None:
    assert what_follows(visit(AppointmentStatus.ARRIVED, course_id=1), NOW) == ()


def test_follow_ups_carry_what_the_tasks_take_as_json() -> None:
    made = [offer_freed_time(LATER), after_visit_missed(7), fill_unplaced_visits(2)]
    sent = json.loads(json.dumps([[f.task.value, list(f.args)] for f in made]))
    assert sent == [
        ["clinic.offer_freed_time", [3, "2026-03-04T08:00:00+00:00"]],
        ["clinic.after_visit_missed", [7]],
        ["clinic.fill_unplaced_visits", [2]],
    ]
    assert datetime.fromisoformat(sent[0][1][1]) == LATER.start
    assert after_visit_completed(7) == FollowUp(Task.AFTER_VISIT_COMPLETED, (7,))


def test_every_task_name_is_a_worker_task_and_every_worker_task_is_named_there() -> None:
    import workers.tasks  # noqa: F401  (registers the shared tasks)

    probe = Celery("probe", set_as_current=False)
    registered = {name for name in probe.tasks if not name.startswith("celery.")}
    assert registered == {task.value for task in Task}


def test_beat_starts_only_named_tasks(tmp_path: Path) -> None:
    """In a fresh interpreter, as importing the Celery app reads the environment."""
    probe = (
        "import json\n"
        "from workers.celery_app import app\n"
        "print(json.dumps(sorted(e['task'] for e in app.conf.beat_schedule.values())))\n"
    )
    env = {
        **os.environ,
        "APP_ENV": "test",
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never connected to: the app is only built
        "INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    started = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(started) == 10
    assert set(started) <= {task.value for task in Task}
