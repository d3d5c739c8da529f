"""Reading the workers' queue in Redis: which tasks an entry point enqueued, with their args."""

from __future__ import annotations

import base64
import json
from typing import Any

import redis as redis_lib


def queued_tasks(redis_client: redis_lib.Redis) -> list[tuple[str, list[Any]]]:
    """The tasks waiting in the workers' queue, oldest first, as (name, args)."""
    found = []
    for raw in reversed(redis_client.lrange("clinic", 0, -1)):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found
