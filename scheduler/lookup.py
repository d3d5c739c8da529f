"""Loading one row by its id, or saying plainly that it does not exist."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from scheduler.errors import NotFound

T = TypeVar("T")


def existing(session: Session, model: type[T], ident: int, label: str) -> T:
    """The ``model`` row with id ``ident``.

    :raise NotFound: "<label> <ident> does not exist".
    """
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"{label} {ident} does not exist")
    return row
