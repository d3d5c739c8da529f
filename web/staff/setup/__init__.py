"""The clinic set-up pages of the staff console, under /staff/setup (admins only, except the
practitioner list with licence warnings, which any signed-in staff member may see)."""

from __future__ import annotations

from web.staff.setup import (
    accounts,
    clinic_details,
    courses,
    emergency_phrases,
    index,
    people,
    premises,
    rules,
    wording,
)
from web.staff.setup.base import bp

__all__ = [
    "accounts",
    "bp",
    "clinic_details",
    "courses",
    "emergency_phrases",
    "index",
    "people",
    "premises",
    "rules",
    "wording",
]
