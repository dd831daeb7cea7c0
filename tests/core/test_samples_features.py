"""Sample data of the people, supervision and co-reflection features: made once, around the person
asking, through each feature's own functions, and seen on each feature's own cards; never
another person's colleagues taken over; never anything outside local development mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select

from dialogs.shared.samples import SamplesRefused
from dialogs.supervision.common import date_text
from storage.coreflections.models import CoReflectionGroup, CoReflectionOccurrence, CoReflectionResponse
from storage.models import User
from storage.people.models import LinkKind, LinkStatus, Person, PersonLink, RecordStatus, SupervisionRecord
from storage.people.repository import current_other
from storage.roles import Actor, Role
from tests.core.test_samples import PLAYGROUND
from tests.edge.test_edge_security import (  # noqa: F401 - fixtures
    auth_settings, keys, make_harness, mint, openid, outgoing_tokens, post_authenticated,
)
from tests.factories import ALICE, message
from tests.supervision.helpers import shown

TABLES = (Person, PersonLink, SupervisionRecord, CoReflectionGroup, CoReflectionOccurrence, CoReflectionResponse)
EMAILS = {key: f"{key}.sample@example.invalid" for key in ("jordan", "riley", "morgan", "casey")}


def _content(harness, name: str) -> dict:
    return yaml.safe_load(harness.components.services.content.file(f"{name}.yaml").read_text())


async def _counts(h) -> dict[str, int]:
    async with h.components.services.db() as db:
        return {t.__name__: await db.scalar(select(func.count()).select_from(t)) for t in TABLES}


async def _people(h) -> dict[str, Person]:
    async with h.components.services.db() as db:
        found = {p.email: p for p in await db.scalars(select(Person).where(Person.email.in_(EMAILS.values())))}
        me = await db.scalar(select(Person).join(User, User.id == Person.user_id)
                             .where(User.teams_id == PLAYGROUND.teams_id))
    return {**{key: found[email] for key, email in EMAILS.items() if email in found}, "me": me}


async def _samples(h, person=PLAYGROUND) -> str:
    await h.say("hi", person)
    return await shown(h, "samples.add", {}, person)


async def test_people_samples_make_the_dev_user_a_supervisor_and_manager_once(harness, clock):
    card = await _samples(harness)
    assert "peer supervisor of Jordan Sample" in card and "line manager of Riley Sample" in card
    assert "Casey Sample asked you" in card and '"people.home"' in card
    first = await _counts(harness)
    people = await _people(harness)
    assert set(people) == {"jordan", "riley", "morgan", "casey", "me"}
    settings = _content(harness, "people_samples")["people"]
    for key in ("jordan", "riley", "morgan", "casey"):
        person = people[key]
        assert person.user_id is None, "invented people are never reachable"
        assert (person.team, person.organisation) == (settings[key]["team"], settings[key]["organisation"])
        assert person.start_date == clock.now().date() - timedelta(days=settings[key]["started_days_ago"])
    async with harness.components.services.db() as db:
        assert (await current_other(db, people["jordan"].id, LinkKind.PEER_SUPERVISOR)).id == people["me"].id
        assert (await current_other(db, people["riley"].id, LinkKind.LINE_MANAGER)).id == people["me"].id
        assert (await current_other(db, people["riley"].id, LinkKind.PEER_SUPERVISOR)).id == people["morgan"].id
        pending = await db.scalar(select(PersonLink).where(PersonLink.worker_id == people["casey"].id))
    assert pending.status == LinkStatus.PENDING and pending.other_id == people["me"].id

    # The People card shows it all, with the request to answer (the links gave the roles at once).
    home = await shown(harness, "people.home", {}, PLAYGROUND)
    assert "Jordan Sample" in home and "Riley Sample" in home and f'"link": "{pending.id}"' in home
    again = await _samples(harness)
    assert "already there" in again and await _counts(harness) == first
    # Answered, the request is never made again.
    await harness.press("people.decline", {"link": pending.id}, PLAYGROUND)
    await _samples(harness)
    async with harness.components.services.db() as db:
        assert await db.scalar(select(func.count()).select_from(PersonLink).where(
            PersonLink.worker_id == people["casey"].id)) == 1


async def test_supervision_samples_show_on_the_team_view_through_the_form_rules(harness, clock):
    card = await _samples(harness)
    assert '"supervision.team"' in card and '"supervision.record"' in card
    people = await _people(harness)
    async with harness.components.services.db() as db:
        rows = list(await db.scalars(select(SupervisionRecord).where(SupervisionRecord.recorded_by == people["me"].id,
                                                                     SupervisionRecord.type != "co_reflection")))
    wanted = _content(harness, "supervision_samples")["records"]
    today = clock.now().date()
    assert sorted((r.worker_id, r.type, r.held_on, r.minutes, r.status, r.supervisor_id) for r in rows) == sorted(
        (people[w["worker"]].id, w["type"], today - timedelta(days=w["days_ago"]), w["minutes"],
         RecordStatus.CONFIRMED if w["confirmed"] else RecordStatus.UNCONFIRMED, people["me"].id) for w in wanted)
    assert all(r.actions for r in rows)
    team = await shown(harness, "supervision.team", {"worker": people["jordan"].id}, PLAYGROUND)
    for w in wanted:
        if w["worker"] == "jordan":
            assert date_text(today - timedelta(days=w["days_ago"])) in team and w["actions"] in team
    riley = await shown(harness, "supervision.team", {"worker": people["riley"].id}, PLAYGROUND)
    assert "Management supervision" in riley
    first = await _counts(harness)
    assert "already there" in await _samples(harness) and await _counts(harness) == first


async def test_coreflection_samples_show_a_group_with_attendance(harness, clock):
    card = await _samples(harness)
    settings = _content(harness, "coreflection_samples")
    assert '"coreflections.group"' in card and settings["group"]["name"] in card
    people = await _people(harness)
    async with harness.components.services.db() as db:
        group = await db.scalar(select(CoReflectionGroup))
        present = list(await db.scalars(select(CoReflectionResponse.person_id)
                                        .where(CoReflectionResponse.attended_at.is_not(None))))
        records = await db.scalar(select(func.count()).select_from(SupervisionRecord).where(
            SupervisionRecord.type == "co_reflection", SupervisionRecord.status == RecordStatus.CONFIRMED))
    assert group.lead_id == people["me"].id and group.joining_url == settings["group"]["joining_url"]
    assert group.rrule == "FREQ=MONTHLY;BYDAY=+1TU" and group.time_zone == "Europe/London"
    held = len(present) // len(settings["attended"])
    assert held >= 1 and set(present) == {people[k].id for k in settings["attended"]}
    assert records == len(present), "each mark wrote the member's confirmed co-reflection record"
    page = await shown(harness, "coreflections.group", {"group_id": group.id}, PLAYGROUND)
    assert f"{len(settings['attended'])} of {len(settings['members'])} there" in page
    assert f"{held} of the last {held}" in page and f"0 of the last {held}" in page
    first = await _counts(harness)
    assert "already there" in await _samples(harness) and await _counts(harness) == first


async def test_a_second_person_takes_over_nobody_and_gets_no_group(harness):
    await _samples(harness)
    first = await _counts(harness)
    card = await _samples(harness, ALICE)
    assert "nothing was added for you" in card and "no sample group" in card
    assert await _counts(harness) == {**first, "Person": first["Person"] + 1}  # Alice's own person only


async def test_the_new_adders_are_registered_and_refused_outside_development(make_harness, openid, keys,  # noqa: F811
                                                                             outgoing_tokens):  # noqa: F811
    h = await make_harness(**auth_settings(openid))
    registry = h.components.services.sample_data
    assert {"people", "supervision", "coreflections"} <= set(registry.names) and not registry.enabled
    token = mint(keys.signing, h.connector.url)
    await post_authenticated(h, message("hi", PLAYGROUND, service_url=h.connector.url), token)
    before = await _counts(h)
    with pytest.raises(SamplesRefused):
        async with h.components.services.db() as db:
            await registry.add_all(db, Actor("u", "a", frozenset({Role.ADMIN})), None)
    await post_authenticated(h, message("sample data", PLAYGROUND, service_url=h.connector.url), token)
    assert "No sample data here" in str(h.connector.sent[-1].cards[0])
    assert await _counts(h) == before
