"""Finding patients for the staff console: search by name or phone, a page at a time."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from scheduler.models import ACTIVE_STATUSES, Appointment, Patient

PER_PAGE = 25
QUERY_MAX = 100
LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class PatientRow:
    id: int
    first_name: str
    last_name: str
    phone_e164: str
    phone_flagged: bool
    opted_out: bool
    next_visit: datetime | None


@dataclass(frozen=True)
class PatientPage:
    """One page of a search: the rows, how many matched in all, and where this page is."""

    rows: list[PatientRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _like(text: str) -> str:
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_").lower()
    )
    return f"%{escaped}%"


def _matches(query: str) -> ColumnElement[bool] | None:
    """Digits search the phone number (a leading 0 of a national number is dropped, so
    "07400" finds +447400...); words must each appear in the first or last name."""
    text = query.strip()[:QUERY_MAX]
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if digits and not re.search(r"[^\d\s()+\-.]", text):
        national = digits.lstrip("0") or digits
        return Patient.phone_e164.like(_like(national), escape=LIKE_ESCAPE)
    words = [w for w in text.split() if w]
    return and_(
        *(
            or_(
                func.lower(Patient.first_name).like(_like(word), escape=LIKE_ESCAPE),
                func.lower(Patient.last_name).like(_like(word), escape=LIKE_ESCAPE),
            )
            for word in words
        )
    )


def search_patients(
    session: Session,
    query: str,
    *,
    now: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
    practitioner_id: int | None = None,
) -> PatientPage:
    """Patients whose name or phone matches ``query`` (everyone when it is empty), by last
    name, one page at a time; with ``practitioner_id``, only that practitioner's patients
    (those with a visit with them). Each row carries the patient's next active visit."""
    conditions = _conditions(query, practitioner_id)
    total = session.scalar(select(func.count()).select_from(Patient).where(*conditions)) or 0
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    patients = _patients_on_page(session, conditions, page, per_page)
    next_visits = _next_visits(session, [p.id for p in patients], now)
    rows = [_row(p, next_visits.get(p.id)) for p in patients]
    return PatientPage(rows, total, page, per_page)


def _conditions(query: str, practitioner_id: int | None) -> list[ColumnElement[bool]]:
    """What a patient must meet: match the query (if any), and be that practitioner's."""
    conditions: list[ColumnElement[bool]] = []
    matches = _matches(query)
    if matches is not None:
        conditions.append(matches)
    if practitioner_id is not None:
        conditions.append(
            Patient.id.in_(
                select(Appointment.patient_id).where(Appointment.practitioner_id == practitioner_id)
            )
        )
    return conditions


def _patients_on_page(
    session: Session, conditions: list[ColumnElement[bool]], page: int, per_page: int
) -> list[Patient]:
    """One page of the matching patients, by last name, then first name."""
    return list(
        session.scalars(
            select(Patient)
            .where(*conditions)
            .order_by(func.lower(Patient.last_name), func.lower(Patient.first_name), Patient.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )


def _next_visits(session: Session, patient_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Each patient's next active visit from ``now`` on (none for those without one)."""
    return {
        pid: first
        for pid, first in session.execute(
            select(Appointment.patient_id, func.min(Appointment.starts_at))
            .where(
                Appointment.patient_id.in_(patient_ids),
                Appointment.starts_at >= now,
                Appointment.status.in_(ACTIVE_STATUSES),
            )
            .group_by(Appointment.patient_id)
        )
    }


def _row(patient: Patient, next_visit: datetime | None) -> PatientRow:
    return PatientRow(
        id=patient.id,
        first_name=patient.first_name,
        last_name=patient.last_name,
        phone_e164=patient.phone_e164,
        phone_flagged=patient.phone_flagged_at is not None,
        opted_out=patient.sms_opted_out_at is not None,
        next_visit=next_visit,
    )
