"""Trying the bot locally: in local development mode the Playground's user is an administrator
and facilitator, and "sample data" fills every feature (idempotently, above the minimum group
size so the feedback report shows). Outside it nothing is offered and nothing is made."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import PLAYGROUND_USER_AAD_ID, load_settings
from dialogs.checkins.common import SEAL_PURPOSE
from dialogs.shared.samples import SampleData, SampleResult, SamplesRefused
from storage.checkins import repository as checkins_repo
from storage.checkins.models import Checkin, CheckinPlan
from storage.checkins.sealing import Sealer
from storage.feedback import reports
from storage.feedback.models import FeedbackReceipt, FeedbackResponse
from storage.feedback.you_said import FeedbackAction
from storage.models import OutboxMessage, User
from storage.roles import Actor, Role
from storage.sessions.models import Meeting, Registration, Series
from tests.conftest import make_settings, start_harness
from tests.edge.test_edge_security import (  # noqa: F401 - fixtures
    auth_settings, keys, make_harness, mint, openid, outgoing_tokens, post_authenticated,
)
from tests.factories import ALICE, Person, execute, message

PLAYGROUND = Person("user-id-0", PLAYGROUND_USER_AAD_ID, "Alex Wilber")
SECRET = "s" * 40
TABLES = (Series, Meeting, Registration, FeedbackResponse, FeedbackAction, Checkin, CheckinPlan, User, OutboxMessage)


async def _counts(h) -> dict[str, int]:
    async with h.components.services.db() as db:
        return {t.__name__: await db.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _texts(card) -> str:
    return str(card)


# --- roles --------------------------------------------------------------------------------------


def test_local_development_adds_the_playground_user_to_both_roles(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    local = load_settings(_env_file=None, dev_mode=True, database_url=url, admin_ids="aad-a")
    assert local.local_dev
    assert local.role_ids() == (["aad-a", PLAYGROUND_USER_AAD_ID], [PLAYGROUND_USER_AAD_ID])
    # A non-loopback host is put back on loopback in development mode, so it stays local.
    assert load_settings(_env_file=None, dev_mode=True, database_url=url, host="0.0.0.0").local_dev
    # With an app id requests are authenticated: not local development, no extra roles.
    with_app = load_settings(_env_file=None, dev_mode=True, database_url=url, app_id="app", app_password="p" * 40)
    production = load_settings(_env_file=None, database_url=url, app_id="app", app_password="p" * 40,
                               signing_secret=SECRET)
    for settings in (with_app, production):
        assert not settings.local_dev
        assert PLAYGROUND_USER_AAD_ID not in [*settings.role_ids()[0], *settings.role_ids()[1]]


async def test_the_playground_user_sees_admin_and_facilitator_entries_and_the_dev_notes(harness):
    await harness.install(PLAYGROUND)
    welcome = harness.connector.sent[-1].cards[0]
    assert "samples.add" in _texts(welcome) and "Development mode" in _texts(welcome)
    await harness.say("menu", PLAYGROUND)
    menu = _texts(harness.connector.sent[-1].cards[0])
    for verb in ("roles.show", "feedback.reports", "samples.add"):
        assert verb in menu
    await harness.say("menu", ALICE)  # anyone else holds no role
    assert "roles.show" not in _texts(harness.connector.sent[-1].cards[0])


# --- sample data --------------------------------------------------------------------------------


async def test_sample_data_fills_every_feature_once_and_the_report_shows(harness, clock):
    services = harness.components.services
    k = services.min_group_size
    await harness.say("hi", PLAYGROUND)
    body = await harness.press("samples.add", {}, PLAYGROUND)
    card = body["value"]
    assert "Sample data added" in _texts(card) and "administrator" in _texts(card)
    steps = {a["verb"] for a in card["body"][-1]["actions"]} | {
        a["verb"] for item in card["body"] if item.get("type") == "ActionSet" for a in item["actions"]}
    assert {"sessions.attendance", "sessions.register.form", "feedback.report.session", "checkins.history"} <= steps
    first = await _counts(harness)
    assert first["Meeting"] == 4 and first["FeedbackResponse"] == 3 * k and first["FeedbackAction"] == 1
    assert first["Checkin"] == 4 and first["CheckinPlan"] == 1

    # Asked again (typed this time): nothing more is made, and the card says so.
    await harness.say("sample data", PLAYGROUND)
    assert "already there" in _texts(harness.connector.sent[-1].cards[0])
    assert await _counts(harness) == first

    async with services.db() as db:
        me = await db.scalar(select(User).where(User.teams_id == PLAYGROUND.teams_id))
        by_title = {m.title: m for m in await db.scalars(select(Meeting))}
        closed = by_title["Sample: Peer supervision in practice"]
        figures = (await reports.figures_for(db, [closed.id], k))[closed.id]
        receipts = await db.scalar(select(func.count()).select_from(FeedbackReceipt))
        views = await checkins_repo.history(db, Sealer(services.links.derive_key(SEAL_PURPOSE)), me.id)
    # Above the minimum group size: shown, with bands for every question, themes, topics and quotes.
    assert figures.shown and figures.responses == 3 * k
    assert set(figures.ratings) == {"overall", "presentation", "discussion"}
    assert [g.key for g in figures.ratings["overall"]] == ["low", "middle", "high"]
    assert {"supervision", "wellbeing", "training"} <= set(figures.themes) and figures.quotes
    assert figures.topics.get("recruitment") == 2 * k
    assert receipts == 0, "a closed window keeps no link from anyone to an answer"
    assert any(v.text.went_well for v in views), "check-ins open with the owner's key"

    # Every path the samples are for works: the report, the feedback form, the register.
    report = (await harness.press("feedback.report.session", {"session": closed.id}, PLAYGROUND))["value"]
    assert "Peer supervision" in _texts(report) and "Breakout rooms now start" in _texts(report)
    form = (await harness.press("feedback.list", {}, PLAYGROUND))["value"]
    assert "Sample: Recovery stories in team meetings" in _texts(form)
    now = by_title["Sample: Co-production in service design"]
    async with services.db() as db:
        ids = [r.id for r in await db.scalars(select(Registration).where(Registration.session_id == now.id))]
    saved = (await harness.press("sessions.attendance.save", {"session_id": now.id, "attended": ",".join(ids[:3])},
                                 PLAYGROUND))["value"]
    assert "not open" not in _texts(saved)
    async with services.db() as db:
        marked = await db.scalar(select(func.count()).select_from(Registration).where(
            Registration.session_id == now.id, Registration.attended_at.is_not(None)))
    assert marked == 3


async def test_a_second_person_gets_their_own_check_ins_and_no_more_sessions(harness):
    await harness.say("hi", PLAYGROUND)
    await harness.press("samples.add", {}, PLAYGROUND)
    before = await _counts(harness)
    await harness.say("hi", ALICE)
    card = (await harness.press("samples.add", {}, ALICE))["value"]
    assert "hold no role" in _texts(card)
    after = await _counts(harness)
    assert after["Meeting"] == before["Meeting"] and after["FeedbackResponse"] == before["FeedbackResponse"]
    assert after["Checkin"] == 2 * before["Checkin"] and after["CheckinPlan"] == 2


@pytest.mark.parametrize("k", [3, 7])
async def test_the_report_shows_whatever_the_minimum_group_size(db_url, connector, clock, k):
    h = await start_harness(make_settings(db_url, min_group_size=k), connector, clock)
    try:
        await h.say("hi", PLAYGROUND)
        await h.press("samples.add", {}, PLAYGROUND)
        async with h.components.services.db() as db:
            closed = await db.scalar(select(Meeting).where(Meeting.ends_at < clock.now() - timedelta(days=14)))
            figures = (await reports.figures_for(db, [closed.id], k))[closed.id]
        assert figures.shown and len(figures.ratings) == 3 and figures.themes
    finally:
        await h.client.close()


# --- never outside local development ------------------------------------------------------------


async def test_the_registry_refuses_unless_built_enabled():
    called = []

    async def adder(db, actor, clock):
        called.append(actor)
        return SampleResult(["made"])

    registry = SampleData(enabled=False)
    registry.register("x", adder)
    with pytest.raises(SamplesRefused):
        await registry.add_all(None, Actor("u", "a", frozenset({Role.ADMIN})), None)
    assert called == []


async def test_outside_development_mode_nothing_is_offered_or_made(make_harness, openid, keys,  # noqa: F811
                                                                    outgoing_tokens):  # noqa: F811
    h = await make_harness(**auth_settings(openid))
    services = h.components.services
    assert not services.local_dev and not services.sample_data.enabled
    token = mint(keys.signing, h.connector.url)
    await post_authenticated(h, message("menu", PLAYGROUND, service_url=h.connector.url), token)
    menu = _texts(h.connector.sent[-1].cards[0])
    assert "samples.add" not in menu and "roles.show" not in menu, "no sample data, no roles for the Playground id"
    before = await _counts(h)
    await post_authenticated(h, message("sample data", PLAYGROUND, service_url=h.connector.url), token)
    assert "No sample data here" in _texts(h.connector.sent[-1].cards[0])
    resp = await post_authenticated(h, execute("samples.add", {}, PLAYGROUND, service_url=h.connector.url), token)
    assert "nothing was added" in _texts(await resp.json())
    assert await _counts(h) == before


async def test_the_welcome_card_has_no_dev_notes_outside_development_mode(make_harness, openid, keys,  # noqa: F811
                                                                          outgoing_tokens):  # noqa: F811
    h = await make_harness(**auth_settings(openid))
    card = h.components.bot._menu.welcome_card()
    assert "samples.add" not in _texts(card) and "Development mode" not in _texts(card)
