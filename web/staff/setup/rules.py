"""Set-up page for the clinic's calendar rules and its reminder plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy.orm import Session

from scheduler.setup.rules import (
    CHANNEL_CHOICES,
    GRIDS,
    PLAN_FIELDS,
    RULE_FIELDS,
    CalendarRulesInput,
    ReminderPlanInput,
    channel_field,
    current_channels,
    current_rules,
    save_calendar_rules,
    save_reminder_plan,
)
from web.context import db
from web.staff.setup.base import admin_only, attempt, bp, done, field, page, text_values


def _page(errors: dict[str, list[str]] | None = None) -> Any:
    with db().session() as session:
        values = text_values(current_rules(session)) | current_channels(session)
    if errors:
        values.update(request.form.to_dict())
    return page(
        "rules.html",
        422 if errors else 200,
        values=values,
        errors=errors or {},
        grids=[(str(g), f"{g} minutes") for g in GRIDS],
        channels=[
            (channel_field(kind), kind, [(route.value, words) for route, words in choices])
            for kind, choices in CHANNEL_CHOICES.items()
        ],
    )


def _save(work: Callable[[Session], object], message: str) -> Any:
    _, errors = attempt(work)
    return _page(errors) if errors else done(message, "setup.rules")


@bp.get("/rules")
@admin_only
def rules() -> Any:
    """The calendar rules and the reminder plan, each its own form."""
    return _page()


@bp.post("/rules/calendar")
@admin_only
def calendar_rules() -> Any:
    """Save the calendar rules (grid, notice, horizons, late cancellation, waitlist hold)."""
    data = CalendarRulesInput(**{name: field(name) for name in RULE_FIELDS})
    return _save(lambda s: save_calendar_rules(s, data), "Calendar rules saved.")


@bp.post("/rules/reminders")
@admin_only
def reminder_plan() -> Any:
    """Save the reminder plan and each kind's channel; messages planned from now on follow it."""
    channels = {
        kind.value: request.form[channel_field(kind)]
        for kind in CHANNEL_CHOICES
        if channel_field(kind) in request.form
    }
    data = ReminderPlanInput(**{name: field(name) for name in PLAN_FIELDS}, channels=channels)
    return _save(
        lambda s: save_reminder_plan(s, data),
        "Reminder plan saved. Messages already planned keep their times and channels.",
    )
