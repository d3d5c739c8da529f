"""Texts: the outbox, when each is due, their words, sending, delivery and replies."""
