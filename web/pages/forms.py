"""The booking form: field rules the browser and the server both apply, and the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

YES_NO = [("yes", "Yes"), ("no", "No")]


class BookingForm(FlaskForm):
    service_id = HiddenField(validators=[DataRequired()])
    slot = RadioField("Time", choices=[], validate_choice=False, validators=[InputRequired()])
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    phone = StringField("Mobile number", validators=[DataRequired(), Length(max=32)])
    consent_reminders = RadioField(
        "Texts about your appointments", choices=YES_NO, validators=[InputRequired()]
    )
    consent_diary_prompts = RadioField(
        "Diary prompts by text", choices=YES_NO, validators=[InputRequired()]
    )
