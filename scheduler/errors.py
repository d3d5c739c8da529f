"""The errors use cases raise; entry points turn them into 4xx answers or form messages."""

from __future__ import annotations


class DomainError(Exception):
    """A request the clinic's rules refuse."""


class ValidationFailed(DomainError):
    """Some fields are wrong; ``fields`` maps each field to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class SlotUnavailable(DomainError):
    """The time asked for is no longer free."""


class ConcurrentConflict(SlotUnavailable):
    """Another transaction took a time or room this one was about to use: worth trying once
    more on a fresh view of the calendar (the room may have another free, say)."""
