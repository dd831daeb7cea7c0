"""Feedback through HTTP with the fake connector: the request sent when a session ends, the form
from the menu, validation, replace-on-resubmit, scrubbing at storage, "my data", housekeeping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from storage import outbox
from storage.feedback.models import FeedbackReceipt, FeedbackResponse, FeedbackShareOffer
from storage.models import User
from storage.sessions.models import Meeting, Registration, Series
from tests.factories import ALICE, BOB, Person

ENDED = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc)  # the clock fixture is 23 Nov 09:00
GOOD = {"overall": "5", "presentation": "4", "discussion": "3"}


async def user_id(harness, person: Person) -> str:
    async with harness.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == person.teams_id))


async def make_session(harness, *, ended: datetime = ENDED, title: str = "Recruitment",
                       series_name: str = "Implementation space", attendees=(), absent=()) -> str:
    """A held session with registrations; `attendees` attended, `absent` registered only."""
    async with harness.components.services.db() as db, db.begin():
        series = await db.scalar(select(Series).where(Series.name == series_name))
        if series is None:
            series = Series(name=series_name)
            db.add(series)
            await db.flush()
        s = Meeting(series_id=series.id, title=title, starts_at=ended - timedelta(hours=2), ends_at=ended,
                    status="held")
        db.add(s)
        await db.flush()
        for person, attended in [(p, True) for p in attendees] + [(p, False) for p in absent]:
            uid = await db.scalar(select(User.id).where(User.teams_id == person.teams_id))
            db.add(Registration(session_id=s.id, user_id=uid, name=person.name, organisation="Trust",
                                role="Peer lead", attended_at=ended if attended else None))
        return s.id


async def responses(harness) -> list[FeedbackResponse]:
    async with harness.components.services.db() as db:
        return list(await db.scalars(select(FeedbackResponse)))


def card_text(card) -> str:
    return str(card)


async def test_request_renders_the_form_once_and_a_submission_is_stored_anonymously(harness, clock):
    await harness.install(ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    open_db = harness.components.services.db
    async with open_db() as db, db.begin():
        await outbox.enqueue(db, kind="feedback_request", idempotency_key=f"fb:{sid}:a",
                             user_id=await user_id(harness, ALICE), due_at=clock.now(), payload={"session_id": sid})
    stats = await harness.components.dispatcher.drain()
    assert stats.sent == 1
    form = harness.connector.sent[-1].cards[0]
    assert "Feedback: Recruitment" in card_text(form) and "feedback.submit" in card_text(form)

    body = await harness.press("feedback.submit", {"session": sid, **GOOD, "helpful": "Alice Example said hi",
                                                   "better": "", "topics": "supervision,other", "share": "false"})
    assert "Thank you" in card_text(body["value"])
    [row] = await responses(harness)
    assert (row.overall, row.presentation, row.discussion) == (5, 4, 3)
    assert row.topics == ["supervision", "other"] and row.helpful_text == "[name] said hi" and row.better_text is None
    assert len(row.id) == 32 and row.id != await user_id(harness, ALICE)

    # Answered: a second request for the same session is no longer wanted.
    async with open_db() as db, db.begin():
        await outbox.enqueue(db, kind="feedback_request", idempotency_key=f"fb:{sid}:a2",
                             user_id=await user_id(harness, ALICE), due_at=clock.now(), payload={"session_id": sid})
    assert (await harness.components.dispatcher.drain()).sent == 0


async def test_request_after_the_window_closed_is_not_sent(harness, clock):
    await harness.install(ALICE)
    sid = await make_session(harness, attendees=[ALICE], ended=clock.now() - timedelta(days=15))
    async with harness.components.services.db() as db, db.begin():
        await outbox.enqueue(db, kind="feedback_request", idempotency_key="fb-late",
                             user_id=await user_id(harness, ALICE), due_at=clock.now(), payload={"session_id": sid})
    assert (await harness.components.dispatcher.drain()).sent == 0


async def test_menu_lists_attended_sessions_and_second_submission_replaces_the_first(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", BOB)
    sid = await make_session(harness, attendees=[ALICE], absent=[BOB])
    await harness.say("menu", ALICE)
    assert "feedback.list" in card_text(harness.connector.sent[-1].cards[0])
    body = await harness.press("feedback.list", {}, ALICE)
    assert "Recruitment" in card_text(body["value"]) and "Give feedback" in card_text(body["value"])
    body = await harness.press("feedback.open", {"session": sid}, ALICE)
    assert "Send feedback" in card_text(body["value"])

    await harness.press("feedback.submit", {"session": sid, **GOOD, "better": "More time on supervision"}, ALICE)
    body = await harness.press("feedback.submit", {"session": sid, "overall": "2", "presentation": "2",
                                                   "discussion": "2"}, ALICE)
    assert "replaced the earlier ones" in card_text(body["value"])
    [row] = await responses(harness)
    assert row.overall == 2 and row.better_text is None and row.better_themes == []
    body = await harness.press("feedback.list", {}, ALICE)
    assert "Change answers" in card_text(body["value"])

    # Bob registered but did not attend: no list entry, and a crafted submission is refused.
    body = await harness.press("feedback.list", {}, BOB)
    assert "no session waiting" in card_text(body["value"])
    body = await harness.press("feedback.submit", {"session": sid, **GOOD}, BOB)
    assert "Nothing was saved" in card_text(body["value"])
    assert len(await responses(harness)) == 1


async def test_bad_input_returns_the_form_with_a_message_and_stores_nothing(harness):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    cases = [
        ({"overall": "6", "presentation": "4", "discussion": "3"}, "rating from 1 to 5"),
        ({"presentation": "4", "discussion": "3"}, "rating from 1 to 5"),
        ({**GOOD, "topics": "supervision,astrology"}, "topics from the list"),
        ({**GOOD, "share": "maybe"}, "sharing your practice"),
        ({**GOOD, "helpful": 7}, "check the highlighted"),
    ]
    for data, message in cases:
        body = await harness.press("feedback.submit", {"session": sid, **data, "better": "kept text"}, ALICE)
        card = card_text(body["value"])
        assert message in card and "Send feedback" in card and "kept text" in card, data
    for bad_session in ("nope", "", "x" * 40):
        body = await harness.press("feedback.submit", {"session": bad_session, **GOOD}, ALICE)
        assert "Nothing was saved" in card_text(body["value"])
    assert await responses(harness) == []


async def test_free_text_is_scrubbed_capped_and_tagged_before_storage(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", Person("29:zed", "aad-zed", "Zebedee Quarrington"))
    sid = await make_session(harness, attendees=[ALICE])
    raw = ("Zebedee Quarrington ran a great bit on peer supervision; email me at sam.k@nhs.net or "
           "07700 900123, NHS 943 476 5919, ward at SW1A 1AA, see https://example.org/x @Priya Shah " + "x " * 900)
    await harness.press("feedback.submit", {"session": sid, **GOOD, "helpful": raw}, ALICE)
    [row] = await responses(harness)
    for leaked in ("Zebedee", "Quarrington", "sam.k", "07700", "943 476", "SW1A", "example.org", "Priya"):
        assert leaked not in row.helpful_text
    for placeholder in ("[name]", "[email]", "[phone]", "[nhs number]", "[postcode]", "[link]"):
        assert placeholder in row.helpful_text
    assert len(row.helpful_text) <= 2000 and row.helpful_text.endswith("x"), "kept whole, never cut"
    assert row.helpful_themes == ["supervision"]


def _fact(card, label: str) -> str:
    facts = [f for item in card["body"] for f in item.get("facts", ())]
    [value] = [f["value"] for f in facts if f["title"] == label]
    return value


ANSWERED = "Feedback forms you answered that are still open (the answers are anonymous)"


async def test_share_offer_is_stored_apart_and_my_data_shows_and_erases_it(harness):
    await harness.say("hi", ALICE)
    await harness.say("hi", BOB)
    sid = await make_session(harness, attendees=[ALICE, BOB])
    await harness.say("my data", ALICE)
    assert _fact(harness.connector.sent[-1].cards[0], ANSWERED) == "0"
    await harness.press("feedback.submit", {"session": sid, **GOOD, "share": "true"}, ALICE)
    await harness.press("feedback.submit", {"session": sid, **GOOD}, BOB)
    async with harness.components.services.db() as db:
        offers = list(await db.scalars(select(FeedbackShareOffer)))
        assert [o.user_id for o in offers] == [await user_id(harness, ALICE)]
        assert await db.scalar(select(func.count()).select_from(FeedbackReceipt)) == 2
    await harness.say("my data", ALICE)
    card = harness.connector.sent[-1].cards[0]
    assert "Implementation space" in card_text(card)
    assert _fact(card, ANSWERED) == "1", "Alice's answer only, not Bob's"
    await harness.press("my_data.delete", {}, ALICE)
    await harness.press("my_data.delete.confirm", {}, ALICE)
    async with harness.components.services.db() as db:
        assert await db.scalar(select(func.count()).select_from(FeedbackShareOffer)) == 0
        assert await db.scalar(select(func.count()).select_from(FeedbackReceipt)) == 1  # Bob's
        assert await db.scalar(select(func.count()).select_from(FeedbackResponse)) == 2  # anonymous, stay


async def test_housekeeping_seals_closed_windows_and_expires_quotes_keeping_counts(harness, clock):
    await harness.say("hi", ALICE)
    sid = await make_session(harness, attendees=[ALICE])
    await harness.press("feedback.submit", {"session": sid, **GOOD, "helpful": "Great supervision talk"}, ALICE)
    job = harness.components.scheduler
    assert "feedback.housekeeping" in job.job_ids
    form_job = job.job("feedback.housekeeping")
    await form_job()
    async with harness.components.services.db() as db:
        assert await db.scalar(select(func.count()).select_from(FeedbackReceipt)) == 1  # window still open
    clock.advance(timedelta(days=15))
    await form_job()
    async with harness.components.services.db() as db:
        assert await db.scalar(select(func.count()).select_from(FeedbackReceipt)) == 0
    clock.advance(timedelta(days=366))
    await form_job()
    [row] = await responses(harness)
    assert row.helpful_text is None and row.helpful_themes == ["supervision"] and row.overall == 5
