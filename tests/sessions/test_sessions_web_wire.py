"""The web pages wired together: the web registration's optional confirmation email (against a
real SMTP server on loopback: asked only when SMTP is configured, checked beside its field, sent
once with the .ics and the personal link, never stored or logged), the registrant's feedback link
on their page, and one "Public pages" section on the manage card."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from icalendar import Calendar

from storage.sessions.models import Meeting, Registration
from tests.conftest import BotHarness, make_settings, start_harness
from tests.edge.fixtures import snapshot
from tests.feedback.web_helpers import get_form, open_session, post_answers
from tests.factories import FACILITATOR
from tests.sessions.test_sessions_register import actions, card_of, first_session, nodes, rows, texts
from tests.sessions.web_helpers import WEB_FORM, post_form, public_path, web_register
from tests.shared.test_mail import smtp_server  # noqa: F401 - the fixture

ADDRESS = "dana.outside@mersey.example.org"
# aiosmtpd is the test's SMTP server, not the bot: its own log may name the envelope.
SERVER_LOGGER = "mail.log"


@pytest.fixture
async def mail_harness(db_url, connector, clock, smtp_server) -> AsyncIterator[tuple[BotHarness, object]]:  # noqa: F811
    controller, inbox = smtp_server
    settings = make_settings(db_url, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
                             smtp_from="peerspace@trust.nhs.uk")
    h = await start_harness(settings, connector, clock)
    yield h, inbox
    await h.client.close()


async def _sent(harness: BotHarness) -> None:
    await asyncio.wait_for(harness.components.services.mail.drain(), 20)


async def test_a_registration_with_an_email_sends_one_confirmation_with_the_ics_and_the_link(
        mail_harness, clock, caplog):
    harness, inbox = mail_harness
    sid = await first_session(harness)
    form = await (await harness.client.get(public_path(harness, sid))).text()
    assert 'name="email"' in form and 'autocomplete="email"' in form and "not stored or logged" in form
    with caplog.at_level(logging.DEBUG):
        mine = await web_register(harness, sid, email=f"  {ADDRESS} ")
        await _sent(harness)
    [message] = inbox.messages
    assert message["To"] == ADDRESS and message["Subject"].startswith("Your place:")
    body = message.get_body(("plain",)).get_content()
    manage = harness.components.services.links.base_url + mine
    assert manage in body and "Dana Outside" in body
    # Their own feedback link (anonymous, one answer), opening when the session starts.
    feedback = body.split("/web/feedback/answer/", 1)[1].split()[0]
    async with harness.components.services.db() as db:
        space = await db.get(Meeting, sid)
    clock.set(space.starts_at + timedelta(minutes=5))
    status, form = await get_form(harness.client, f"/web/feedback/answer/{feedback}")
    assert status == 200 and "Overall, how was the session?" in form
    [attachment] = list(message.iter_attachments())
    raw = attachment.get_content()
    event = Calendar.from_ical(raw if isinstance(raw, bytes) else raw.encode()).walk("VEVENT")[0]
    triggers = sorted(a.decoded("trigger") for a in event.walk("VALARM"))
    assert triggers == [-timedelta(days=1), -timedelta(hours=1)]
    assert (await harness.client.get(mine)).status == 200, "the emailed link is the personal page"

    tables = await snapshot(harness)
    assert any("Dana Outside" in row for row in tables["registrations"]), "the dump does hold the rows"
    for secret in (ADDRESS, ADDRESS.split("@")[0], "mersey.example.org"):
        assert not [name for name, dumped in tables.items() if any(secret in row for row in dumped)]
        assert not [r.name for r in caplog.records if r.name != SERVER_LOGGER and secret in r.getMessage()]


async def test_no_email_is_sent_without_the_field(mail_harness):
    harness, inbox = mail_harness
    sid = await first_session(harness)
    await web_register(harness, sid)
    await web_register(harness, sid, name="Eve Blank", email="   ")
    await _sent(harness)
    assert inbox.messages == [] and len(await rows(harness, Registration)) == 2


@pytest.mark.parametrize("address", ["not an address", "dana@", "Dana <dana@mersey.example.org>",
                                     "a@b.example\r\nBcc: x@y.example", "x" * 250 + "@b.example"])
async def test_a_bad_address_is_refused_beside_its_field_and_nothing_is_registered(mail_harness, address):
    harness, inbox = mail_harness
    sid = await first_session(harness)
    answer = await post_form(harness.client, public_path(harness, sid), {**WEB_FORM, "email": address})
    html = await answer.text()
    assert answer.status == 400 and 'id="field-email-error"' in html and 'href="#field-email"' in html
    assert "Enter one email address" in html and 'value="Dana Outside"' in html, "what was typed stays"
    await _sent(harness)
    assert await rows(harness, Registration) == [] and inbox.messages == []


async def test_without_smtp_the_field_is_not_offered_and_a_posted_address_is_ignored(harness):
    sid = await first_session(harness)
    form = await (await harness.client.get(public_path(harness, sid))).text()
    assert 'name="email"' not in form and "Email address" not in form
    await web_register(harness, sid, email=ADDRESS)
    tables = await snapshot(harness)
    assert not [name for name, dumped in tables.items() if any(ADDRESS in row for row in dumped)]


async def test_the_feedback_link_shows_from_the_start_and_answers_once(harness, clock):
    sid = await first_session(harness)
    mine = await web_register(harness, sid)
    waiting = await web_register(harness, sid, name="Eve Cancelled")
    await post_form(harness.client, waiting + "/cancel", {}, token_from=waiting + "/cancel")
    assert "Give feedback" not in await (await harness.client.get(mine)).text(), "not before the start"

    space = await open_session(harness, clock, sid, after_start=timedelta(minutes=5))
    page = await (await harness.client.get(mine)).text()
    assert "Give feedback on this session" in page
    assert "Give feedback" not in await (await harness.client.get(waiting)).text(), "not once cancelled"
    link = page.split('href="/web/feedback/answer/', 1)[1].split('"', 1)[0]
    status, form = await get_form(harness.client, f"/web/feedback/answer/{link}")
    assert status == 200 and "Overall, how was the session?" in form
    assert (await post_answers(harness.client, form))[0] == 200
    harness.client.session.cookie_jar.clear()
    status, again = await get_form(harness.client, f"/web/feedback/answer/{link}")
    assert status == 409 and "already answered" in again, "once per registration, from any browser"

    clock.set(space.ends_at + timedelta(hours=23))
    assert "Give feedback" in await (await harness.client.get(mine)).text(), "open after the end too"
    # The personal link lasts while feedback is taken (14 days), not only a day.
    assert "Mersey Care NHS FT" in await (await harness.client.get(mine)).text()
    clock.set(space.ends_at + timedelta(days=13))
    later = await (await harness.client.get(mine)).text()
    assert "Give feedback" in later, "the link still works"
    assert "Mersey Care NHS FT" not in later and "Captions please" not in later, "not what they typed"
    clock.set(space.ends_at + timedelta(days=14, minutes=1))
    assert (await harness.client.get(mine)).status == 410


async def test_the_manage_card_has_one_public_pages_section_with_the_link_and_the_qr_codes(harness):
    sid = await first_session(harness)
    await harness.say("hi", FACILITATOR)
    card = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    [section] = [n for n in nodes(card) if n.get("type") == "Container"
                 and "Public pages" in texts(n) and n.get("items")]
    titles = [a.get("title") for a in actions(section)]  # an Execute's Submit fallback repeats its title
    assert list(dict.fromkeys(titles)) == ["Open the web registration page", "QR codes for the closing slide"]
    assert "register/" in texts(section), "the link's address, to copy"
    qr = [a for a in actions(card) if a.get("verb") == "sessions.qr" and a["type"] == "Action.Execute"]
    assert len(qr) == 1, "one QR button, in that section"
