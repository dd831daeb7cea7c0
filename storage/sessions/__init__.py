"""Implementation-space sessions: models, the repository, outbox events and calendar rules."""
