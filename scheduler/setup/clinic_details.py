"""What patients read before they book: address and map, opening hours, prices, cancellations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from urllib.parse import quote_plus, urlsplit

from babel import Locale
from babel.numbers import format_currency, get_territory_currencies
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.field_errors import FieldErrors
from scheduler.models import Cadence, CourseTemplate, Practitioner, Service
from scheduler.models.clinic import ClinicDetails, clinic_rules

OPEN_STREET_MAP_SEARCH = "https://www.openstreetmap.org/search?query="
PRICE = re.compile(r"^\s*[£€$]?\s*(\d{1,5}(?:\.\d{1,2})?)\s*$")
HIGHEST_PRICE_PENCE = 10_000_00


@dataclass(frozen=True)
class ClinicDetailsInput:
    """The clinic details form as typed."""

    address: str
    map_url: str = ""
    cancellation_policy: str = ""


@dataclass(frozen=True)
class OpeningHours:
    """One weekday's opening, from the earliest start to the latest end of anyone's hours."""

    weekday: str
    opens: time | None
    closes: time | None


@dataclass(frozen=True)
class Price:
    """What a service, or a course's fixed visits, cost, as the clinic's locale writes it."""

    name: str
    amount: str
    note: str = ""


@dataclass(frozen=True)
class BookingInformation:
    """Everything the booking pages tell a patient before they commit."""

    address: str
    map_url: str
    opening_hours: list[OpeningHours]
    prices: list[Price]
    course_prices: list[Price]
    late_cancellation_hours: int
    cancellation_policy: str


def stored_details(session: Session) -> dict[str, str]:
    """The clinic details as stored (empty texts when none are)."""
    row = session.get(ClinicDetails, 1)
    if row is None:
        return {"address": "", "map_url": "", "cancellation_policy": ""}
    return {
        "address": row.address,
        "map_url": row.map_url,
        "cancellation_policy": row.cancellation_policy,
    }


def save_clinic_details(session: Session, data: ClinicDetailsInput) -> ClinicDetails:
    """Set the address patients are shown (with an optional map link of the clinic's own) and
    the cancellation policy's own words.

    :raise ValidationFailed: for a missing or over-long address, a map link that is not an
        https address, or an over-long policy; nothing is changed.
    """
    errors = FieldErrors()
    address = errors.text("address", _one_line(data.address, ", "), longest=300)
    map_url = data.map_url.strip()
    if len(map_url) > 500 or (map_url and not _is_https_url(map_url)):
        errors.add("map_url", "Enter a web address starting https:// (or leave it empty).")
    policy = errors.text(
        "cancellation_policy",
        _one_line(data.cancellation_policy, " "),
        longest=1000,
        required=False,
    )
    errors.raise_if_any()
    row = session.get(ClinicDetails, 1)
    if row is None:
        row = ClinicDetails(id=1)
        session.add(row)
    row.address, row.map_url, row.cancellation_policy = address, map_url, policy
    session.flush()
    return row


def _one_line(text: str, joint: str) -> str:
    """Lines typed into a text box as one line (an address's lines joined by commas)."""
    return joint.join(line.strip(" ,") for line in (text or "").splitlines() if line.strip(" ,"))


def _is_https_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.netloc) and " " not in text


def parse_price(errors: FieldErrors, field: str, text: str) -> int | None:
    """A price typed as "45" or "45.50" (a currency sign allowed) in pence; None when empty."""
    if not text.strip():
        return None
    match = PRICE.match(text)
    try:
        pence = int(Decimal(match.group(1)) * 100) if match else -1
    except InvalidOperation:
        pence = -1
    if not 0 <= pence <= HIGHEST_PRICE_PENCE:
        errors.add(field, "Enter a price like 45 or 45.50, up to 10000 (or leave it empty).")
        return None
    return pence


def map_link(address: str, own_url: str) -> str:
    """The clinic's own map link, else an OpenStreetMap search for its address ("" if none)."""
    if own_url:
        return own_url
    if not address:
        return ""
    return OPEN_STREET_MAP_SEARCH + quote_plus(address)


def booking_information(session: Session, locale: str) -> BookingInformation:
    """What the booking pages show: the address and a map link, opening hours derived from
    the active practitioners' working hours, the published prices (and each course's price
    for its fixed visits where every one of its services has a price), and the cancellation
    rule with the clinic's own policy text."""
    details = stored_details(session)
    rules = clinic_rules(session)
    money = Money(locale)
    services = session.scalars(select(Service).where(Service.active).order_by(Service.name)).all()
    return BookingInformation(
        address=details["address"],
        map_url=map_link(details["address"], details["map_url"]),
        opening_hours=opening_hours(session, locale),
        prices=[
            Price(s.name, money.text(s.price_pence)) for s in services if s.price_pence is not None
        ],
        course_prices=[p for p in map(money.course, _offered_courses(session)) if p is not None],
        late_cancellation_hours=rules.late_cancellation_hours if rules else 24,
        cancellation_policy=details["cancellation_policy"],
    )


def _offered_courses(session: Session) -> list[CourseTemplate]:
    """The active course templates that have phases, in the clinic's order."""
    templates = session.scalars(
        select(CourseTemplate)
        .where(CourseTemplate.active)
        .order_by(CourseTemplate.id)
        .options(selectinload(CourseTemplate.phases))
    )
    return [t for t in templates if t.phases]


def opening_hours(session: Session, locale: str) -> list[OpeningHours]:
    """Each weekday, Monday first, open from the earliest start to the latest end of the
    active practitioners' working hours (closed when nobody works that day)."""
    practitioners = session.scalars(
        select(Practitioner).where(Practitioner.active).options(selectinload(Practitioner.hours))
    ).all()
    names = Locale.parse(locale).days["format"]["wide"]
    days: list[OpeningHours] = []
    for weekday in range(7):
        spans = [h for p in practitioners for h in p.hours if h.weekday == weekday]
        opens = min((h.starts for h in spans), default=None)
        closes = max((h.ends for h in spans), default=None)
        days.append(OpeningHours(names[weekday], opens, closes))
    return days


class Money:
    """Amounts in the currency of the clinic's country, written the locale's way."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        territory = Locale.parse(locale).territory or "GB"
        self.currency = (get_territory_currencies(territory) or ["GBP"])[0]

    def text(self, pence: int | None) -> str:
        amount = Decimal(pence or 0) / 100
        pattern = "¤#,##0" if amount == amount.to_integral() else None
        return format_currency(
            amount, self.currency, format=pattern, locale=self.locale, currency_digits=False
        )

    def course(self, template: CourseTemplate) -> Price | None:
        """The price of a course's fixed visits (not the open-ended maintenance ones), or None
        when any of those services has no price."""
        total, count, maintenance = 0, 0, None
        for phase in template.phases:
            services = [phase.service] + ([phase.then_service] if phase.then_service else [])
            if any(s.price_pence is None for s in services):
                return None
            each = sum(s.price_pence or 0 for s in services)
            if phase.cadence == Cadence.MAINTENANCE:
                maintenance = each
                continue
            visits = 1 if phase.cadence == Cadence.ONCE else phase.visits_per_week * phase.weeks
            total, count = total + each * visits, count + visits
        note = f"{count} visits"
        if maintenance is not None:
            note += f"; then {self.text(maintenance)} for each maintenance visit"
        return Price(template.name, self.text(total), note)
