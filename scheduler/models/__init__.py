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
from scheduler.models.diary import AttackFunction, DiaryAttack, DiaryDay, MedicationClass
from scheduler.models.inbound import InboundMessage, StaffAlert
from scheduler.models.messages import Channel, MessageKind, MessageStatus, OutboundMessage
from scheduler.models.outcomes import (
    QuestionnaireKind,
    QuestionnaireResponse,
    SafetyScreen,
    SafetyTier,
)
from scheduler.models.patients import Consent, ConsentKind, ManageToken, Patient
from scheduler.models.records import AuditEvent, CalendarFeed, MessageTemplate, PatientNote
from scheduler.models.staff import Role, StaffUser
from scheduler.models.verification import EmergencyPhrase, PhoneVerification
from scheduler.models.waitlist import OfferStatus, WaitlistEntry, WaitlistOffer, WaitlistStatus

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "AttackFunction",
    "AuditEvent",
    "Base",
    "Cadence",
    "CalendarFeed",
    "Channel",
    "ClinicRules",
    "Closure",
    "Consent",
    "ConsentKind",
    "Course",
    "CourseStatus",
    "CourseTemplate",
    "DiaryAttack",
    "DiaryDay",
    "EmergencyPhrase",
    "InboundMessage",
    "ManageToken",
    "MedicationClass",
    "MessageKind",
    "MessageStatus",
    "MessageTemplate",
    "OfferStatus",
    "OutboundMessage",
    "Patient",
    "PatientNote",
    "PhoneVerification",
    "Practitioner",
    "QuestionnaireKind",
    "QuestionnaireResponse",
    "Role",
    "Room",
    "SafetyScreen",
    "SafetyTier",
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
