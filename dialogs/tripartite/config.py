"""content/tripartite/tripartite.yaml, validated at start-up (a broken file stops the bot, named)."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.shared.content import Content, ContentError, settings_file, whole_number
from storage.checkins.schedule import parse_time
from storage.tripartite.reminders import ReminderRules
from storage.tripartite.rules import ProbationPlan, TaskKind


@dataclass(frozen=True)
class TripartiteConfig:
    probation: ProbationPlan
    checklists: dict[TaskKind, tuple[str, ...]]
    comment_max: int
    reason_max: int
    reminders: ReminderRules
    hr_contact: str  # AAD object id or email; empty: none
    appraisal_ahead_days: int = 60

    @classmethod
    def from_content(cls, content: Content) -> "TripartiteConfig":
        raw, where = settings_file(content, "tripartite")
        probation = raw.get("probation")
        if not isinstance(probation, dict):
            raise ContentError(f"{where}: probation must be a mapping")
        months = probation.get("review_months")
        if not isinstance(months, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in months):
            raise ContentError(f"{where}: probation.review_months must be a list of whole months")
        try:
            plan = ProbationPlan(
                length_months=whole_number(probation, where, "length_months", 1, 24),
                review_months=tuple(months),
                final_days_before_end=whole_number(probation, where, "final_days_before_end", 0, 60),
                warning_days_before_end=whole_number(probation, where, "warning_days_before_end", 0, 90))
        except ValueError as exc:
            raise ContentError(f"{where}: probation: {exc}") from None
        lists = raw.get("checklists")
        if not isinstance(lists, dict) or set(lists) != {k.value for k in TaskKind} or not all(
                isinstance(v, list) and all(isinstance(i, str) and i.isidentifier() for i in v) for v in lists.values()):
            raise ContentError(f"{where}: checklists must list item keys for each of "
                               f"{', '.join(k.value for k in TaskKind)}")
        checklists = {TaskKind(k): tuple(v) for k, v in lists.items()}
        for items in checklists.values():
            for item in items:
                content.require_texts([f"tripartite.items.{item}"])
        reminders = raw.get("reminders")
        if not isinstance(reminders, dict):
            raise ContentError(f"{where}: reminders must be a mapping")
        send_at = parse_time(reminders.get("send_at"))
        hr_contact = reminders.get("hr_contact") or ""
        if send_at is None or not isinstance(hr_contact, str) or len(hr_contact) > 254:
            raise ContentError(f"{where}: reminders.send_at must be a time such as 09:00, "
                               "and reminders.hr_contact an AAD object id, an email or empty")
        escalate = whole_number(reminders, where, "hr_escalation_after_days", 0, 365)
        rules = ReminderRules(lead_days=whole_number(reminders, where, "lead_days", 1, 60),
                              overdue_every_days=whole_number(reminders, where, "overdue_every_days", 1, 60),
                              escalate_after_days=escalate or None, send_at=send_at)
        return cls(plan, checklists, whole_number(raw, where, "comment_max_chars", 50, 1000),
                   whole_number(raw, where, "reason_max_chars", 50, 500), rules, hr_contact.strip().lower(),
                   whole_number(raw, where, "appraisal_planned_days_before", 7, 180))
