"""`flask text-clinic`: text the clinic as a patient in development, as Twilio's webhook would."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from scheduler.phones import normalised
from web.context import db, settings
from web.staff.dev_texts import NoSuchSender, dev_texts_on, patient_by_phone, text_the_clinic


@click.command("text-clinic")
@click.option("--patient-id", type=click.IntRange(min=1, max=2**31 - 1), help="the sender")
@click.option("--phone", help="the sender's mobile number, if no patient id is given")
@click.argument("body")
@with_appcontext
def text_clinic(patient_id: int | None, phone: str | None, body: str) -> None:
    """Deliver BODY (C, R, X, Y, STOP, a diary number...) as a text from a patient."""
    try:
        sender = patient_id or _by_phone(phone)
        delivered = text_the_clinic(sender, body)
    except (NoSuchSender, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    result = delivered.result
    click.echo(f"understood as: {result.understood_as}")
    click.echo(f"the clinic answers: {result.reply or '(nothing)'}")
    if result.follow_ups:
        sent = "sent to the workers" if delivered.follow_ups_sent else "NOT sent: no broker"
        names = ", ".join(f.task.value for f in result.follow_ups)
        click.echo(f"follow-ups {sent}: {names}")


def _by_phone(phone: str | None) -> int:
    """:raise ValueError: if no number, or not a valid one, is given."""
    if not phone:
        raise ValueError("Give --patient-id or --phone.")
    e164 = normalised(phone, settings().default_phone_region)
    if e164 is None:
        raise ValueError(f"{phone} is not a valid phone number.")
    with db().session() as session:
        return patient_by_phone(session, e164)


def register(app: Flask) -> None:
    """Add ``text-clinic`` to the ``flask`` command, only where texts are printed (never in
    production)."""
    if dev_texts_on(app.extensions["clinic.settings"]):
        app.cli.add_command(text_clinic)
