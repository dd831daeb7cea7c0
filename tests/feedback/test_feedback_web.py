"""The anonymous feedback page: open from the QR code's link, answer once per browser or per
registration with a single-use token, errors beside their fields, and an answer stored exactly as
a card answer is (same table, scrubbed, no person, no token, no cookie)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from dialogs.shared.public_pages import answer_token, feedback_answer_url
from storage.feedback.models import FeedbackReceipt, FeedbackResponse
from storage.sessions.models import Meeting, SessionStatus
from tests.edge.fixtures import snapshot
from tests.feedback.web_helpers import ANSWERS, get_form, hidden, open_session, post_answers, qr_path
from tests.sessions.test_sessions_register import first_session, register


async def responses(harness) -> list[FeedbackResponse]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(FeedbackResponse)))


async def test_qr_visit_answers_once_and_is_stored_like_a_card_answer(harness, clock):
    sid = await first_session(harness)
    await register(harness, sid, name="Siân O'Connor")
    space = await open_session(harness, clock, sid)
    status, html = await get_form(harness.client, qr_path(harness, space))
    assert status == 200 and "Overall, how was the session?" in html
    before = await snapshot(harness)
    status, page = await post_answers(harness.client, html, helpful="Siân O'Connor ran the small groups")
    assert status == 200 and "Thank you for your feedback" in page
    assert "at least 4\nother people" in page or "at least 4 other" in page
    [row] = await responses(harness)
    assert (row.session_id, row.overall, row.presentation, row.discussion) == (sid, 4, 5, 3)
    assert row.topics == ["supervision"] and row.better_text == "More time"
    assert "Siân" not in row.helpful_text and "small groups" in row.helpful_text, "scrubbed as on the card"
    after = await snapshot(harness)
    changed = {t for t in after if after[t] != before[t]}
    assert changed == {"feedback_responses", "feedback_receipts"}, "nothing else records the visit"
    token, stored = hidden(html, "answer"), "\n".join(after["feedback_responses"] + after["feedback_receipts"])
    for secret in (token, token.split(".")[0], harness.client.session.cookie_jar.filter_cookies(
            harness.client.make_url("/web/")).get("ps_visitor").value):
        assert secret not in stored

    status, again = await post_answers(harness.client, html, overall="1")
    assert status == 409 and "already answered" in again, "a replayed token is refused"
    status, revisit = await get_form(harness.client, qr_path(harness, space))
    assert status == 409 and "already answered" in revisit, "the same browser is recognised"
    assert [r.overall for r in await responses(harness)] == [4]


async def test_each_browser_gets_its_own_token_and_a_token_needs_its_cookie(harness, clock):
    sid = await first_session(harness)
    space = await open_session(harness, clock, sid)
    _, first = await get_form(harness.client, qr_path(harness, space))
    harness.client.session.cookie_jar.clear()
    _, second = await get_form(harness.client, qr_path(harness, space))
    assert hidden(first, "answer") != hidden(second, "answer")
    stolen = second.replace(hidden(second, "answer"), hidden(first, "answer"))
    status, _ = await post_answers(harness.client, stolen)
    assert status == 403, "another browser's token"
    status, _ = await post_answers(harness.client, second)
    assert status == 200
    assert len(await responses(harness)) == 1


async def test_registration_link_answers_once_from_any_browser(harness, clock):
    sid = await first_session(harness)
    space = await open_session(harness, clock, sid, after_start=timedelta(hours=3))
    links = harness.components.services.links
    path = urlsplit(feedback_answer_url(links, sid, "registration-1", space.ends_at)).path
    status, html = await get_form(harness.client, path)
    assert status == 200
    assert (await post_answers(harness.client, html))[0] == 200
    harness.client.session.cookie_jar.clear()
    status, page = await get_form(harness.client, path)
    assert status == 409 and "already answered" in page
    other = urlsplit(feedback_answer_url(links, sid, "registration-2", space.ends_at)).path
    assert (await get_form(harness.client, other))[0] == 200, "another registration still can"
    assert len(await responses(harness)) == 1


async def test_errors_are_shown_beside_their_fields_and_nothing_is_stored(harness, clock):
    sid = await first_session(harness)
    space = await open_session(harness, clock, sid)
    _, html = await get_form(harness.client, qr_path(harness, space))
    status, page = await post_answers(harness.client, html, {"overall": "9", "helpful": "x" * 5000,
                                                             "topics": ["not-a-topic"], "better": "kept"})
    assert status == 400
    for field in ("overall", "presentation", "discussion", "helpful", "topics"):
        assert f'id="field-{field}-error"' in page, field
    assert 'aria-invalid="true"' in page and "There is a problem" in page and "<title>Error:" in page
    assert ">kept</textarea>" in page, "what was typed is kept"
    assert await responses(harness) == []
    status, _ = await post_answers(harness.client, html)
    assert status == 200, "the token still works after a refused form"


async def test_page_is_open_from_the_start_until_the_window_closes(harness, clock):
    sid = await first_session(harness)
    space = await open_session(harness, clock, sid, after_start=-timedelta(minutes=5))
    status, page = await get_form(harness.client, qr_path(harness, space))
    assert status == 409 and "opens when the session starts" in page
    clock.set(space.ends_at + timedelta(days=60))  # after the window, before the link expires
    status, page = await get_form(harness.client, qr_path(harness, space))
    assert status == 410 and "is closed" in page
    clock.set(space.ends_at + timedelta(days=365))
    assert (await harness.client.get(qr_path(harness, space))).status == 404, "the link itself expired"
    clock.set(space.starts_at + timedelta(minutes=5))
    _, html = await get_form(harness.client, qr_path(harness, space))
    async with harness.components.services.db() as db, db.begin():
        (await db.get(Meeting, sid)).status = SessionStatus.CANCELLED
    status, _ = await post_answers(harness.client, html)
    assert status == 410 and await responses(harness) == []


async def test_forged_and_foreign_tokens_are_refused(harness, clock):
    sid = await first_session(harness)
    space = await open_session(harness, clock, sid)
    links = harness.components.services.links
    _, html = await get_form(harness.client, qr_path(harness, space))
    for bad in ("", "x", hidden(html, "answer") + "x", links.token("register_csv", sid),
                links.token("feedback_answer", f"{sid}:z:abc"), links.token("feedback_answer", sid),
                answer_token(links, "0" * 32, "r", "reg", space.ends_at)):
        status, _ = await post_answers(harness.client, html.replace(hidden(html, "answer"), bad))
        assert status == 404, bad
    qr_token = links.token("feedback_answer", f"{sid}:q:abc")
    assert (await harness.client.get(f"/web/feedback/answer/{qr_token}")).status == 404, "QR tokens are not links"
    async with harness.components.services.db() as db:
        assert list(await db.scalars(select(FeedbackReceipt))) == []
    assert ANSWERS and await responses(harness) == []
