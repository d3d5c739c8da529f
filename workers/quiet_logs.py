"""Routine periodic work logged at DEBUG, and the twilio library's per-request lines off:
texts, bookings, alerts and errors stand out at INFO."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from scheduler.follow_ups import Task

# The twilio library logs every request and answer at INFO: about ten lines a send (the
# recipient's number among them in a lookup's query), each written by the worker.
TWILIO_REQUEST_LOGGER = "twilio.http_client"

# Celery's own lines about each run: beat sending it, the worker receiving it, its success.
CELERY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class QuietRoutine(logging.Filter):
    """Turns an INFO line that names one of ``routine`` (task or beat-entry names) into a DEBUG
    line: dropped unless its logger is enabled for DEBUG. Warnings and errors pass unchanged."""

    def __init__(self, routine: Iterable[str]) -> None:
        super().__init__()
        self.routine = frozenset(routine)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not self._names_routine(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _names_routine(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict):  # "Task %(name)s[%(id)s] received" and "... succeeded"
            return args.get("name") in self.routine
        return any(isinstance(a, str) and a in self.routine for a in args or ())


def quiet_routine_runs(periodic: Iterable[tuple[str, Task]]) -> None:
    """Put each periodic run's (beat entry, task) lines at DEBUG in Celery's loggers; once."""
    names = {name for entry, task in periodic for name in (entry, task.value)}
    for name in CELERY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietRoutine) for f in logger.filters):
            logger.addFilter(QuietRoutine(names))


def quiet_provider_requests() -> None:
    """Keep the twilio library's request and response lines out of the logs (its warnings and
    errors still show): they cost a worker time on every send and repeat what the outbox keeps."""
    logging.getLogger(TWILIO_REQUEST_LOGGER).setLevel(logging.WARNING)
