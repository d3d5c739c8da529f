"""Who may do what in the staff console: the one permission policy, by role and ownership.

The policy is pure: it knows the staff member's role and practitioner, and is told the facts a
question needs (the practitioners a patient has visits with, a visit's practitioner). The web
asks it; it never compares roles itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from scheduler.models import Role, StaffUser

# Every calendar, patient and visit; the dashboard for the whole clinic.
WHOLE_CLINIC = frozenset({Role.ADMIN, Role.FRONT_DESK})
# Clinical data (diary, safety flags, scores, outcome, notes) and clinical decisions.
CLINICAL = frozenset({Role.ADMIN, Role.PRACTITIONER})
# The office's work: contact details, the messaging monitor, exports.
OFFICE = frozenset({Role.ADMIN, Role.FRONT_DESK})
# The clinic's set-up and the staff accounts.
ADMINS = frozenset({Role.ADMIN})
# No practitioner has this id: the scope of a practitioner account without a practitioner.
NOBODY = -1


@dataclass(frozen=True)
class Permissions:
    """What one staff member may see and do: admins everything; the front desk every calendar
    and patient without clinical detail; a practitioner their own calendar, visits and
    patients, with clinical detail."""

    role: Role
    practitioner_id: int | None = None

    @classmethod
    def of(cls, staff: StaffUser) -> Permissions:
        """The permissions of a signed-in staff member."""
        return cls(staff.role, staff.practitioner_id)

    def _whole_clinic(self) -> bool:
        return self.role in WHOLE_CLINIC

    def _own(self) -> int:
        """The practitioner whose work a narrowed account sees; NOBODY for an account without
        one, so that it sees nothing rather than everything."""
        return NOBODY if self.practitioner_id is None else self.practitioner_id

    # Patients

    def see_every_patient(self) -> bool:
        """Admins and the front desk see every patient; a practitioner only their own."""
        return self._whole_clinic()

    def patient_list_practitioner(self) -> int | None:
        """Whose patients the patient list holds: None (everyone's) for admins and the front
        desk, a practitioner's own (those with a visit with them)."""
        return None if self._whole_clinic() else self._own()

    def see_patient(self, practitioner_ids: Collection[int]) -> bool:
        """May open the record, notes and history of a patient who has visits with
        ``practitioner_ids``: admins and the front desk any patient, a practitioner only a
        patient with a visit with them."""
        return self._whole_clinic() or self._own() in practitioner_ids

    def see_clinical(self) -> bool:
        """The clinical parts of a patient's record (safety flags and screens, diary,
        questionnaire scores, outcome, notes, safety-flag changes in the history, the words
        of diary replies) and the dashboard's clinical figures: admins and practitioners,
        never the front desk."""
        return self.role in CLINICAL

    def see_phone(self, practitioner_ids: Collection[int]) -> bool:
        """A patient's mobile number where their visits are listed (today's list), to call
        them: anyone who may open the patient's record, where the number is shown too."""
        return self.see_patient(practitioner_ids)

    def edit_contact(self) -> bool:
        """Correcting a patient's name, mobile number or time zone: admins and the front desk."""
        return self.role in OFFICE

    def add_note(self) -> bool:
        """Adding a clinical note to a record: admins and practitioners (their own patients)."""
        return self.role in CLINICAL

    def revoke_links(self, practitioner_ids: Collection[int]) -> bool:
        """Revoking a patient's personal links and issuing a new one: anyone who may see the
        patient (a practitioner: their own patients)."""
        return self.see_patient(practitioner_ids)

    def see_history_of_removed_records(self) -> bool:
        """The audit history of a record that no longer exists: admins only (for everyone
        else it is not found, since whose patient it was cannot be told)."""
        return self.role in ADMINS

    def book_for_patients(self) -> bool:
        """Booking a visit or a course on a patient's behalf (a phone call, a walk-in), for a
        patient on record or a new one: admins and the front desk, whose work it is."""
        return self.role in OFFICE

    # The calendar and visits

    def see_every_calendar(self) -> bool:
        """Admins and the front desk see every practitioner's and every room's calendar and
        may choose one; a practitioner always sees their own."""
        return self._whole_clinic()

    def see_calendar(self, practitioner_id: int | None, room_id: int | None) -> bool:
        """May see the calendar asked for (a practitioner's, a room's, or everyone's when both
        are None): admins and the front desk any; a practitioner their own, never a room's."""
        if self._whole_clinic():
            return True
        return room_id is None and practitioner_id in (None, self._own())

    def calendar_practitioner(self, asked: int | None) -> int | None:
        """Whose calendar is shown when ``asked`` (None: everyone) is allowed: what was asked
        for by admins and the front desk, a practitioner's own always."""
        return asked if self._whole_clinic() else self._own()

    def act_on_visit(self, visit_practitioner_id: int) -> bool:
        """Moving, cancelling or recording what happened at a visit: admins and the front
        desk any visit, a practitioner only their own."""
        return self._whole_clinic() or visit_practitioner_id == self._own()

    def give_visit_to(self, practitioner_id: int | None) -> bool:
        """Moving a visit to ``practitioner_id`` (None: keep its practitioner): admins and the
        front desk to anyone, a practitioner only keeps it."""
        return self._whole_clinic() or practitioner_id in (None, self._own())

    def confirm_review(self) -> bool:
        """Confirming a booking that waited for review is a clinical decision: admins and
        practitioners (their own visits), never the front desk."""
        return self.role in CLINICAL

    # Safety alerts

    def safety_alert_practitioner(self) -> int | None:
        """Whose patients' open safety alerts the queue holds: None (every patient's) for
        admins and the front desk, a practitioner's own patients' (those with a visit with
        them); escalated alerts reach every clinical account whoever the patient's is."""
        return None if self._whole_clinic() else self._own()

    def see_unowned_safety_alerts(self) -> bool:
        """Safety alerts without a patient record (contact details unusable): admins and the
        front desk."""
        return self._whole_clinic()

    def see_safety_answers(self) -> bool:
        """The answers that raised a safety alert: clinical roles; the front desk sees the
        patient's name, phone and the alert's tier, not the answers."""
        return self.role in CLINICAL

    def close_safety_alert(
        self, practitioner_ids: Collection[int], has_patient: bool, escalated: bool
    ) -> bool:
        """Seeing and closing one safety alert: admins and the front desk any; a practitioner
        their own patients' and every escalated one."""
        if self._whole_clinic() or (escalated and self.role in CLINICAL):
            return True
        return has_patient and self._own() in practitioner_ids

    # The dashboard

    def see_whole_dashboard(self) -> bool:
        """Admins and the front desk see the whole clinic's figures and may narrow them to one
        practitioner; a practitioner sees their own."""
        return self._whole_clinic()

    def dashboard_practitioner(self) -> int | None:
        """Whose figures the dashboard is narrowed to whatever is asked: a practitioner's own;
        None for admins and the front desk, who choose."""
        return None if self._whole_clinic() else self._own()

    # Exports and calendar feeds

    def export(self) -> bool:
        """Downloading the appointments as CSV: admins and the front desk."""
        return self.role in OFFICE

    def keep_feeds(self) -> bool:
        """Creating and revoking private calendar feeds: admins (anyone's) and practitioners
        (their own); the front desk has no feeds."""
        return self.role in CLINICAL

    def keep_every_feed(self) -> bool:
        """Every practitioner's calendar feed: admins only."""
        return self.role in ADMINS

    def feed_practitioners(self) -> list[int] | None:
        """The practitioners whose feeds this staff member keeps: None (all) for an admin,
        else their own practitioner, if any."""
        if self.keep_every_feed():
            return None
        return [] if self.practitioner_id is None else [self.practitioner_id]

    def keep_feed_of(self, practitioner_id: int) -> bool:
        """Creating or revoking ``practitioner_id``'s feed: an admin anyone's, a practitioner
        their own."""
        if not self.keep_feeds():
            return False
        allowed = self.feed_practitioners()
        return allowed is None or practitioner_id in allowed

    # Messaging

    def see_messages(self) -> bool:
        """The messaging monitor (queued, stuck and failed texts): admins and the front desk."""
        return self.role in OFFICE

    def retry_messages(self) -> bool:
        """Sending a failed text again: admins and the front desk."""
        return self.role in OFFICE

    def text_as_patient(self) -> bool:
        """Texting the clinic as any patient, where that is offered (development only):
        admins and the front desk, who see every patient's texts."""
        return self.role in OFFICE

    # Set-up and staff accounts

    def see_practitioner_list(self) -> bool:
        """The practitioner list with its licence warnings: every signed-in staff member."""
        return True

    def run_setup(self) -> bool:
        """The clinic's set-up (practitioners, hours, services, rooms, courses, rules,
        texts): admins only."""
        return self.role in ADMINS

    def administer_staff(self) -> bool:
        """Creating staff accounts, changing roles, deactivating and resetting passwords:
        admins only."""
        return self.role in ADMINS
