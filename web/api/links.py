"""OpenAPI links: how a client goes from a new booking's answer to the patient's own operations."""

from __future__ import annotations

from typing import Any

TOKEN = "$response.body#/manage_token"


def _ref(path: str, method: str) -> str:
    """A JSON pointer to the operation ``method`` on ``path`` in this document."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    return {
        "operationRef": _ref(f"/api/v1/bookings/{{token}}{path}", method),
        "parameters": {"token": TOKEN, **parameters},
        "description": description,
    }


_VISIT = "$response.body#/appointment/id"

BOOKING_LINKS: dict[str, Any] = {
    "GetBooking": _link("", "get", "The patient's visits and texts, through the new link."),
    "CancelVisit": _link(
        "/appointments/{appointment_id}/cancel",
        "post",
        "Cancel the visit just booked.",
        appointment_id=_VISIT,
    ),
    "RescheduleVisit": _link(
        "/appointments/{appointment_id}/reschedule",
        "post",
        "Move the visit just booked.",
        appointment_id=_VISIT,
    ),
    "VisitAlternatives": _link(
        "/appointments/{appointment_id}/alternatives",
        "get",
        "Times the visit just booked could move to.",
        appointment_id=_VISIT,
    ),
    "Waitlist": _link("/waitlist", "get", "The patient's places on the waitlist."),
}

COURSE_LINKS: dict[str, Any] = {
    "GetBooking": BOOKING_LINKS["GetBooking"],
    "PatientCourses": _link("/courses", "get", "The patient's courses and their plans."),
    "Waitlist": BOOKING_LINKS["Waitlist"],
}


def created(links: dict[str, Any]) -> dict[str, Any]:
    """The ``doc`` keywords adding ``links`` to an operation's 201 answer."""
    return {"responses": {"201": {"links": links}}}
