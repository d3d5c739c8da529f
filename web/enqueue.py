"""Handing follow-up work to the workers after a request's transaction has committed.

Entry points pass on exactly the follow-ups their use case returned. Tasks are sent by name
(``scheduler.follow_ups.Task``), so the web layer needs no worker code. If Redis cannot be
reached the request still succeeds: the course sweep finds lost course follow-ups again in the
database, and a freed time whose offer was lost stays free for anyone to book.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import Celery
from flask import current_app

from ops.embedded_redis import resolve_redis_url
from scheduler.follow_ups import FollowUp
from web.context import settings

log = logging.getLogger("clinic.enqueue")


def _client() -> Celery:
    client = current_app.extensions.get("clinic.celery")
    if client is None:
        cfg = settings()
        client = Celery("clinic-web")
        client.conf.update(
            broker_url=resolve_redis_url(cfg.redis_url, cfg.instance_path),
            broker_connection_timeout=2,
            broker_connection_retry=False,
            broker_transport_options={"socket_timeout": 2, "socket_connect_timeout": 2},
        )
        current_app.extensions["clinic.celery"] = client
    return client


def enqueue_follow_ups(follow_ups: Iterable[FollowUp]) -> bool:
    """Send each follow-up a use case returned to the workers, after its commit; False (logged)
    when any could not reach the broker (the others are still sent)."""
    sent = [_send(follow_up) for follow_up in follow_ups]
    return all(sent)


def _send(follow_up: FollowUp) -> bool:
    task = follow_up.task.value
    try:
        _client().send_task(task, args=list(follow_up.args), queue="clinic", retry=False)
    except Exception as exc:  # any broker failure: the request has already committed
        log.warning("could not enqueue %s: %s", task, type(exc).__name__)
        return False
    return True
