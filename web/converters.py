"""URL converters: ids in paths are positive 32-bit integers, else the route does not match."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter
from werkzeug.routing.map import Map


class IdConverter(IntegerConverter):
    """``<id:appointment_id>``: 1 to 2**31 - 1 (a larger number is a 404, not a crash)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)
