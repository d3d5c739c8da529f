"""Flask extensions, created unbound and initialised by the factory."""

from __future__ import annotations

from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

api = Api()
csrf = CSRFProtect()
