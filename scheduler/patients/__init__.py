"""Patients: personal links, consents, the staff directory and record, the patient's view."""
