"""Optional email confirmations, sent through an SMTP server when one is configured.

Nothing here blocks a page: `Mailer.send_registration` builds the message and puts it on a
bounded in-memory queue, and one background task sends it with `aiosmtplib`, retrying a few
times with growing pauses. Not the database outbox: that would keep the address and the text in
a table (personal data with its own retention) for a message whose content the confirmation
page and its .ics already gave the person. The cost, said plainly: an email still queued when
the process stops is not sent. Without SMTP settings nothing is queued and nothing fails.

Logs never hold the address, the name or the text: only that a message was sent or not and why
(the exception's type).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from dialogs.shared.content import Content

log = logging.getLogger(__name__)
SECURITY = ("starttls", "tls", "none")
QUEUE_LIMIT = 500
ATTEMPTS = 3


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send (bot.config.Settings.smtp builds and validates it)."""

    host: str
    port: int
    security: str  # "starttls" (port 587), "tls" (implicit, port 465) or "none" (loopback relays only)
    from_address: str
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 20.0


@dataclass(frozen=True)
class RegistrationMail:
    """What the web registration page knows after a successful registration."""

    to: str
    name: str
    title: str
    when: str
    waitlisted: bool
    manage_url: str
    ics: bytes
    feedback_url: str = ""  # the registration's own feedback link; only for a place, not the waitlist


def valid_address(text: str) -> bool:
    """Whether `text` is one plain address (no display name, no header tricks)."""
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, TypeError):
        return False
    return bool(address.username and address.domain) and address.addr_spec == text


class Mailer:
    def __init__(self, settings: SmtpSettings | None, content: Content | None = None, *,
                 queue_limit: int = QUEUE_LIMIT, attempts: int = ATTEMPTS, pause: float = 2.0) -> None:
        self._settings = settings
        self._content = content
        self._attempts, self._pause = attempts, pause
        self._queue: asyncio.Queue[EmailMessage] = asyncio.Queue(queue_limit)
        self._worker: asyncio.Task[None] | None = None

    @classmethod
    def disabled(cls) -> "Mailer":
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self._settings is not None and self._content is not None

    def registration_message(self, mail: RegistrationMail) -> EmailMessage:
        """The confirmation email with the session's .ics attached (texts from content/mail/)."""
        assert self._settings is not None and self._content is not None
        text = self._content.text
        kind = "waitlisted" if mail.waitlisted else "registered"
        message = EmailMessage()
        message["Subject"] = text(f"mail.registration.subject_{kind}", title=mail.title)  # text-key: mail.registration.subject_*
        message["From"] = self._settings.from_address
        message["To"] = mail.to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._settings.from_address.rsplit("@", 1)[-1])
        feedback = (text("mail.registration.feedback", url=mail.feedback_url),) if mail.feedback_url else ()
        message.set_content("\n\n".join((
            text("mail.registration.greeting", name=mail.name),
            text(f"mail.registration.{kind}", title=mail.title, when=mail.when),  # text-key: mail.registration.*
            text("mail.registration.calendar"),
            text("mail.registration.manage", url=mail.manage_url),
            *feedback,
            text("mail.registration.footer"))))
        message.add_attachment(mail.ics, maintype="text", subtype="calendar", filename="session.ics",
                               params={"method": "PUBLISH"})
        return message

    def send_registration(self, mail: RegistrationMail) -> bool:
        """Queue the confirmation; True once queued. Never waits for the SMTP server, never raises."""
        if not self.enabled:
            return False
        if not valid_address(mail.to):
            log.info("registration email not queued: not a plain email address")
            return False
        try:
            message = self.registration_message(mail)
        except (ValueError, TypeError) as exc:  # a header the email policy refuses (a line break)
            log.warning("registration email not built: %s", type(exc).__name__)
            return False
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("registration email dropped: the send queue is full")
            return False
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="mailer")
        return True

    async def _work(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self._deliver(message)
            finally:
                self._queue.task_done()

    async def _deliver(self, message: EmailMessage) -> None:
        smtp = self._settings
        assert smtp is not None
        for attempt in range(1, self._attempts + 1):
            try:
                await aiosmtplib.send(
                    message, hostname=smtp.host, port=smtp.port, username=smtp.user or None,
                    password=smtp.password or None, use_tls=smtp.security == "tls",
                    start_tls=smtp.security == "starttls", timeout=smtp.timeout)
                log.info("registration email sent")
                return
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                log.warning("registration email not sent (attempt %d of %d): %s",
                            attempt, self._attempts, type(exc).__name__)
                if attempt < self._attempts:
                    await asyncio.sleep(self._pause * attempt)

    async def drain(self) -> None:
        """Wait until every queued message was sent or given up on (tests, shutdown)."""
        await self._queue.join()

    async def close(self, grace: float = 5.0) -> None:
        """At shutdown: give queued messages `grace` seconds, then stop the sender."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self.drain(), grace)
        except asyncio.TimeoutError:
            log.warning("shutting down with %d registration emails unsent", self._queue.qsize())
        self._worker.cancel()
        self._worker = None
