"""Set-up pages for the wording of each kind of text: edit, preview with segments, reset."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from scheduler.messaging.texts import TEMPLATES
from scheduler.messaging.wording import (
    LABELS,
    REQUIRED,
    SUPPORTED,
    current_wording,
    editable_kind,
    preview,
    reset_wording,
    sample_context,
    save_wording,
    wording_errors,
    wording_overview,
)
from scheduler.models import MessageKind
from web.context import clock, db, settings
from web.staff.setup.base import admin_only, attempt, bp, field, page, user


@bp.get("/texts")
@admin_only
def texts() -> Any:
    """Every kind of text with the words in use now (the clinic's own or the built-in)."""
    with db().session() as session:
        return page("texts.html", lines=wording_overview(session))


@bp.route("/texts/<kind>", methods=["GET", "POST"])
@admin_only
def text(kind: str) -> Any:
    """Edit one kind of text. "Preview" shows a sample and its segments without saving;
    "Save" checks it (placeholders, health words) and keeps it.

    :raise 404: if there is no such kind of text.
    """
    found = editable_kind(kind)
    errors: dict[str, list[str]] = {}
    with db().session() as session:
        body, own = current_wording(session, found)
    if request.method == "POST":
        body = field("body")
        sent, errors = _preview_or_save(found, body)
        if sent is not None:
            return sent
    return _text_page(found, body, own=own, errors=errors)


def _preview_or_save(found: MessageKind, body: str) -> tuple[Response | None, dict[str, list[str]]]:
    """On "Preview", only check ``body``: (None, its problems, if any). Otherwise save it:
    (the way back to the form, {}), or (None, the field errors) when refused."""
    if request.form.get("action") == "preview":
        problems = wording_errors(found, body)
        return None, {"body": problems} if problems else {}
    _, errors = attempt(
        lambda s: save_wording(s, found, body, staff_id=user().id, now=clock().now())
    )
    if errors:
        return None, errors
    flash(f"{LABELS[found]}: the clinic's wording is saved.", "ok")
    return redirect(url_for("setup.text", kind=found.value), code=303), {}


def _text_page(
    found: MessageKind, body: str, *, own: bool, errors: dict[str, list[str]]
) -> tuple[str, int]:
    """The form for one kind of text: ``body`` filled in with a sample when it has no errors,
    else the errors by the field (422)."""
    sample = None if errors else preview(found, body, sample_context(settings(), clock().now()))
    return page(
        "text_form.html",
        422 if errors else 200,
        kind=found,
        label=LABELS[found],
        own=own,
        built_in=TEMPLATES[found],
        placeholders=sorted(SUPPORTED[found]),
        required=sorted(REQUIRED[found]),
        sample=sample,
        values={"body": body},
        errors=errors,
    )


@bp.post("/texts/<kind>/reset")
@admin_only
def reset_text(kind: str) -> Any:
    """Go back to the built-in wording of one kind of text."""
    found = editable_kind(kind)
    reset, _ = attempt(lambda s: reset_wording(s, found))
    flash(
        f"{LABELS[found]}: back to the built-in wording."
        if reset
        else "Already the built-in wording.",
        "ok",
    )
    return redirect(url_for("setup.text", kind=found.value), code=303)
