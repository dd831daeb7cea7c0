"""Supervision cadences: due dates from confirmed records, reminders to both parties a week before
and on the day (with "record it" and "add to calendar"), escalation when overdue, a weekly digest
for those who choose it, and compliance figures for the people entitled to them.

Rules are in storage/cadence/ (no SDK); settings in content/cadence/cadence.yaml. Recording a
supervision is the supervision feature's (`supervision.record`); absences that pause due dates
come through `services.absences` (storage/absences.py), filled by the tripartite feature.
"""

from __future__ import annotations

from dialogs.cadence.compliance import EXPORT_PATH, ComplianceView
from dialogs.cadence.config import CadenceConfig
from dialogs.cadence.preferences import SUPPORTERS, Preferences
from dialogs.cadence.reminders import ICS_PATH, Reminders
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.cadence import queue
from storage.cadence.compliance import ENTITLED

TICK_SECONDS = 3600
CARDS = ["cadence_reminder", "cadence_digest", "cadence_preferences", "cadence_compliance", "notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = CadenceConfig.from_content(services.content)
    reminders = Reminders(services, config)
    view = ComplianceView(services, config)
    preferences = Preferences(services, config)
    ctx.registry.add(Feature(
        name="cadence",
        menu=[MenuEntry("supervision_compliance", "cadence.compliance", order=320, roles=ENTITLED),
              MenuEntry("supervision_reminders", "cadence.reminders", order=321, roles=SUPPORTERS)],
        actions={"cadence.compliance": view.show, "cadence.reminders": preferences.home,
                 "cadence.reminders.save": preferences.save},
        cards=CARDS,
    ))
    ctx.delivery.register(queue.REMINDER, reminders.render_reminder)
    ctx.delivery.register(queue.ESCALATION, reminders.render_escalation)
    ctx.delivery.register(queue.DIGEST, reminders.render_digest)
    ctx.scheduler.every("cadence.queue", TICK_SECONDS, reminders.tick)
    services.personal_data.register(preferences.personal_data())
    ctx.router.add_get(EXPORT_PATH, view.export)
    ctx.router.add_get(ICS_PATH, reminders.calendar_file)
