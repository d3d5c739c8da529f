"""Types for flask-smorest, which ships none: its ``abort`` (webargs') never returns."""

from typing import Any

from webargs.flaskparser import abort as abort

def __getattr__(name: str) -> Any: ...
