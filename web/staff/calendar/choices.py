"""The practitioners and rooms a calendar filter or a move form offers, by name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Practitioner, Room


@dataclass
class Choices:
    practitioners: list[tuple[int, str]]
    rooms: list[tuple[int, str]]

    def checked(self, wanted: dict[str, int | None], errors: dict[str, str]) -> None:
        """Drop a practitioner or room that is not on the lists, with a message for it."""
        if wanted["practitioner_id"] not in (None, *(p for p, _ in self.practitioners)):
            errors["practitioner_id"] = "Choose a practitioner from the list."
            wanted["practitioner_id"] = None
        if wanted["room_id"] not in (None, *(r for r, _ in self.rooms)):
            errors["room_id"] = "Choose a room from the list."
            wanted["room_id"] = None


def active_practitioners(session: Session) -> list[Practitioner]:
    query = select(Practitioner).where(Practitioner.active.is_(True))
    return list(session.scalars(query.order_by(Practitioner.name)))


def load_choices(session: Session) -> Choices:
    """Every active practitioner and room, by name."""
    rooms = select(Room.id, Room.name).where(Room.active.is_(True)).order_by(Room.name)
    return Choices(
        practitioners=[(p.id, p.name) for p in active_practitioners(session)],
        rooms=[(rid, name) for rid, name in session.execute(rooms)],
    )
