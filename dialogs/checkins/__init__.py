"""Daily debrief check-ins: private, at each worker's own time, with signposting on a hard day.

Wires the check-in (checkin.py), the schedule and prompt actions (plan.py), looking back
(history.py), the person's own data and CSV (data.py), outbox renderers and the hourly job
(delivery.py), and "my data". Storage is in storage/checkins/.
"""

from __future__ import annotations

from dialogs.checkins.common import SEAL_PURPOSE
from dialogs.checkins.config import CheckinsConfig
from dialogs.checkins.data import EXPORT_PATH, DataActions
from dialogs.checkins.delivery import CheckinDelivery
from dialogs.checkins.history import HistoryActions
from dialogs.checkins.plan import PlanActions
from dialogs.checkins.samples import CheckinSampleAdder
from dialogs.shared.context import scope_of
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.checkins.repository import plan_of
from storage.checkins.prompts import CONTACT_KIND, KINDS
from storage.checkins.sealing import Sealer

TICK_SECONDS = 3600
CARDS = ["checkin_form", "checkin_reply", "checkin_setup", "checkin_home", "checkin_history", "checkin_weekly",
         "checkin_contact", "checkin_data", "checkin_confirm", "notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = CheckinsConfig.from_content(services.content)
    sealer = Sealer(services.links.derive_key(SEAL_PURPOSE))
    checkin = CheckinDelivery(services, config, sealer)
    plan = PlanActions(services, config, sealer)
    history = HistoryActions(services, config, sealer)
    data = DataActions(services, config, sealer)

    async def start(turn_context) -> None:
        """Typing "check in": the card when a schedule is running, else the door to setting one up."""
        async with services.db() as db:
            current = await plan_of(db, scope_of(turn_context).actor.user_id)
        await (checkin.now_form if current is not None and current.active else plan.home)(turn_context)

    ctx.registry.add(Feature(
        name="checkins",
        menu=[MenuEntry("checkins", "checkins.home", order=50),
              MenuEntry("my_checkins", "checkins.history", order=60)],
        actions={
            "checkins.home": plan.home, "checkins.start": start, "checkins.setup": plan.setup,
            "checkins.setup.save": plan.save, "checkins.now": checkin.now_form, "checkins.submit": checkin.submit,
            "checkins.contact": checkin.contact, "checkins.skip": plan.skip, "checkins.snooze": plan.snooze,
            "checkins.pause": plan.pause, "checkins.resume": plan.resume, "checkins.stop": plan.stop,
            "checkins.history": history.history, "checkins.data": data.show_data,
            "checkins.delete": data.ask_delete, "checkins.delete.confirm": data.delete,
            "checkins.delete.keep": data.keep,
        },
        cards=CARDS,
        offline={"checkins.submit": checkin.offline_reply, "checkins.contact": lambda _data: checkin.offline_contact()},
    ))
    ctx.delivery.register(KINDS["prompt"], checkin.render_prompt)
    ctx.delivery.register(KINDS["snooze"], checkin.render_prompt)
    ctx.delivery.register(KINDS["weekly"], history.render_weekly)
    ctx.delivery.register(CONTACT_KIND, checkin.render_contact)
    ctx.scheduler.every("checkins.queue", TICK_SECONDS, checkin.tick)
    ctx.scheduler.every("checkins.retention", TICK_SECONDS, data.purge)
    services.personal_data.register(data.personal_data())
    ctx.router.add_get(EXPORT_PATH, data.export)
    services.sample_data.register("checkins", CheckinSampleAdder(services, config, sealer).add)
