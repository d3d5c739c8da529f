"""Flask extensions, created unbound and initialised by the factory."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

api = Api()
csrf = CSRFProtect()
# Limits on anonymous work, counted in Redis so every web process shares them.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
