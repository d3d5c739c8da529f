"""Twilio's webhooks: delivery reports and patients' texts, each signature-checked."""
