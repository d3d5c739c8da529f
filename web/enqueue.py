"""Handing follow-up work to the workers after a request's transaction has committed.

Tasks are sent by name, so the web layer needs no worker code. If Redis cannot be reached the
request still succeeds: the workers' periodic sweeps find the same work in the database.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from flask import current_app

from ops.embedded_redis import resolve_redis_url
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


def enqueue(task: str, *args: Any) -> bool:
    """Send ``task`` to the workers; False (logged) when the broker cannot be reached."""
    try:
        _client().send_task(task, args=list(args), queue="clinic", retry=False)
    except Exception as exc:  # any broker failure: the sweep will catch up
        log.warning("could not enqueue %s: %s", task, type(exc).__name__)
        return False
    return True
