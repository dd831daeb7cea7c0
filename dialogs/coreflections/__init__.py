"""Co-reflections scheduled by peer leads: groups with an RRULE recurrence and a facilitators'
rota (setup.py), the group card, answers and "I'm here" (views.py), the register and moving or
cancelling one meeting (lead.py), invitations and reminders (delivery.py), each member's calendar
feed (calendar.py) and "my data" (personal.py). Storage is in storage/coreflections/."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.coreflections.calendar import feed_routes
from dialogs.coreflections.common import CoreflectionsConfig
from dialogs.coreflections.delivery import TICK_SECONDS, CoreflectionsDelivery
from dialogs.coreflections.lead import LeadActions
from dialogs.coreflections.personal import CoreflectionsPersonalData
from dialogs.coreflections.samples import CoreflectionSampleAdder
from dialogs.coreflections.setup import SetupActions
from dialogs.coreflections.views import ViewActions
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.coreflections import repository as repo
from storage.coreflections.events import INVITATION, REMINDER, ROTA, reach_person
from storage.coreflections.models import CoReflectionGroup
from storage.models import User
from storage.people.repository import person_of_user

CARDS = ["coreflection_home", "coreflection_form", "coreflection_group", "coreflection_invitation",
         "coreflection_reminder", "coreflection_register", "coreflection_occurrence", "coreflection_notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = CoreflectionsConfig.load(services.content)
    views = ViewActions(services, config)
    setup = SetupActions(services, config, views)
    lead = LeadActions(services, config)
    delivery = CoreflectionsDelivery(services, config)
    ctx.registry.add(Feature(
        name="coreflections",
        menu=[MenuEntry("coreflections", "coreflections.home", order=330)],
        actions={
            "coreflections.home": views.home, "coreflections.group": views.group,
            "coreflections.rsvp": views.rsvp, "coreflections.here": views.here,
            "coreflections.new": setup.new, "coreflections.create": setup.create,
            "coreflections.register": lead.register, "coreflections.register.save": lead.register_save,
            "coreflections.occurrence": lead.occurrence, "coreflections.move": lead.move,
            "coreflections.cancel": lead.cancel, "coreflections.cancel.confirm": lead.cancel_confirm,
        },
        cards=CARDS,
    ))
    ctx.delivery.register(INVITATION, delivery.render_invitation)
    ctx.delivery.register(REMINDER, delivery.render_reminder)
    ctx.delivery.register(ROTA, delivery.render_rota)
    ctx.scheduler.every("coreflections.tick", TICK_SECONDS, delivery.tick)
    services.personal_data.register(CoreflectionsPersonalData(services, config).source())
    services.sample_data.register("coreflections", CoreflectionSampleAdder(setup).add)

    async def appeared(db: AsyncSession, user: User) -> None:
        """Someone picked into a group before they installed: their invitations go now (the people
        feature's hook, registered earlier, has linked their Person to this User)."""
        person = await person_of_user(db, user.id)
        if person is not None:
            await reach_person(db, person.id, services.now())

    services.appearances.register(appeared)

    async def may_read(db: AsyncSession, group: CoReflectionGroup, person_id: str) -> bool:
        return group.active and (group.lead_id == person_id or await repo.membership(db, group.id, person_id) is not None)

    feed_routes(ctx.router, open_db=services.db, links=services.links, now=services.now, may_read=may_read,
                description=lambda group: services.content.text("coreflections.calendar.description",
                                                                url=group.joining_url))

