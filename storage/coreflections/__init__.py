"""Co-reflection groups that peer leads schedule: models, recurrence, outbox events, attendance."""
