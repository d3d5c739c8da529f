"""The persistent model of the clinic, one module per noun."""

from scheduler.models.appointments import ACTIVE_STATUSES, Appointment, AppointmentStatus
from scheduler.models.base import Base
from scheduler.models.clinic import (
    ClinicRules,
    Closure,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from scheduler.models.courses import Cadence, Course, CourseStatus, CourseTemplate, TemplatePhase
from scheduler.models.diary import DiaryDay
from scheduler.models.inbound import InboundMessage, StaffAlert
from scheduler.models.messages import MessageKind, MessageStatus, OutboundMessage
from scheduler.models.patients import Consent, ConsentKind, ManageToken, Patient
from scheduler.models.staff import Role, StaffUser
from scheduler.models.waitlist import OfferStatus, WaitlistEntry, WaitlistOffer, WaitlistStatus

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "Base",
    "Cadence",
    "ClinicRules",
    "Closure",
    "Consent",
    "ConsentKind",
    "Course",
    "CourseStatus",
    "CourseTemplate",
    "DiaryDay",
    "InboundMessage",
    "ManageToken",
    "MessageKind",
    "MessageStatus",
    "OfferStatus",
    "OutboundMessage",
    "Patient",
    "Practitioner",
    "Role",
    "Room",
    "Service",
    "StaffAlert",
    "StaffUser",
    "TemplatePhase",
    "TimeOff",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistStatus",
    "WorkingHours",
]
