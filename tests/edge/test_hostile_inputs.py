"""Hostile-input suite: real Teams activities mutated the way attackers and broken clients do.

Starting points: a message, a card submission (Action.Submit), a card action (invoke), an
install, the bot being added, and a channel event. Mutations: wrong types, missing and null
fields, bad unicode (lone surrogates, NUL and control characters, invalid UTF-8), huge strings
around the body limit, deep nesting around MAX_JSON_DEPTH, duplicated and out-of-order ids, and
forged roles in card data from a person who holds none.

For every case: no 5xx (but botbuilder's 501 for an invoke nobody handles), no traceback in the
log, /healthz 200. A *refused* request is one the edge answers itself (400/401/403/413 with an
"error" body, bot.admission): every table must then be exactly as before. An accepted request
may change the database (the sender is recorded) - except a forged privileged action, which
must change nothing but the redelivery ledger, and a redelivery, which must change nothing.

Most cases run on SQLite (one database, reused across examples); a slice runs on both engines.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.admission import MAX_JSON_DEPTH
from storage.models import User
from tests import factories
from tests.conftest import BotHarness, make_settings, start_harness
from tests.edge.fixtures import TURN_BOOKKEEPING, healthy, nested, snapshot, tracebacks
from tests.factories import ALICE
from tests.edge.test_edge_security import assert_no_server_error
from tests.sessions.test_sessions_register import first_session

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REFUSAL_STATUSES = {400, 401, 403, 413}
BODY_LIMIT = 16 * 1024
HEALTH_EVERY = 20  # cases; and once more when each test ends


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


BASES = {
    "message": lambda url: factories.message("help", ALICE, service_url=url),
    "submit": lambda url: factories.submit("about.show", {"note": "n"}, service_url=url),
    "invoke": lambda url: factories.execute("my_data.show", {"x": 1}, service_url=url),
    "install": lambda url: factories.installation_update(service_url=url),
    "bot-added": lambda url: factories.bot_added(service_url=url),
    "channel-event": lambda url: factories.channel_created(service_url=url),
}

BAD_TEXT = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\x00", "nul\x00", "\x07\x1b[2J", "\u202e\u2066",
                            "\ufeff", "\ufffe", "\U0001F600", "é" * 50]) | st.text(
    st.characters(exclude_categories=()), max_size=30)
JUNK = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
        | st.text(max_size=20) | st.lists(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3) | BAD_TEXT)
# Last, at most one, so the expected answer is known: (op, size).
SHAPES = st.none() | st.tuples(st.just("deep"), st.integers(MAX_JSON_DEPTH - 8, MAX_JSON_DEPTH + 8)
                               | st.integers(900, 1200)) | st.tuples(st.just("huge"), st.integers(-300, 300)) \
    | st.tuples(st.sampled_from(["bad-utf8", "truncate", "duplicate-key"]), st.integers(1, 200))


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside the activity (dict keys and list indexes)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    found = []
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(paths(child, prefix + (key,)))
    return found


def put(activity: dict[str, Any], path: tuple, value: Any) -> None:
    node = activity
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()


@dataclass
class Watch:
    """Per-test bookkeeping across hypothesis examples: the last snapshot and the log position."""

    h: BotHarness
    caplog: Any
    before: dict | None = None
    seen_logs: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    session_id: str | None = None
    alice_id: str | None = None

    async def post(self, body: bytes, activity: Any, detail: str, *, unchanged_unless_refused: bool = False,
                   skip: frozenset[str] = frozenset()) -> tuple[int, bool]:
        """Posts one case and checks the invariants; returns (status, refused)."""
        if self.before is None or skip:
            self.before = await snapshot(self.h, skip=skip)
        resp = await self.h.client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        text = await resp.text()
        self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
        event(f"HTTP {resp.status}")
        assert_no_server_error(resp.status, activity if isinstance(activity, dict) else {}, f"{resp.status} {detail}")
        refused = resp.status in REFUSAL_STATUSES and "error" in _json_or_empty(text)
        after = await snapshot(self.h, skip=skip)
        if refused or unchanged_unless_refused:
            assert after == self.before, f"{resp.status}: the database changed for {detail}"
        self.before = None if skip else after
        records = self.caplog.records[self.seen_logs:]
        self.seen_logs = len(self.caplog.records)
        assert tracebacks(records) == [], detail
        if sum(self.statuses.values()) % HEALTH_EVERY == 0:
            assert await healthy(self.h)
        return resp.status, refused


def _json_or_empty(text: str) -> dict:
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@pytest.fixture
async def watch(db_url, connector, clock, caplog) -> AsyncIterator[Watch]:
    # A small body limit: the same code path as 256 KB, at a fraction of the cost per case.
    h = await start_harness(make_settings(db_url, max_body_bytes=BODY_LIMIT), connector, clock)
    caplog.set_level(logging.INFO)
    await h.say("hi")  # Alice is known, so her next turns need not change anything
    yield Watch(h, caplog)
    assert await healthy(h)
    await h.client.close()


def _shaped(activity: dict[str, Any], shape: tuple[str, int] | None, limit: int):
    """The body with the final shape applied, and the status it must get (None: any non-5xx)."""
    if shape is None:
        return json.dumps(activity).encode(), None
    op, size = shape
    if op == "deep":
        raw = json.dumps({**activity, "deepest": "__DEEP__"}).replace('"__DEEP__"', nested(size)).encode()
        return raw, 400 if 1 + size > MAX_JSON_DEPTH else None
    raw = json.dumps(activity).encode()
    if op == "huge":
        pad = max(0, limit - len(raw) - 20 + size)
        raw = json.dumps({**activity, "padding": "p" * pad}).encode()
        return raw, 413 if len(raw) > limit else None
    if op == "bad-utf8":
        cut = min(size, len(raw) - 1)
        return raw[:cut] + b"\xff\xfe" + raw[cut:], 400
    if op == "truncate":
        return raw[:-size], 400
    # A second "type" key ahead of the real one: JSON allows it, the last one wins.
    return b'{"type": ' + json.dumps(["invoke", size]).encode() + b", " + raw[1:], None


@SQLITE_ONLY
@_settings(1250)
@given(data=st.data(), base=st.sampled_from(sorted(BASES)), shape=SHAPES)
async def test_mutated_activities(watch, data, base, shape):
    await _mutated_case(watch, data, base, shape)


@_settings(40)
@given(data=st.data(), base=st.sampled_from(sorted(BASES)), shape=SHAPES)
async def test_mutated_activities_on_both_engines(watch, data, base, shape):
    await _mutated_case(watch, data, base, shape)


async def _mutated_case(watch: Watch, data, base: str, shape) -> None:
    activity = BASES[base](watch.h.connector.url)
    for _ in range(data.draw(st.integers(0, 3), label="mutations")):
        where = paths(activity)
        if not where:
            break
        path = data.draw(st.sampled_from(where), label="path")
        put(activity, path, data.draw(st.just(_DELETE) | st.none() | JUNK, label="value"))
    limit = watch.h.components.settings.max_body_bytes
    body, expected = _shaped(activity, shape, limit)
    status, _ = await watch.post(body, activity, f"{base} {shape} {activity!r}"[:2000])
    if expected is not None:
        assert status == expected, f"{base} {shape}: {status}, expected {expected}"


# --- duplicated and out-of-order ids -----------------------------------------------------------

_ID_POOL = ["act-1", "act-2", "act-3", "1", "act-1 ", "ACT-1"]


@SQLITE_ONLY
@_settings(100)
@given(deliveries=st.lists(st.tuples(st.sampled_from(sorted(BASES)), st.sampled_from(_ID_POOL),
                                     st.sampled_from(["own", "other"]), st.sampled_from(_ID_POOL + [None])),
                           min_size=4, max_size=6))
async def test_duplicated_and_out_of_order_ids(watch, deliveries):
    """A repeated (conversation, id) after a 2xx changes nothing and sends nothing."""
    url = watch.h.connector.url
    prefix = f"run-{id(deliveries)}-{len(watch.statuses)}-"
    answered: set[tuple[str, str]] = set()
    for base, activity_id, conversation, reply_to in deliveries:
        activity = BASES[base](url)
        activity["id"] = prefix + activity_id
        if conversation == "other":
            activity["conversation"]["id"] = "a:personal-other"
        if reply_to is not None:
            activity["replyToId"] = prefix + reply_to  # may name a later activity, or none
        key = (activity["conversation"]["id"], activity["id"])
        sent = len(watch.h.connector.sent)
        redelivery = key in answered
        status, refused = await watch.post(json.dumps(activity).encode(), activity, f"{key} {base}",
                                           unchanged_unless_refused=redelivery,
                                           skip=TURN_BOOKKEEPING if redelivery else frozenset())
        if redelivery:
            assert len(watch.h.connector.sent) == sent, f"redelivered {key} was answered again"
        elif status < 300 and not refused:
            answered.add(key)


# --- forged roles in card data -----------------------------------------------------------------

PRIVILEGED_VERBS = ["roles.show", "roles.grant", "roles.revoke", "sessions.manage", "sessions.attendance",
                    "sessions.attendance.save", "sessions.new", "sessions.edit", "sessions.save", "sessions.open",
                    "sessions.close", "sessions.cancel", "sessions.cancel.confirm", "sessions.announce",
                    "sessions.announce.send", "feedback.reports", "feedback.report.session",
                    "feedback.report.series", "feedback.action.record"]
ROLE_WORDS = st.sampled_from(["admin", "facilitator", "ADMIN", "administrator", "owner", "bot", "skill"])
FORGED = st.fixed_dictionaries({}, optional={
    "role": ROLE_WORDS, "roles": st.lists(ROLE_WORDS, max_size=3), "isAdmin": st.just(True),
    "is_facilitator": st.just(True), "actor": st.fixed_dictionaries({"role": ROLE_WORDS}),
    "aadObjectId": st.sampled_from(["aad-admin", factories.FACILITATOR.aad]),
    "from": st.fixed_dictionaries({"aadObjectId": st.just("aad-admin"), "role": ROLE_WORDS}),
    "person": st.sampled_from(["SELF", "aad-alice", ""]), "session_id": st.sampled_from(["FIRST", "", "x"]),
    "title": st.text(max_size=20), "attended": st.sampled_from(["", "SELF"]), "status": st.just("cancelled"),
    "capacity": st.sampled_from(["0", "1000"]), "action": st.text(max_size=10),
})


@SQLITE_ONLY
@_settings(250)
@given(verb=st.sampled_from(PRIVILEGED_VERBS), forged=FORGED, via=st.sampled_from(["invoke", "submit"]),
       sender_role=st.none() | ROLE_WORDS)
async def test_forged_roles_in_card_data_change_nothing(watch, verb, forged, via, sender_role):
    h = watch.h
    if watch.session_id is None:
        watch.session_id = await first_session(h)
        watch.alice_id = await _user_id(h)
    values = {k: (watch.alice_id if v == "SELF" else watch.session_id if v == "FIRST" else v)
              for k, v in forged.items()}
    make = factories.execute if via == "invoke" else factories.submit
    activity = make(verb, values, ALICE, service_url=h.connector.url)
    if sender_role is not None:
        activity["from"]["role"] = sender_role
    await watch.post(json.dumps(activity).encode(), activity, f"{verb} {via}", unchanged_unless_refused=True,
                     skip=TURN_BOOKKEEPING)


async def _user_id(h: BotHarness) -> str:
    async with h.components.services.db() as db:
        return await db.scalar(select(User.id).where(User.teams_id == ALICE.teams_id))
