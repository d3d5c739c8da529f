"""The staff calendar's pages: the day or week view, and today's list for the front desk."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import render_template, request
from werkzeug.datastructures import MultiDict

from scheduler.calendar.availability import to_minutes
from scheduler.calendar.day_overview import long_day, patient_phones, readable_phone
from scheduler.calendar.read_model import CalendarVisit, VisitAction, visits_between
from scheduler.models import AppointmentStatus, StaffUser
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.alerts import safety_alert_queue
from web.staff.auth import staff_required
from web.staff.calendar.blueprint import bp, read_field, read_ids, scope, signed_in
from web.staff.calendar.choices import load_choices
from web.staff.calendar.columns import calendar_words, column_kind, columns_for, week_start
from web.staff.calendar.input import day_of, days_shown, local_bounds
from web.staff.calendar.presentation import (
    ACTION_LABELS,
    STATUS_LABELS,
    permitted_actions,
    wall_time,
)

VIEWS = {"week": "timeGridWeek", "day": "timeGridDay"}
Row = tuple[CalendarVisit, tuple[VisitAction, ...]]


@bp.get("/calendar")
@staff_required()
def calendar_page() -> Any:
    """The week (or day, ``view=day``) around ``date`` for one practitioner or room, or for
    everyone; FullCalendar where JavaScript runs, a list with a form per action where not.

    :raise 403: if a practitioner asks for another's calendar or a room's.
    """
    view = request.args.get("view", "week")
    view_error = None
    if view not in VIEWS:
        view, view_error = "week", "Choose the day or the week view."
    context, status = _listing(view)
    if view_error:
        context["errors"]["view"] = view_error
        status = 400
    context.update(_calendar_extras(view, context))
    status = 400 if context["errors"] else status
    return render_template("staff/calendar.html", **context), status


@bp.get("/today")
@staff_required()
def today() -> Any:
    """Today's visits in time order (one practitioner's with ``practitioner_id``; a
    practitioner sees their own; only those in ``status`` when given), each name linking to
    the record, with the phone for those who may see it and one-click buttons for what
    happens at each."""
    context, status = _listing("day")
    wanted_status = _status_filter(request.args.get("status"), context["errors"])
    rows = context["days"].get(context["day"], [])
    if wanted_status is not None:
        rows = [row for row in rows if row[0].status == wanted_status]
    phones = _phones(context["staff"], rows)
    context.update(rows=rows, wanted_status=wanted_status, phones=phones, spaced=readable_phone)
    context["day_heading"] = long_day(context["day"], settings().clinic_locale)
    with db().session() as session:
        context["alert_queue"] = safety_alert_queue(session, context["staff"])
    return render_template("staff/today.html", **context), (400 if context["errors"] else status)


def _status_filter(raw: str | None, errors: dict[str, str]) -> AppointmentStatus | None:
    """The status Today is narrowed to (None: every status), with a message for a bad one."""
    if not raw:
        return None
    try:
        return AppointmentStatus(raw)
    except ValueError:
        errors["status"] = "Choose a status from the list, or show every visit."
        return None


def _phones(user: StaffUser, rows: list[Row]) -> dict[int, str]:
    """The mobile numbers the policy lets this staff member see, by patient id."""
    may = Permissions.of(user)
    shown = {v.patient_id for v, _ in rows if may.see_phone({v.practitioner_id})}
    with db().session() as session:
        return patient_phones(session, shown)


def _calendar_extras(view: str, context: dict[str, Any]) -> dict[str, Any]:
    """What the calendar page adds to the listing: FullCalendar's view, paging, every day."""
    step = timedelta(days=1 if view == "day" else 7)
    first, last = context["first"], context["last"]
    kind = column_kind(request.args.get("columns"), context["errors"])
    return {
        "column_kind": kind,
        "columns": columns_for(
            view,
            kind,
            context["wanted"],
            context["choices"],
            (v for v, _ in context["days"].get(context["day"], [])),
        ),
        # A free time offers a new booking only to those who may make one.
        "new_booking_url": (
            request.script_root + "/staff/bookings/new"
            if Permissions.of(signed_in()).book_for_patients()
            else ""
        ),
        **calendar_words(first, last, settings().clinic_locale),
        "fc_view": VIEWS[view],
        "all_days": [first + timedelta(days=n) for n in range((last - first).days + 1)],
        "earlier": first - step,
        "later": first + step,
        "visit_base": request.script_root + (bp.url_prefix or "") + "/visits/",
        "now_local": wall_time(context["now"], context["zone"]),
    }


def _filters(args: MultiDict[str, str], today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The day and the practitioner or room asked for, and a message for each bad one."""
    errors: dict[str, str] = {}
    day = read_field(errors, "date", lambda: day_of(args.get("date"), today), today)
    practitioner_id, room_id = read_ids(errors, args)
    return {"day": day, "practitioner_id": practitioner_id, "room_id": room_id}, errors


def _listing(view: str) -> tuple[dict[str, Any], int]:
    """What the calendar page and today's list share: the filters read, checked, and the
    visits of the days shown."""
    user, zone, now = signed_in(), settings().zone, clock().now()
    today = now.astimezone(zone).date()
    asked, errors = _filters(request.args, today)
    wanted = scope(user, asked["practitioner_id"], asked["room_id"])
    first, last = days_shown(asked["day"], view, week_start(settings().clinic_locale))
    cancelled = request.args.get("cancelled") == "1"
    with db().session() as session:
        choices = load_choices(session)
        choices.checked(wanted, errors)
        bounds = local_bounds(first, last, zone)
        visits = visits_between(
            session, bounds.start, bounds.end, include_cancelled=cancelled, **wanted
        )
    context = dict(
        staff=user, zone=zone, now=now, day=asked["day"], today=today, view=view,
        first=first, last=last, wanted=wanted, choices=choices, errors=errors,
        cancelled=cancelled, here=request.full_path.rstrip("?"),
        days=_by_day(_rows(user, visits, now), first, last),
        status_labels=STATUS_LABELS, action_labels=ACTION_LABELS,
    )  # fmt: skip
    return context, (400 if errors else 200)


def _rows(user: StaffUser, visits: list[CalendarVisit], now: datetime) -> list[Row]:
    now_min, may = to_minutes(now), Permissions.of(user)
    return [(v, permitted_actions(may, v, now_min)) for v in visits]


def _by_day(rows: list[Row], first: date, last: date) -> dict[date, list[Row]]:
    zone = settings().zone
    days: dict[date, list[Row]] = {}
    for row in rows:
        day = row[0].starts_at.astimezone(zone).date()
        if first <= day <= last:
            days.setdefault(day, []).append(row)
    return days
