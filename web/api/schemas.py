"""Marshmallow schemas of the API's requests and answers (they generate the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from scheduler.clinical.safety import QUESTIONS

# Ids are positive 32-bit integers; anything else is a 422, not a database error.
ID_RANGE = validate.Range(min=1, max=2**31 - 1)


class ServiceSchema(Schema):
    id = fields.Int(required=True)
    code = fields.Str(required=True)
    name = fields.Str(required=True)
    description = fields.Str()
    duration_min = fields.Int(required=True)
    buffer_min = fields.Int(required=True)
    needs_room = fields.Bool(required=True)


class PractitionerSchema(Schema):
    id = fields.Int(required=True)
    name = fields.Str(required=True)
    title = fields.Str()
    service_ids = fields.List(fields.Int(), required=True)


class AvailabilityQuerySchema(Schema):
    service_id = fields.Int(required=True, strict=False, validate=ID_RANGE)
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "Local date."})
    to = fields.Date(required=True, metadata={"description": "Local date, inclusive."})
    practitioner_id = fields.Int(load_default=None, validate=ID_RANGE)


class SlotSchema(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    local_start = fields.Str(required=True, metadata={"description": "In the clinic's zone."})
    practitioner_id = fields.Int(
        required=True, metadata={"description": "The practitioner suggested for this time."}
    )
    practitioner_ids = fields.List(
        fields.Int(), required=True, metadata={"description": "Everyone free at this time."}
    )


class AvailabilitySchema(Schema):
    service_id = fields.Int(required=True, validate=ID_RANGE)
    time_zone = fields.Str(required=True)
    slots = fields.List(fields.Nested(SlotSchema), required=True)


class PatientInSchema(Schema):
    first_name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "Mobile number, national or E.164."},
    )
    time_zone = fields.Str(load_default=None, validate=validate.Length(max=64))
    email = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=320),
        metadata={
            "description": "Optional: an address for booking confirmations by email (at most "
            "254 characters once trimmed). A wrong one: 422 with `errors.json.patient.email`."
        },
    )


class ConsentsInSchema(Schema):
    reminders = fields.Bool(
        required=True, metadata={"description": "Texts about appointments (yes or no)."}
    )
    diary_prompts = fields.Bool(
        required=True, metadata={"description": "Diary prompts by text (yes or no)."}
    )
    email = fields.Bool(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Confirmations and reminders by email (yes or no); recorded only "
            "with a `patient.email`, and no answer is a no."
        },
    )


class Answer(fields.Boolean):
    """A yes or no answer given as JSON ``true`` or ``false``: nothing else counts as one (no
    "yes", no 1), so a client's slip cannot answer a safety question by accident."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Answer true (yes) or false (no).")
        return value


# The safety screen's answers, one field per question (GET /api/v1/safety-questions lists the
# questions with their wording): every one required, so a booking is never screened in part.
ScreenInSchema = Schema.from_dict(
    {q.code: Answer(required=True, metadata={"description": q.text}) for q in QUESTIONS},
    name="ScreenInSchema",
)
SCREEN_DESCRIPTION = (
    "The safety screen's answers, each question (GET /api/v1/safety-questions) answered true "
    "or false. Emergency or urgent signs stop the booking: 422 with the advice in `message` "
    "and the reason in `errors.json.screen`; nothing is booked and staff are told. Signs a "
    "practitioner should review first book the visit as `pending_review`."
)


# The proof from POST /api/v1/phone-verifications/<id>/check: a booking for a new patient
# presents one for its phone, and spends it.
PROOF_DESCRIPTION = (
    "The `phone_proof` from checking a code texted to the patient's phone "
    "(POST /api/v1/phone-verifications, then .../check): required, good for one booking, "
    "30 minutes. Without a valid one: 422 with `errors.json.phone_proof`, nothing written."
)


def phone_proof_field() -> fields.Str:
    return fields.Str(
        load_default="",
        validate=validate.Length(max=64),
        metadata={"description": PROOF_DESCRIPTION},
    )


class BookingInSchema(Schema):
    service_id = fields.Int(required=True, strict=True, validate=ID_RANGE)
    practitioner_id = fields.Int(required=True, strict=True, validate=ID_RANGE)
    start = fields.AwareDateTime(required=True, metadata={"description": "With a UTC offset."})
    patient = fields.Nested(PatientInSchema, required=True)
    consents = fields.Nested(ConsentsInSchema, required=True)
    screen = fields.Nested(
        ScreenInSchema, required=True, metadata={"description": SCREEN_DESCRIPTION}
    )
    phone_proof = phone_proof_field()


class AppointmentSchema(Schema):
    id = fields.Int(required=True)
    status = fields.Str(required=True)
    service = fields.Str(required=True)
    practitioner = fields.Str(required=True)
    room = fields.Str(allow_none=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    local_start = fields.Str(required=True)


class MessageSchema(Schema):
    id = fields.Int(required=True)
    kind = fields.Str(required=True)
    channel = fields.Str(required=True, metadata={"description": "How it goes: sms or email."})
    subject = fields.Str(allow_none=True, metadata={"description": "An email's subject."})
    status = fields.Str(required=True)
    due_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    text = fields.Str(required=True)
    segments = fields.Int(required=True)
    error_code = fields.Str(allow_none=True)


class BookingCreatedSchema(Schema):
    appointment = fields.Nested(AppointmentSchema, required=True)
    manage_url = fields.Url(required=True)
    manage_token = fields.Str(required=True)


class PatientViewSchema(Schema):
    first_name = fields.Str(required=True)
    time_zone = fields.Str(required=True)
    appointments = fields.List(fields.Nested(AppointmentSchema), required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)


class AlternativesQuerySchema(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)


class RescheduleInSchema(Schema):
    start = fields.AwareDateTime(required=True, metadata={"description": "With a UTC offset."})
    practitioner_id = fields.Int(load_default=None, strict=True, validate=ID_RANGE)


class WaitlistInSchema(Schema):
    service_id = fields.Int(required=True, strict=True, validate=ID_RANGE)
    earliest = fields.AwareDateTime(required=True)
    latest = fields.AwareDateTime(required=True)
    practitioner_id = fields.Int(load_default=None, strict=True, validate=ID_RANGE)
    appointment_id = fields.Int(
        load_default=None,
        strict=True,
        validate=ID_RANGE,
        metadata={"description": "A visit of yours to give up for an earlier one."},
    )


class OfferSchema(Schema):
    id = fields.Int(required=True)
    status = fields.Str(required=True)
    start = fields.AwareDateTime(required=True)
    local_start = fields.Str(required=True)
    practitioner = fields.Str(required=True)
    expires_at = fields.AwareDateTime(required=True)


class WaitlistEntrySchema(Schema):
    id = fields.Int(required=True)
    status = fields.Str(required=True)
    service_id = fields.Int(required=True, validate=ID_RANGE)
    practitioner_id = fields.Int(allow_none=True, validate=ID_RANGE)
    appointment_id = fields.Int(allow_none=True, validate=ID_RANGE)
    earliest = fields.AwareDateTime(required=True)
    latest = fields.AwareDateTime(required=True)
    offer = fields.Nested(OfferSchema, allow_none=True)


class TemplatePhaseSchema(Schema):
    position = fields.Int(required=True)
    name = fields.Str(required=True)
    service_id = fields.Int(required=True, validate=ID_RANGE)
    service = fields.Str(required=True)
    cadence = fields.Str(required=True, metadata={"description": "once, weekly or maintenance"})
    visits_per_week = fields.Int(required=True)
    weeks = fields.Int(required=True)
    then_service = fields.Str(allow_none=True, metadata={"description": "Straight after."})


class CourseTemplateSchema(Schema):
    id = fields.Int(required=True)
    code = fields.Str(required=True)
    name = fields.Str(required=True)
    description = fields.Str(required=True)
    phases = fields.List(fields.Nested(TemplatePhaseSchema), required=True)


class PreferencesSchema(Schema):
    weekdays = fields.List(
        fields.Int(validate=validate.Range(min=0, max=6)),
        validate=validate.Length(min=1, max=7),
        load_default=None,
        metadata={
            "description": "0 is Monday. Default: the first visit's weekday and one 3-4 days on."
        },
    )
    time = fields.Time(
        load_default=None,
        format="%H:%M",
        metadata={"description": "Local; default: the first visit's."},
    )


class CourseInSchema(Schema):
    template_id = fields.Int(required=True, strict=True, validate=ID_RANGE)
    practitioner_id = fields.Int(required=True, strict=True, validate=ID_RANGE)
    start = fields.AwareDateTime(required=True, metadata={"description": "The first visit."})
    patient = fields.Nested(PatientInSchema, required=True)
    consents = fields.Nested(ConsentsInSchema, required=True)
    preferences = fields.Nested(PreferencesSchema, load_default=dict)
    screen = fields.Nested(
        ScreenInSchema, required=True, metadata={"description": SCREEN_DESCRIPTION}
    )
    phone_proof = phone_proof_field()


class CoursePreviewInSchema(CourseInSchema):
    """A course as ``CourseInSchema`` describes it; the screen may be sent but is not read."""

    screen = fields.Nested(
        ScreenInSchema,
        load_default=None,
        metadata={"description": "Not needed to preview a plan; asked when booking."},
    )


class PlannedVisitSchema(Schema):
    visit_number = fields.Int(required=True)
    phase = fields.Str(required=True)
    service = fields.Str(required=True)
    status = fields.Str(required=True, metadata={"description": "booked, proposed, unplaced, ..."})
    appointment_id = fields.Int(allow_none=True, validate=ID_RANGE)
    start = fields.AwareDateTime(allow_none=True)
    local_start = fields.Str(allow_none=True)
    practitioner_id = fields.Int(allow_none=True, validate=ID_RANGE)
    moved = fields.Bool(required=True)
    wanted_start = fields.AwareDateTime(allow_none=True)
    note = fields.Str(required=True)


class CoursePlanSchema(Schema):
    course_id = fields.Int(allow_none=True)
    template = fields.Str(required=True)
    status = fields.Str(required=True)
    preferred_weekdays = fields.List(fields.Int(), required=True)
    preferred_time = fields.Str(required=True)
    visits = fields.List(fields.Nested(PlannedVisitSchema), required=True)


class CourseCreatedSchema(Schema):
    plan = fields.Nested(CoursePlanSchema, required=True)
    manage_url = fields.Url(required=True)
    manage_token = fields.Str(required=True)


class AnswerChoiceSchema(Schema):
    value = fields.Bool(required=True, metadata={"description": "What to send as the answer."})
    label = fields.Str(required=True, metadata={"description": "As the booking pages say it."})


class SafetyQuestionSchema(Schema):
    id = fields.Str(required=True, metadata={"description": "The answer's key in `screen`."})
    text = fields.Str(required=True, metadata={"description": "The question as patients read it."})
    section = fields.Str(required=True, metadata={"description": "The heading it is asked under."})
    choices = fields.List(fields.Nested(AnswerChoiceSchema), required=True)


class CodeRequestInSchema(Schema):
    phone = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "The mobile number to text a code to, national or E.164."},
    )


class CodeSentSchema(Schema):
    verification_id = fields.Str(
        required=True, metadata={"description": "Names the code when checking it."}
    )
    expires_at = fields.AwareDateTime(
        required=True, metadata={"description": "The code works until then (10 minutes)."}
    )
    resend_after = fields.AwareDateTime(
        required=True, metadata={"description": "A new code for the number from then on."}
    )


class CodeCheckInSchema(Schema):
    code = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "The 6 digits texted to the phone."},
    )


class PhoneProofSchema(Schema):
    phone_proof = fields.Str(
        required=True, metadata={"description": "Give it as `phone_proof` with the booking."}
    )
    expires_at = fields.AwareDateTime(
        required=True, metadata={"description": "Good for one booking until then (30 minutes)."}
    )
