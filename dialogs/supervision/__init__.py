"""Recording supervision: the record form (form.py; the rules are in storage/supervision/), the other
party's confirmation or dispute with one reminder (confirm.py), who sees which records (views.py),
and "my data" (data.py).

Other features use `supervision.record` (card data {"type", "worker"} pre-fills the form; the
cadence feature's reminders press it) and storage.supervision.records.record_attendance (the
co-reflections feature's attendance).
"""

from __future__ import annotations

from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.supervision.common import SupervisionConfig
from dialogs.supervision.data import SupervisionData
from dialogs.supervision.form import RecordActions
from dialogs.supervision.samples import SupervisionSampleAdder
from dialogs.supervision.views import ViewActions
from storage.feedback.anonymise import load_word_lists
from storage.roles import Role
from storage.supervision.requests import ASK, DISPUTED, REMIND

TICK_SECONDS = 3600
CARDS = ["supervision_form", "supervision_notice", "supervision_request", "supervision_dispute",
         "supervision_list", "supervision_told"]
RECORDERS = (Role.WORKER, Role.PEER_SUPERVISOR, Role.LINE_MANAGER)


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = SupervisionConfig.from_content(services.content)
    record = RecordActions(services, config)
    views = ViewActions(services, config)
    load_word_lists()  # the scrubber's word lists, at start-up rather than on the first save
    ctx.registry.add(Feature(
        name="supervision",
        menu=[MenuEntry("supervision_mine", "supervision.mine", order=310),
              MenuEntry("supervision_record", "supervision.record", order=311, roles=RECORDERS),
              MenuEntry("supervision_team", "supervision.team", order=312,
                        roles=(Role.PEER_SUPERVISOR, Role.LINE_MANAGER))],
        actions={
            "supervision.record": record.form, "supervision.record.save": record.save,
            "supervision.confirm": views.confirm, "supervision.dispute": views.dispute,
            "supervision.mine": views.mine, "supervision.team": views.team,
        },
        cards=CARDS,
    ))
    ctx.delivery.register(ASK, views.render_ask)
    ctx.delivery.register(REMIND, views.render_remind)
    ctx.delivery.register(DISPUTED, views.render_disputed)
    ctx.scheduler.every("supervision.ask", TICK_SECONDS, views.tick)
    services.personal_data.register(SupervisionData(services, config).source())
    services.sample_data.register("supervision", SupervisionSampleAdder(services, config).add)
