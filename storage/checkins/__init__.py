"""Daily debrief check-ins: plans (when to ask), check-ins (sealed free text), the outbox side."""
