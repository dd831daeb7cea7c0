"""The implementation-space sessions feature: wires browse/register, facilitator actions and
views, outbox renderers, the periodic jobs, calendar and export routes, web registration pages
and personal data."""

from __future__ import annotations

from dialogs.sessions.calendar import calendar_routes
from dialogs.sessions.export import export_routes
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.sessions.admin import AdminActions
from dialogs.sessions.browse import BrowseActions
from dialogs.sessions.common import SessionsConfig, agenda_rows
from dialogs.sessions.delivery import SessionsDelivery
from dialogs.sessions.personal import SessionsPersonalData
from dialogs.sessions.qr import QrActions, qr_routes
from dialogs.sessions.samples import SessionSamples
from dialogs.sessions.views import ViewActions
from dialogs.sessions.web import WebRegistration
from dialogs.sessions.browse import RECENT
from storage.sessions import repository as repo
from storage.sessions.events import ANNOUNCEMENT, REMINDER, STARTING

TICK_SECONDS = 60
RETENTION_SECONDS = 3600
CARDS = ["session_list", "session_register", "session_confirmation", "session_mine", "session_reminder",
         "session_starting", "session_announcement", "session_edit", "session_manage", "session_cancel",
         "session_announce", "session_attendance", "session_plan", "session_qr", "notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = SessionsConfig.load(services.content)
    # Which reminder texts are needed depends on the configured offsets, not only on the code.
    services.content.require_texts([f"sessions.reminder.lead_{o.unit}" for o in config.rules.offsets])
    delivery = SessionsDelivery(services, config)
    views = ViewActions(services, config)
    browse = BrowseActions(services, config, delivery.starting_card)
    admin = AdminActions(services, config, views)
    qr = QrActions(services, config)
    ctx.registry.add(Feature(
        name="sessions",
        menu=[MenuEntry("sessions", "sessions.browse", order=100),
              MenuEntry("my_sessions", "sessions.mine", order=110)],
        actions={
            "sessions.browse": browse.browse, "sessions.mine": browse.mine,
            "sessions.register.form": browse.form, "sessions.register.submit": browse.submit,
            "sessions.withdraw": browse.withdraw, "sessions.unsubscribe": browse.unsubscribe,
            "sessions.subscribe": browse.subscribe,
            "sessions.here": browse.here,
            "sessions.manage": views.manage, "sessions.attendance": views.attendance,
            "sessions.attendance.save": views.attendance_save,
            "sessions.new": admin.new, "sessions.edit": admin.edit, "sessions.save": admin.save,
            "sessions.open": admin.open, "sessions.close": admin.close,
            "sessions.cancel": admin.cancel, "sessions.cancel.confirm": admin.cancel_confirm,
            "sessions.announce": admin.announce, "sessions.announce.send": admin.announce_send,
            "sessions.qr": qr.show_codes,
        },
        cards=CARDS,
    ))
    ctx.delivery.register(REMINDER, delivery.render_reminder)
    ctx.delivery.register(STARTING, delivery.render_starting)
    ctx.delivery.register(ANNOUNCEMENT, delivery.render_announcement)
    ctx.scheduler.every("sessions.tick", TICK_SECONDS, delivery.tick)
    services.personal_data.register(SessionsPersonalData(services, config).source())
    services.sample_data.register("sessions", SessionSamples(services, config).add)

    text = services.content.text

    def describe(space) -> str:
        agenda = "\n".join(f"{row['time']} {row['item']}" for row in agenda_rows(config, space.starts_at,
                                                                                  space.time_zone))
        return text("sessions.calendar.description", topic=space.topic or "-", presenters=space.presenters or "-",
                    agenda=agenda)

    WebRegistration(services, config, ctx.web, describe).add_routes()
    ctx.scheduler.every("sessions.web_retention", RETENTION_SECONDS, _forget_web_registrations(services),
                        run_at_start=False)
    calendar_routes(ctx.router, open_db=services.db, links=services.links, now=services.now,
                    describe=describe, name=lambda: config.series_name)
    export_routes(ctx.router, open_db=services.db, links=services.links, now=services.now,
                  configured_roles=services.configured_roles,
                  headers=lambda: [text(f"sessions.export.{k}") for k in EXPORT_COLUMNS],
                  yes=lambda: text("sessions.export.yes"), no=lambda: text("sessions.export.no"),
                  status_text=lambda s: text(f"sessions.mine_status.{s}"))
    qr_routes(ctx.router, open_db=services.db, links=services.links, now=services.now,
              configured_roles=services.configured_roles,
              title=lambda space, page: text(f"sessions.qr.{page}_alt", title=space.title))  # text-key: sessions.qr.*


def _forget_web_registrations(services):
    """What web registrants typed is kept as long as facilitators can reach the session's register
    and export (RECENT after it ends), then blanked: they have no "my data" to erase it from."""

    async def forget() -> None:
        async with services.db() as db, db.begin():
            await repo.forget_web_registrations(db, services.now() - RECENT)

    return forget


EXPORT_COLUMNS = ("name", "organisation", "role", "registered_at", "status", "attended")

