"""The implementation-space sessions feature: wires browse/register, facilitator actions and
views, outbox renderers, the periodic job, calendar and export routes, and personal data."""

from __future__ import annotations

from dialogs.sessions.calendar import calendar_routes
from dialogs.sessions.export import export_routes
from dialogs.shared.inputs import CONTROL_CHARACTERS
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from dialogs.sessions.admin import AdminActions
from dialogs.sessions.browse import BrowseActions
from dialogs.sessions.common import SessionsConfig, agenda_rows
from dialogs.sessions.delivery import SessionsDelivery
from dialogs.sessions.personal import SessionsPersonalData
from dialogs.sessions.views import ViewActions
from storage.sessions.models import RegistrationStatus, SessionStatus
from storage.sessions.events import ANNOUNCEMENT, REMINDER, STARTING

TICK_SECONDS = 60
CARDS = ["session_list", "session_register", "session_confirmation", "session_mine", "session_reminder",
         "session_starting", "session_announcement", "session_edit", "session_manage", "session_cancel",
         "session_announce", "session_attendance", "session_plan", "notice"]


def install(ctx: FeatureContext) -> None:
    services = ctx.services
    config = SessionsConfig.load(services.content)
    delivery = SessionsDelivery(services, config)
    views = ViewActions(services, config)
    browse = BrowseActions(services, config, delivery.starting_card)
    admin = AdminActions(services, config, views)
    ctx.registry.add(Feature(
        name="sessions",
        menu=[MenuEntry("sessions", "sessions.browse", order=100),
              MenuEntry("my_sessions", "sessions.mine", order=110)],
        actions={
            "sessions.browse": browse.browse, "sessions.mine": browse.mine,
            "sessions.register.form": browse.form, "sessions.register.submit": browse.submit,
            "sessions.withdraw": browse.withdraw, "sessions.unsubscribe": browse.unsubscribe,
            "sessions.here": browse.here,
            "sessions.manage": views.manage, "sessions.attendance": views.attendance,
            "sessions.attendance.save": views.attendance_save,
            "sessions.new": admin.new, "sessions.edit": admin.edit, "sessions.save": admin.save,
            "sessions.open": admin.open, "sessions.close": admin.close,
            "sessions.cancel": admin.cancel, "sessions.cancel.confirm": admin.cancel_confirm,
            "sessions.announce": admin.announce, "sessions.announce.send": admin.announce_send,
        },
        texts=_texts(config),
        cards=CARDS,
    ))
    ctx.delivery.register(REMINDER, delivery.render_reminder)
    ctx.delivery.register(STARTING, delivery.render_starting)
    ctx.delivery.register(ANNOUNCEMENT, delivery.render_announcement)
    ctx.scheduler.every("sessions.tick", TICK_SECONDS, delivery.tick)
    services.personal_data.register(SessionsPersonalData(services, config).source())

    text = services.content.text

    def describe(space) -> str:
        agenda = "\n".join(f"{row['time']} {row['item']}" for row in agenda_rows(config, space.starts_at,
                                                                                  space.time_zone))
        return text("sessions.calendar.description", topic=space.topic or "-", presenters=space.presenters or "-",
                    agenda=agenda)

    calendar_routes(ctx.router, sessions=services.sessions, links=services.links, now=services.now,
                    describe=describe, name=lambda: config.series_name)
    export_routes(ctx.router, sessions=services.sessions, links=services.links, now=services.now,
                  configured_roles=services.configured_roles,
                  headers=lambda: [text(f"sessions.export.{k}") for k in EXPORT_COLUMNS],
                  yes=lambda: text("sessions.export.yes"), no=lambda: text("sessions.export.no"),
                  status_text=lambda s: text(f"sessions.mine_status.{s}"))


EXPORT_COLUMNS = ("name", "organisation", "role", "registered_at", "status", "attended")


def _texts(config: SessionsConfig) -> list[str]:
    keys = [f"sessions.status.{s}" for s in SessionStatus]
    keys += [f"sessions.mine_status.{s}" for s in RegistrationStatus]
    keys += [f"sessions.reminder.lead_{o.unit}" for o in config.rules.offsets]
    keys += [f"sessions.export.{k}" for k in (*EXPORT_COLUMNS, "yes", "no")]
    keys += [f"sessions.{k}" for k in (
        "format.when", "places_left", "full", "recorded.yes", "recorded.no", "none_upcoming", "zone_note",
        "mine_none", "withdrawn", "unsubscribed", "here_recorded", "calendar.description",
        "titles.unknown", "titles.not_recorded",
        "confirm.registered_title", "confirm.waitlisted_title", "confirm.updated_title", "confirm.registered",
        "confirm.waitlisted", "confirm.link_later", "confirm.access_noted",
        "notices.promoted_title", "notices.promoted", "notices.moved_title", "notices.moved",
        "notices.cancelled_title", "notices.cancelled",
        "starting.recorded", "starting.not_recorded", "starting.support",
        "plan.quarter", "plan.title", "plan.text", "plan.no_proposal",
        "my_data.line", "my_data.detail", "my_data.attended",
        "admin.new_title", "admin.edit_title", "admin.zone_note", "admin.saved", "admin.opened", "admin.closed",
        "admin.cancelled", "admin.announced", "admin.unnamed_channel", "admin.no_channels",
        "admin.subscriber_count",
        "view.counts", "view.no_limit", "view.no_access_needs", "view.export_note", "view.nobody_yet",
        "view.person", "view.more", "view.saved")]
    keys += [f"sessions.errors.{k}" for k in (
        "name", "name_long", "organisation", "organisation_long", "role", "role_long", "reason", "reason_long",
        "hopes", "hopes_long", "access_needs", "access_needs_long", "title", "title_long", "topic", "topic_long",
        "presenters", "presenters_long", "unknown_session", "not_open", "not_registered", "not_now",
        "clock_change", "date_time", "in_past", "end_time", "joining_url", "capacity", "not_editable",
        "channel", "no_audience", "unknown_person")]
    keys += [f"sessions.fields.{k}" for k in (
        "name", "organisation", "role", "reason", "hopes", "access_needs", "title", "topic", "presenters",
        "joining_url")]
    keys += [f"my_data.labels.{k}" for k in (
        "session_registration", "session_updates", "sessions_created", "attendance_marked")]
    keys += [CONTROL_CHARACTERS]
    return keys
