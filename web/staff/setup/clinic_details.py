"""Set-up page for what patients are told before they book (address, map link, cancellation
policy), and what the booking pages read of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scheduler.setup.clinic_details import (
    BookingInformation,
    ClinicDetailsInput,
    Money,
    booking_information,
    save_clinic_details,
    stored_details,
)
from web.context import db, settings
from web.staff.setup.base import admin_only, bp, field, form_page, read, submit


@bp.route("/clinic", methods=["GET", "POST"])
@admin_only
def clinic_details() -> Any:
    """The clinic's address, its own map link (optional) and cancellation policy text."""
    data = ClinicDetailsInput(field("address"), field("map_url"), field("cancellation_policy"))
    sent, errors = submit(
        lambda s: save_clinic_details(s, data), "Clinic details saved.", "setup.clinic_details"
    )
    if sent is not None:
        return sent
    stored = read(stored_details)
    return form_page("clinic_details.html", errors, stored, information=_information())


def _information() -> BookingInformation:
    return read(lambda session: booking_information(session, settings().clinic_locale))


@bp.app_template_global("clinic_information")
def clinic_information() -> BookingInformation:
    """What every booking page shows of the clinic (address, hours, prices, cancellations)."""
    with db().session() as session:
        return booking_information(session, settings().clinic_locale)


@bp.app_template_filter("price")
def price(pence: int | None) -> str:
    """A price in the clinic's currency ("" when there is none)."""
    return "" if pence is None else Money(settings().clinic_locale).text(pence)


def price_text(pence: int | None) -> str:
    """A stored price as the form shows it: "45" or "45.50" ("" when there is none)."""
    if pence is None:
        return ""
    amount = Decimal(pence) / 100
    return str(amount.quantize(Decimal(1))) if pence % 100 == 0 else f"{amount:.2f}"
