"""Supervision cadences: due dates from confirmed records, reminders, escalation, compliance."""
