"""The demo clinic for development: its set-up and, unless asked for empty, a living history.

``load_demo_clinic`` is what ``make run`` calls. Seeding is deterministic (a fixed random seed,
every time relative to today in the clinic's zone) and happens once: a database that already
has services is left as it is.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.demo.clinic import add_services, add_setup, clinic_is_empty
from scheduler.demo.diaries import keep_diary
from scheduler.demo.extras import (
    pending_review,
    replies_and_consents,
    todays_single_visits,
    waiting_for_earlier,
)
from scheduler.demo.history import Seeded, book_story, live_to
from scheduler.demo.messages import settle_past_messages
from scheduler.demo.outcomes import answer_questionnaires
from scheduler.demo.stories import STORIES

__all__ = ["add_services", "clinic_is_empty", "load_demo_clinic", "seed_history"]

SEED = 20260302  # the same history every time


def load_demo_clinic(
    session: Session,
    settings: Settings | None = None,
    now: datetime | None = None,
    *,
    history: bool = False,
) -> bool:
    """Add the demo clinic when there are no services yet; returns whether it did.

    Given the settings and the time, it is closed on the bank holidays of this year and the
    next for the clinic's country (tests leave them out, to keep their calendars open); with
    ``history`` too, twelve weeks of patients, visits, diaries, scores and texts are added,
    and four weeks ahead are booked (``seed_history``).
    """
    if not clinic_is_empty(session):
        return False
    add_setup(session, settings, now)
    if history and settings is not None and now is not None:
        seed_history(session, settings, now)
    return True


def seed_history(session: Session, settings: Settings, now: datetime) -> list[Seeded]:
    """Patients on each course template at different points, booked and lived through the
    real use cases up to ``now``; every text due by then is settled as sent, delivered or
    failed, so nothing in the past is left for the dispatcher."""
    rng = random.Random(SEED)
    seeded = [book_story(session, story, i + 1, settings, now) for i, story in enumerate(STORIES)]
    for one in seeded:
        live_to(session, one, settings, now, rng)
    todays_single_visits(session, settings, now, rng)
    pending_review(session, settings, now)
    waiting_for_earlier(session, settings, now)
    for one in seeded:
        keep_diary(session, one, settings, now, rng)
        answer_questionnaires(session, one, now)
    replies_and_consents(session, seeded, settings, now)
    settle_past_messages(session, now, rng)
    session.flush()
    return seeded
