"""The booking form's fields; the rules themselves live in the scheduler's booking use case."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField

YES_NO = [("yes", "Yes"), ("no", "No")]


class BookingForm(FlaskForm):
    service_id = HiddenField()
    slot = RadioField("Time", choices=[], validate_choice=False)
    first_name = StringField("First name")
    last_name = StringField("Last name")
    phone = StringField("Mobile number")
    time_zone = SelectField("Time zone", choices=[], validate_choice=False)
    consent_reminders = RadioField("Texts about your appointments", choices=YES_NO)
    consent_diary_prompts = RadioField("Diary prompts by text", choices=YES_NO)
    email = StringField("Email (optional)")
    consent_email = BooleanField("Email me confirmations and reminders", false_values=("", "no"))
