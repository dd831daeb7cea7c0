"""Addresses of the public web pages (reached without Teams) that more than one feature links to.

The sessions feature puts them in QR codes and the feedback feature serves the page, so the
link's purpose and path live here, below both. A link names only the session (no person).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.shared.links import LinkSigner

# The session's feedback page, shared on the closing slide: each visit is given its own
# single-use token (dialogs/feedback/web.py).
FEEDBACK_SESSION = "feedback_session"
FEEDBACK_SESSION_PATH = "/feedback/session/{token}"
# Longer than any feedback window (content/feedback/feedback.yaml allows up to 90 days): the
# page itself closes with the window, the link a little later.
FEEDBACK_LINK_DAYS = 91
REGISTER_PAGE = "register_page"
REGISTER_PAGE_PATH = "/register/{token}"


def feedback_page_url(links: LinkSigner, session_id: str, session_ends_at: datetime) -> str:
    """The feedback page of one session, for a QR code or a confirmation page."""
    token = links.token(FEEDBACK_SESSION, session_id, session_ends_at + timedelta(days=FEEDBACK_LINK_DAYS))
    return links.url(FEEDBACK_SESSION_PATH, token)


def registration_page_url(links: LinkSigner, session_id: str, session_starts_at: datetime) -> str:
    """The public registration page of one session (served by the web registration pages)."""
    return links.url(REGISTER_PAGE_PATH, links.token(REGISTER_PAGE, session_id, session_starts_at))
