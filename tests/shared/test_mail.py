"""Email confirmations against a real SMTP server (aiosmtpd on loopback): the message arrives with
its .ics, nothing is sent without settings, a failing server is logged without the address or
the text and never reaches the caller, and the settings are validated at start-up."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from bot.config import SettingsError
from dialogs.shared.mail import Mailer, RegistrationMail, SmtpSettings, valid_address
from tests.conftest import make_settings
from tests.shared.test_cards_render import content

ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:x@peerspace\r\n"
       b"DTSTAMP:20261201T090000Z\r\nDTSTART:20261211T140000Z\r\nSUMMARY:Session\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
SLOW = 1.0  # seconds the slow server takes per message; queueing must take far less
MAIL = RegistrationMail(to="sian.oconnor@somerset.nhs.uk", name="Siân O'Connor", title="Peer Support Implementation Space",
                        when="Friday 11 December 2026, 14:00 to 16:00", waitlisted=False,
                        manage_url="https://peerspace.example/register/manage/abc", ics=ICS,
                        feedback_url="https://peerspace.example/web/feedback/answer/xyz")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(port: int) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, "none", "peerspace@trust.nhs.uk", timeout=2.0)


async def test_confirmation_arrives_with_the_calendar_file(smtp_server):
    controller, inbox = smtp_server
    mailer = Mailer(settings_for(controller.port), content())
    started = time.perf_counter()
    assert mailer.send_registration(MAIL) is True
    assert time.perf_counter() - started < SLOW / 2, "queued, not sent while the page waits"
    await asyncio.wait_for(mailer.drain(), 10)
    await mailer.close()
    [message] = inbox.messages
    assert inbox.envelopes == [("peerspace@trust.nhs.uk", [MAIL.to])]
    assert message["Subject"] == "Your place: Peer Support Implementation Space"
    assert message["To"] == MAIL.to and message["Message-ID"]
    body = message.get_body(("plain",)).get_content()
    assert "Hello Siân O'Connor," in body and MAIL.when in body and MAIL.manage_url in body
    assert MAIL.feedback_url in body and "anonymous" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "session.ics"
    raw = attachment.get_content()
    event = Calendar.from_ical(raw if isinstance(raw, bytes) else raw.encode()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Session"


async def test_waitlist_confirmation_says_so(smtp_server):
    controller, inbox = smtp_server
    mailer = Mailer(settings_for(controller.port), content())
    mailer.send_registration(RegistrationMail(**{**MAIL.__dict__, "waitlisted": True, "feedback_url": ""}))
    await asyncio.wait_for(mailer.drain(), 10)
    await mailer.close()
    assert inbox.messages[0]["Subject"].startswith("You are on the waitlist")
    assert "/feedback/" not in inbox.messages[0].get_body(("plain",)).get_content(), "no place, no feedback link"


async def test_nothing_is_sent_without_smtp_settings(smtp_server):
    _, inbox = smtp_server
    mailer = Mailer(make_settings("sqlite+aiosqlite://").smtp(), content())
    assert not mailer.enabled and mailer.send_registration(MAIL) is False
    assert Mailer.disabled().send_registration(MAIL) is False
    await asyncio.sleep(0.1)
    assert inbox.messages == []


async def test_a_failing_server_is_logged_without_the_address_or_text(caplog):
    caplog.set_level(logging.INFO)
    mailer = Mailer(settings_for(_free_port()), content(), attempts=2, pause=0.01)  # nobody listening
    assert mailer.send_registration(MAIL) is True, "the caller (the registration page) carries on"
    await asyncio.wait_for(mailer.drain(), 10)
    await mailer.close()
    failures = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert len(failures) == 2, "each attempt is logged"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (MAIL.to, "sian", "Siân", MAIL.manage_url, "Your place"):
        assert secret not in logged


@pytest.mark.parametrize("to", ["not an address", "a@b.example\r\nBcc: x@y.example", "Name <a@b.example>", ""])
async def test_header_tricks_and_non_addresses_are_not_queued(smtp_server, to):
    controller, inbox = smtp_server
    mailer = Mailer(settings_for(controller.port), content())
    assert mailer.send_registration(RegistrationMail(**{**MAIL.__dict__, "to": to})) is False
    assert not valid_address(to)


async def test_a_slow_server_never_delays_the_caller(smtp_server):
    controller, inbox = smtp_server
    mailer = Mailer(SmtpSettings("127.0.0.1", controller.port, "none", "peerspace@trust.nhs.uk", timeout=30), content())
    original = inbox.handle_DATA

    async def slow(*args):
        await asyncio.sleep(SLOW)
        return await original(*args)

    inbox.handle_DATA = slow
    started = time.perf_counter()
    for _ in range(3):
        assert mailer.send_registration(MAIL)
    assert time.perf_counter() - started < SLOW / 2, "three queued in less time than one slow send"
    await asyncio.wait_for(mailer.drain(), 60)
    await mailer.close()
    assert len(inbox.messages) == 3


@pytest.mark.parametrize("overrides, named", [
    ({"smtp_host": "smtp.trust.nhs.uk"}, "SMTP_FROM"),
    ({"smtp_host": "smtp.trust.nhs.uk", "smtp_from": "Peer <p@trust.nhs.uk>"}, "SMTP_FROM"),
    ({"smtp_host": "smtp.trust.nhs.uk", "smtp_from": "p@trust.nhs.uk", "smtp_security": "ssl"}, "SMTP_SECURITY"),
    ({"smtp_host": "smtp.trust.nhs.uk", "smtp_from": "p@trust.nhs.uk", "smtp_security": "none"}, "SMTP_SECURITY"),
    ({"smtp_host": "smtp.trust.nhs.uk", "smtp_from": "p@trust.nhs.uk", "smtp_user": "u"}, "SMTP_PASSWORD"),
    ({"smtp_from": "p@trust.nhs.uk"}, "SMTP_HOST"),
    ({"smtp_host": "smtp.trust.nhs.uk", "smtp_from": "p@trust.nhs.uk", "smtp_port": 0}, "port"),
])
def test_smtp_settings_are_validated_at_start_up(overrides, named):
    with pytest.raises(SettingsError, match=named):
        make_settings("sqlite+aiosqlite://", **overrides)


def test_valid_smtp_settings_are_built():
    settings = make_settings("sqlite+aiosqlite://", smtp_host="smtp.trust.nhs.uk", smtp_port=465,
                             smtp_security="tls", smtp_from="peerspace@trust.nhs.uk", smtp_user="u",
                             smtp_password="p" * 20)
    smtp = settings.smtp()
    assert smtp is not None and (smtp.host, smtp.port, smtp.security) == ("smtp.trust.nhs.uk", 465, "tls")
    assert "p" * 20 not in repr(smtp) and "p" * 20 not in repr(settings)
