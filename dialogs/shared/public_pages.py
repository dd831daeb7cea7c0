"""Addresses of the public web pages (reached without Teams) that more than one feature links to.

The sessions feature puts them in QR codes and confirmation pages, and the feedback feature
serves the feedback page, so the links' purposes and paths live here, below both. A link names
a session and at most a random or keyed-hash nonce: never a person.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from dialogs.shared.content import Content
from dialogs.shared.links import LinkSigner
from storage.sessions.models import Meeting, SessionStatus

# The session's feedback page, shared on the closing slide: each browser that opens it is
# given its own single-use answer token (dialogs/feedback/web.py).
FEEDBACK_SESSION = "feedback_session"
FEEDBACK_SESSION_PATH = "/web/feedback/session/{token}"
# A single-use answer token: subject "<session id>:<origin>:<nonce>"; origin "q" (QR visit, the
# nonce bound to the browser's cookie) or "r" (registration, the nonce a keyed hash of it).
FEEDBACK_ANSWER = "feedback_answer"
FEEDBACK_ANSWER_PATH = "/web/feedback/answer/{token}"
NONCE_PURPOSE = "feedback_web_nonce"
# Longer than any feedback window (content/feedback/feedback.yaml allows up to 90 days): the
# page itself closes with the window, the link a little later.
FEEDBACK_LINK_DAYS = 91


def feedback_window(content: Content) -> timedelta:
    """How long after a session its feedback is taken (`window_days`, content/feedback/feedback.yaml).

    The feedback feature validates the setting at start-up (FeedbackConfig); the sessions feature
    reads it here to know when to show a registrant their feedback link.
    """
    return timedelta(days=int(content.data["feedback"]["window_days"]))


def feedback_page_open(space: Meeting, now: datetime, window: timedelta) -> bool:
    """The web feedback page is open from the session's start (the QR code is on its closing
    slide), not its end as the card is, until the card's window closes; never if cancelled."""
    return space.status != SessionStatus.CANCELLED and space.starts_at <= now < space.ends_at + window


def feedback_page_url(links: LinkSigner, session_id: str, session_ends_at: datetime) -> str:
    """The feedback page of one session, for a QR code."""
    token = links.token(FEEDBACK_SESSION, session_id, session_ends_at + timedelta(days=FEEDBACK_LINK_DAYS))
    return links.url(FEEDBACK_SESSION_PATH, token)


def nonce(links: LinkSigner, origin: str, value: str) -> str:
    """A keyed hash standing for one browser or one registration: it reveals neither."""
    key = links.derive_key(NONCE_PURPOSE)
    return hmac.new(key, f"{origin}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


def answer_token(links: LinkSigner, session_id: str, origin: str, value: str, session_ends_at: datetime) -> str:
    return links.token(FEEDBACK_ANSWER, f"{session_id}:{origin}:{nonce(links, origin, value)}",
                       session_ends_at + timedelta(days=FEEDBACK_LINK_DAYS))


def feedback_answer_url(links: LinkSigner, session_id: str, registration_id: str, session_ends_at: datetime) -> str:
    """The personal feedback link for a web registration's confirmation (page, email): one
    answer per registration, and nothing stored that says which registration answered."""
    return links.url(FEEDBACK_ANSWER_PATH, answer_token(links, session_id, "r", registration_id, session_ends_at))

