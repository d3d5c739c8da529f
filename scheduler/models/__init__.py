"""The persistent model of the clinic, one module per noun."""

from scheduler.models.appointments import ACTIVE_STATUSES, Appointment, AppointmentStatus
from scheduler.models.base import Base
from scheduler.models.clinic import Practitioner, Room, Service, WorkingHours
from scheduler.models.messages import MessageKind, MessageStatus, OutboundMessage
from scheduler.models.patients import Consent, ConsentKind, ManageToken, Patient

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "Base",
    "Consent",
    "ConsentKind",
    "ManageToken",
    "MessageKind",
    "MessageStatus",
    "OutboundMessage",
    "Patient",
    "Practitioner",
    "Room",
    "Service",
    "WorkingHours",
]
