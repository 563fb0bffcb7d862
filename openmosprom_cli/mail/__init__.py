"""Roster emails: composing them, the outbox state machine and the SMTP transport."""
