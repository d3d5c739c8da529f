"""Setting the clinic's calendar rules and its reminder plan (the one ``clinic_rules`` row)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

from sqlalchemy.orm import Session

from scheduler.calendar.availability import BookingPolicy
from scheduler.field_errors import FieldErrors
from scheduler.messaging.email_plans import DEFAULT_ROUTES, Route, load_routes
from scheduler.messaging.timing import ReminderPlan
from scheduler.models import ClinicRules, MessageKind
from scheduler.models.clinic import keep_rules

GRIDS = (5, 10, 15, 20, 30, 60)
_POLICY, _PLAN = BookingPolicy(), ReminderPlan()
DEFAULTS: dict[str, int] = {
    "grid_minutes": _POLICY.grid_minutes,
    "minimum_notice_minutes": int(_POLICY.minimum_notice.total_seconds() // 60),
    "horizon_days": _POLICY.horizon.days,
    "course_horizon_days": _POLICY.course_horizon.days,
    "late_cancellation_hours": int(_POLICY.late_cancellation.total_seconds() // 3600),
    "waitlist_hold_minutes": int(_POLICY.waitlist_hold.total_seconds() // 60),
    "reminder_hours_before": int(_PLAN.reminder_before.total_seconds() // 3600),
    "short_reminder_hours_before": int(_PLAN.short_reminder_before.total_seconds() // 3600),
    "aftercare_hour": _PLAN.aftercare_at.hour,
    "maintenance_notice_days": _PLAN.maintenance_notice.days,
    "link_grace_days": 90,
}


@dataclass(frozen=True)
class CalendarRulesInput:
    """The calendar rules as typed into the form (numbers may still be text)."""

    grid_minutes: str | int
    minimum_notice_minutes: str | int
    horizon_days: str | int
    course_horizon_days: str | int
    late_cancellation_hours: str | int
    waitlist_hold_minutes: str | int


@dataclass(frozen=True)
class ReminderPlanInput:
    """The reminder plan as typed into the form, with the channel chosen for each kind of
    visit message (by kind value, e.g. ``{"confirmation": "both"}``; a kind left out keeps
    its channel)."""

    reminder_hours_before: str | int
    short_reminder_hours_before: str | int
    aftercare_hour: str | int
    maintenance_notice_days: str | int
    link_grace_days: str | int
    channels: Mapping[str, str] = field(default_factory=dict)


# The channels offered for each kind of visit message, in the form's words.
ROUTE_WORDS = {Route.SMS: "Text", Route.EMAIL: "Email", Route.BOTH: "Text and email"}
CHANNEL_CHOICES: dict[MessageKind, tuple[tuple[Route, str], ...]] = {
    kind: tuple(ROUTE_WORDS.items()) for kind in DEFAULT_ROUTES
}


def channel_field(kind: MessageKind) -> str:
    """The form field holding the channel of ``kind``."""
    return f"channel_{kind.value}"


def current_rules(session: Session) -> dict[str, int]:
    """Every rule's value now (the defaults where nothing is stored)."""
    row = session.get(ClinicRules, 1)
    if row is None:
        return dict(DEFAULTS)
    return {name: int(getattr(row, name)) for name in DEFAULTS}


def current_channels(session: Session) -> dict[str, str]:
    """The channel of each kind of visit message now, by form field (the defaults where
    nothing is stored)."""
    return {channel_field(kind): route.value for kind, route in load_routes(session).items()}


def _channels(errors: FieldErrors, typed: Mapping[str, str]) -> dict[str, str]:
    """The chosen channels by kind value; a value not offered for its kind is refused."""
    chosen: dict[str, str] = {}
    for kind, choices in CHANNEL_CHOICES.items():
        value = typed.get(kind.value)
        if value is None:
            continue
        if value not in {route.value for route, _ in choices}:
            words = " or ".join(f'"{label}"' for _, label in choices)
            errors.add(channel_field(kind), f"Choose {words}.")
        else:
            chosen[kind.value] = value
    unknown = sorted(set(typed) - {kind.value for kind in CHANNEL_CHOICES})
    if unknown:
        errors.add("channels", f"These messages have no channel to choose: {', '.join(unknown)}.")
    return chosen


def _store(session: Session, values: dict[str, int]) -> ClinicRules:
    row = session.get(ClinicRules, 1)
    if row is None:
        row = ClinicRules(id=1, **DEFAULTS)
        keep_rules(session, row)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row


def save_calendar_rules(session: Session, data: CalendarRulesInput) -> ClinicRules:
    """Set the slot grid, minimum notice, booking horizons, late-cancellation hours and
    waitlist hold. Visits already booked are left as they are.

    :raise ValidationFailed: for each value out of range (and a course horizon shorter than
        the single-visit one); nothing is changed.
    """
    errors = FieldErrors()
    values = _whole_numbers(errors, data)
    if (
        not {"horizon_days", "course_horizon_days"} & errors.fields.keys()
        and values["course_horizon_days"] < values["horizon_days"]
    ):
        errors.add(
            "course_horizon_days",
            f"Course plans must reach at least as far as single bookings "
            f"({values['horizon_days']} days).",
        )
    errors.raise_if_any()
    return _store(session, values)


def save_reminder_plan(session: Session, data: ReminderPlanInput) -> ClinicRules:
    """Set when reminders, after-care and maintenance nudges go, how long a patient's link
    lasts, and which channel each kind of visit message goes by (``ClinicRules
    .message_channels``). Messages already planned keep their times and channels; messages
    planned from now on follow it.

    :raise ValidationFailed: for each value out of range, a short reminder not shorter than
        the first one, an after-care hour in quiet hours, or a channel not offered for its
        kind; nothing is changed.
    """
    errors = FieldErrors()
    values = _whole_numbers(errors, data)
    channels = _channels(errors, data.channels)
    if (
        not {"reminder_hours_before", "short_reminder_hours_before"} & errors.fields.keys()
        and values["short_reminder_hours_before"] >= values["reminder_hours_before"]
    ):
        errors.add(
            "short_reminder_hours_before",
            "The short reminder must come after the first one (fewer hours before the visit).",
        )
    errors.raise_if_any()
    row = _store(session, values)
    if channels:
        row.message_channels = {**(row.message_channels or {}), **channels}
        session.flush()
    return row


def _check_grid(errors: FieldErrors, grid: int) -> None:
    if grid not in GRIDS:
        errors.add("grid_minutes", "Choose 5, 10, 15, 20, 30 or 60 minutes.")


def _check_aftercare_hour(errors: FieldErrors, hour: int) -> None:
    if not 8 <= hour <= 19:
        errors.add(
            "aftercare_hour", "Texts go between 08:00 and 20:00: choose an hour from 8 to 19."
        )


# Each rule's range, and the rules with a check of their own once they are in range.
RANGES: dict[str, tuple[int, int]] = {
    "grid_minutes": (5, 60),
    "minimum_notice_minutes": (0, 7 * 24 * 60),
    "horizon_days": (1, 730),
    "course_horizon_days": (1, 730),
    "late_cancellation_hours": (0, 168),
    "waitlist_hold_minutes": (5, 24 * 60),
    "reminder_hours_before": (1, 14 * 24),
    "short_reminder_hours_before": (1, 24),
    "aftercare_hour": (0, 23),
    "maintenance_notice_days": (1, 21),
    "link_grace_days": (1, 365),
}
CHECKS: dict[str, Callable[[FieldErrors, int], None]] = {
    "grid_minutes": _check_grid,
    "aftercare_hour": _check_aftercare_hour,
}


def _whole_numbers(
    errors: FieldErrors, data: CalendarRulesInput | ReminderPlanInput
) -> dict[str, int]:
    """Each field of the form as a whole number in its range, then its own check, in order."""
    values: dict[str, int] = {}
    for name in RULE_FIELDS if isinstance(data, CalendarRulesInput) else PLAN_FIELDS:
        values[name] = errors.whole_number(name, getattr(data, name), *RANGES[name])
        if name in CHECKS and name not in errors:
            CHECKS[name](errors, values[name])
    return values


RULE_FIELDS = tuple(f.name for f in fields(CalendarRulesInput))
PLAN_FIELDS = tuple(f.name for f in fields(ReminderPlanInput) if f.name != "channels")
