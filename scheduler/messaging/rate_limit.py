"""A token bucket in Redis shared by every worker on every machine: the clinic's send rate."""

from __future__ import annotations

import time
from typing import Any

# Refill by elapsed time, then take up to `wanted` whole tokens. Atomic inside Redis.
# Returns {granted, milliseconds until the next token} (the wait is 0 when all were granted).
TAKE = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < wanted then
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 60000)
return {granted, wait}
"""


class TokenBucket:
    """``rate`` sends a second on average, at most ``burst`` at once, across all processes."""

    def __init__(self, redis: Any, key: str, rate: float, burst: float | None = None) -> None:
        self._redis = redis
        self._key = key
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._take = redis.register_script(TAKE)

    def take_many(self, wanted: int) -> tuple[int, float]:
        """Take up to ``wanted`` tokens: (how many were granted, seconds until the next one)."""
        # Redis's clock, not this machine's: every worker must agree on the time.
        seconds, micros = self._redis.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        granted, wait_ms = self._take(
            keys=[self._key], args=[self.rate, self.burst, now_ms, wanted]
        )
        return int(granted), int(wait_ms) / 1000.0

    def take(self) -> float:
        """Take one token: 0.0 if granted, else the seconds to wait before asking again."""
        granted, wait = self.take_many(1)
        return 0.0 if granted else wait

    def wait_for_token(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a token; False if none came in time."""
        deadline = time.monotonic() + timeout
        while True:
            wait = self.take()
            if wait == 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)
