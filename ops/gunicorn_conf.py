"""gunicorn's settings for the web app: an access log (to stdout) that never holds a token.

Used by every way the web app is served (``gunicorn --config python:ops.gunicorn_conf``):
docker-compose, the Dockerfile, the Procfile, ``make run`` and the end-to-end test. Where to
listen and how many workers stay on each command line.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from scheduler.redaction import RedactTokens


class RedactingLogger(Logger):
    """gunicorn's logger, with personal tokens (``/m/<token>``, ``/api/v1/bookings/<token>``,
    ``/feeds/<token>.ics``) masked in every access and error line, whatever the format."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactTokens) for f in log.filters):
                log.addFilter(RedactTokens())


logger_class = RedactingLogger
accesslog = "-"
# The combined format: who, when, the request line, status, size, referrer and browser.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
