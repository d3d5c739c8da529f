"""The real worker and beat at INFO, as `make run` starts them: routine periodic runs (beat
ticks, dispatches claiming nothing, heartbeats) say nothing, while a sent text is still logged;
at DEBUG the routine lines come back."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_lib

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.health import read_heartbeat
from scheduler.messaging.sms.base import OutgoingSms
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.factories import book, demo_clinic
from tests.support.processes import ManagedProcess, celery_beat, celery_worker, wait_until
from tests.support.stack import next_weekday_at, process_env
from workers.celery_app import create_celery

PATIENT = "+447700900123"
ROUTINE = ("dispatch_due_messages", "dispatch-due-messages", "heartbeat", "Sending due task")


@pytest.fixture
def backend() -> str:
    """Logging is the same on both databases."""
    return "sqlite"


def test_at_info_the_periodic_runs_say_nothing_and_a_sent_text_is_logged(
    db: Database,
    settings: Settings,
    database_url: str,
    redis_url: str,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
    processes: list[ManagedProcess],
) -> None:
    demo_clinic(db)
    env = process_env(database_url, redis_url, tmp_path / "instance", None)
    processes.append(worker := celery_worker(env, tmp_path))
    processes.append(beat := celery_beat(env, tmp_path))
    wait_until(
        lambda: read_heartbeat(redis_client, datetime.now(UTC)).status == "ok", 30, 0.2, "beat"
    )
    book(db, settings, datetime.now(UTC), next_weekday_at(10))
    wait_until(lambda: " SMS CO" in worker.log(), 30, 0.2, "the confirmation's log line")
    time.sleep(2)  # a few more ticks of dispatch (0.5 s) and heartbeat (1 s) go by
    text = [line for line in worker.log().splitlines() if " SMS CO" in line]
    assert len(text) == 1 and "INFO" in text[0] and "to +44" in text[0]
    logged = [line for line in (worker.log() + beat.log()).splitlines() if "INFO/" in line]
    assert logged  # start-up lines ("celery@... ready.", "beat: Starting...")
    for line in logged:
        assert not any(word in line for word in ROUTINE), line


def test_at_debug_celerys_lines_about_periodic_runs_are_kept(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    create_celery(settings)
    trace, beat = logging.getLogger("celery.app.trace"), logging.getLogger("celery.beat")
    run = {"name": "clinic.heartbeat", "id": "1", "runtime": 0.01, "return_value": None}
    with caplog.at_level(logging.INFO):
        trace.info("Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s", run)
        beat.info("Scheduler: Sending due task %s (%s)", "worker-heartbeat", "clinic.heartbeat")
        trace.info("Task %(name)s[%(id)s] received", {"name": "clinic.send_messages", "id": "2"})
        trace.error("Task %(name)s[%(id)s] raised", {"name": "clinic.heartbeat", "id": "3"})
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "Task clinic.send_messages[2] received"),
        ("ERROR", "Task clinic.heartbeat[3] raised"),
    ]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        beat.info("Scheduler: Sending due task %s (%s)", "worker-heartbeat", "clinic.heartbeat")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("DEBUG", "Scheduler: Sending due task worker-heartbeat (clinic.heartbeat)")
    ]


def test_the_workers_log_no_line_of_the_twilio_librarys_requests_or_the_number_texted(
    settings: Settings, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = TwilioGateway(twilio_settings(fake_twilio))
    library = logging.getLogger("twilio.http_client")
    library.setLevel(logging.NOTSET)  # as a process starts, before any Celery app is made
    with caplog.at_level(logging.INFO):
        # The gateway's own HTTP client writes no line a request, even before the worker's
        # logging is set up (the library's would: "Twilio API Request", with the number).
        gateway.send(OutgoingSms(PATIENT, "Hello"))
        assert not any(PATIENT in r.getMessage() for r in caplog.records)
        assert not any("Twilio API Request" in r.getMessage() for r in caplog.records)
        caplog.clear()
        create_celery(settings)
        library.info("Twilio API Request: the line the library's own client would write")
        gateway.send(OutgoingSms(PATIENT, "Hello again"))
        library.warning("a warning still shows")
    assert [r.getMessage() for r in caplog.records] == ["a warning still shows"]
    assert len(fake_twilio.messages) == 2
