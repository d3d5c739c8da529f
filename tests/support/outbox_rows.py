"""Texts waiting in the outbox, written straight to the database (as rows from before a rule
changed would be), and an SMS provider that takes everything and remembers where it went."""

from __future__ import annotations

import itertools
from datetime import datetime

from scheduler.db import Database
from scheduler.messaging.sms.base import OutgoingSms, ProviderReceipt
from scheduler.models import (
    Consent,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)

serial = itertools.count(1)


class RecordingSms:
    """The SMS provider: takes every text and remembers where it went."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        self.sent.append(sms.to)
        return ProviderReceipt(sid=f"SM{next(serial):032d}", status="queued")

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        return None


def consenting_patient(db: Database, phone: str, now: datetime) -> int:
    """A patient on ``phone`` who agreed to appointment texts; their id."""
    with db.transaction() as session:
        patient = Patient(
            first_name="Ana",
            last_name="Silva",
            phone_e164=phone,
            time_zone="Europe/London",
            created_at=now,
        )
        session.add(patient)
        session.flush()
        session.add(
            Consent(
                patient_id=patient.id,
                kind=ConsentKind.REMINDERS,
                granted=True,
                wording="texts",
                channel="api",
                recorded_at=now,
            )
        )
        return patient.id


def waiting_text(db: Database, phone: str, now: datetime, *, patient: bool = True) -> int:
    """A confirmation due ``now`` to ``phone`` for a consenting patient on it (or, without
    ``patient``, a phone code to it); its id."""
    owner = consenting_patient(db, phone, now) if patient else None
    with db.transaction() as session:
        message = OutboundMessage(
            patient_id=owner,
            kind=MessageKind.CONFIRMATION if owner else MessageKind.PHONE_CODE,
            dedupe_key=f"waiting:{next(serial)}",
            to_phone=phone,
            body="Hello",
            due_at=now,
            status=MessageStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        session.add(message)
        session.flush()
        return message.id
