"""Set-up page for the emergency phrases: those staff add to the built-in list that patients'
text replies are read against."""

from __future__ import annotations

from typing import Any

from scheduler.messaging import replies
from scheduler.setup.emergency_phrases import add_phrase, list_phrases, remove_phrase
from web.context import clock, db
from web.staff.setup.base import (
    admin_only,
    attempt,
    back_to,
    bp,
    field,
    form_page,
    report,
    submit,
    user,
)

ADDED = "Phrase added: a text with it now gets the emergency advice and alerts staff."


@bp.route("/emergency-phrases", methods=["GET", "POST"])
@admin_only
def emergency_phrases() -> Any:
    """The phrases staff added, the built-in ones, and a form to add one (refused input is
    shown next to the field and adds nothing)."""
    sent, errors = submit(
        lambda s: add_phrase(s, field("phrase"), by=user().name, now=clock().now()),
        ADDED,
        "setup.emergency_phrases",
    )
    if sent is not None:
        return sent
    with db().session() as session:
        return form_page(
            "emergency_phrases.html",
            errors,
            {},
            phrases=list_phrases(session),
            worst=replies.WORST,
            pains=replies.PAINS,
            ever=replies.EVER,
            signs=replies.SIGNS,
            everyday=replies.EVERYDAY,
        )


@bp.post("/emergency-phrases/<id:phrase_id>/remove")
@admin_only
def remove_emergency_phrase(phrase_id: int) -> Any:
    """Take a phrase out of the list.

    :raise 404: if there is no such phrase.
    """
    _, errors = attempt(lambda s: remove_phrase(s, phrase_id))
    report(errors, "Phrase removed.")
    return back_to("setup.emergency_phrases")
