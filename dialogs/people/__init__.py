"""Who supports whom: set up by an administrator or peer lead (people picker with a fallback list),
named by a worker and confirmed by the person named, or imported from a roster on the command line
(roster.py). People picked before they install are reached when they first appear, and whoever
set them up is told. Links end with their history kept; they imply the worker, line manager and
peer supervisor roles (storage.roles.roles_of). Storage is in storage/people/.
"""

from __future__ import annotations

from dialogs.people.delivery import PeopleDelivery
from dialogs.people.samples import PeopleSampleAdder
from dialogs.people.setup import MANAGERS, SetupActions
from dialogs.people.views import ViewActions
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.people.changes import CONFIRM_KIND, NOTICE_KIND
from storage.people.directory import peer_supervisor_of_user

CARDS = ["people_home", "people_setup", "people_request", "people_list", "people_confirm", "people_notice", "notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    setup, views, delivery = SetupActions(services), ViewActions(services), PeopleDelivery(services)
    ctx.registry.add(Feature(
        name="people",
        menu=[MenuEntry("people", "people.home", order=300),
              MenuEntry("people_admin", "people.find", order=301, roles=MANAGERS)],
        actions={
            "people.home": views.home, "people.find": views.find, "people.person": views.person,
            "people.setup": setup.form, "people.setup.save": setup.save,
            "people.request": setup.request_open, "people.request.save": setup.request_save,
            "people.confirm": views.confirm, "people.decline": views.decline, "people.end": views.end,
        },
        cards=CARDS,
    ))
    ctx.delivery.register(NOTICE_KIND, delivery.render_notice)
    ctx.delivery.register(CONFIRM_KIND, delivery.render_confirm)
    services.appearances.register(delivery.appeared)
    services.personal_data.register(delivery.personal_data())
    services.supervisors.provide(peer_supervisor_of_user)
    services.sample_data.register("people", PeopleSampleAdder(services).add)
