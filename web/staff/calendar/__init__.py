"""The staff calendar: day and week views per practitioner or room, today's list for the front
desk, the events feed for FullCalendar, moving visits and recording what happened at them.

Admins and the front desk see every calendar; a practitioner sees only their own (asking for
another's, or for a room's, is a 403). Every action asks the permission policy again on the
server. The JSON endpoints under ``/staff/calendar/events`` answer errors as
``{"code", "status", "message"}``; POSTs there need the CSRF token in ``X-CSRFToken``.
Without JavaScript the same pages are server-rendered lists with a form per action.
"""

from web.staff.calendar import actions, feed, move_form, pages, preview  # noqa: F401  (routes)
from web.staff.calendar.blueprint import bp

__all__ = ["bp"]
