"""Issue 8, items 9 and 10: what is refused before any bot code runs, and how cheaply.

* With an app id the bearer token is checked before the body is parsed: deeply nested JSON from a
  stranger is a 401, not a parser crash (it was a 500 and a logged traceback).
* JSON nesting is bounded (bot.admission.MAX_JSON_DEPTH); deeper is a 400 whoever sends it.
* A flood of refused requests logs one line per kind of refusal, never a traceback.
* An activity or conversation id holding a lone surrogate is a permanent 400, not a 503 that
  Teams would retry.
"""

from __future__ import annotations

import json
import logging

import pytest

from bot import admission
from bot.admission import MAX_JSON_DEPTH, RefusalLog, Refused
from tests import factories
from tests.edge.fixtures import healthy, nested, snapshot, tracebacks, with_value
from tests.factories import ALICE
from tests.edge.test_edge_security import (  # noqa: F401 - fixtures
    assert_bot_code_never_ran, bearer, blocked_hosts, debug_logs, keys, make_harness, mint, msg, openid, outgoing_tokens,
    post_raw, secured, time_limit,
)

# The request of item 9: about 2.5 KB of brackets.
DEEP = nested(1200).encode()


@pytest.fixture
def spy_parse(monkeypatch) -> list[bytes]:
    calls: list[bytes] = []
    real = admission.parse_activity

    def spy(body: bytes):
        calls.append(body)
        return real(body)

    monkeypatch.setattr(admission, "parse_activity", spy)
    return calls


async def test_deep_json_from_a_stranger_is_401_and_never_parsed(secured, keys, spy_parse, caplog):
    caplog.set_level(logging.DEBUG)
    url = secured.connector.url
    headers = [{}, bearer("notajwt"), bearer("aaa.bbb.ccc"), bearer(mint(keys.impostor, url)),
               {"Authorization": "Basic dXNlcjpwYXNz"}]
    for body in (DEEP, with_value(msg(secured), nested(1200))):
        for header in headers:
            resp = await post_raw(secured, body, header)
            assert resp.status == 401, (header, resp.status, await resp.text())
    assert spy_parse == [], "the body of an unauthenticated request was parsed"
    assert tracebacks(caplog.records) == []
    await assert_bot_code_never_ran(secured)


async def test_deep_json_with_a_valid_token_is_400(secured, keys, outgoing_tokens):
    token = bearer(mint(keys.signing, secured.connector.url))
    for depth in (1200, 5000, MAX_JSON_DEPTH):
        resp = await post_raw(secured, with_value(msg(secured), nested(depth)), token)
        assert resp.status == 400, (depth, await resp.text())
        assert (await resp.json())["error"] == "JSON nested too deeply"
    await assert_bot_code_never_ran(secured)
    # Just inside the bound (the activity object is level 1) is processed.
    resp = await post_raw(secured, with_value(msg(secured), nested(MAX_JSON_DEPTH - 1)), token)
    assert resp.status == 200, await resp.text()


@pytest.mark.parametrize("depth", [900, 1000, 1200, 100_000])
async def test_deep_json_in_development_mode_is_400_and_changes_nothing(harness, depth, caplog):
    caplog.set_level(logging.DEBUG)
    before = await snapshot(harness)
    for body in (nested(depth).encode(), with_value(msg(harness), nested(depth)),
                 with_value(msg(harness), '{"a":' * depth + "1" + "}" * depth)):
        resp = await post_raw(harness, body)
        assert resp.status in (400, 413), (resp.status, await resp.text())
    assert await snapshot(harness) == before
    assert tracebacks(caplog.records) == []
    assert await healthy(harness)


async def test_a_flood_of_refused_requests_logs_one_line_per_kind(secured, keys, debug_logs):
    """Item 9's measurement: 200 such requests gave 200 x 500 and 4,265 log lines."""
    caplog = debug_logs
    url = secured.connector.url
    kinds = [{}, bearer("aaa.bbb.ccc"), bearer(mint(keys.impostor, url)), {"Authorization": "Basic x"}]
    statuses = set()
    for i in range(200):
        resp = await post_raw(secured, DEEP, kinds[i % len(kinds)])
        statuses.add(resp.status)
    assert statuses == {401}
    # The access log is the test server's (production runs without one: bot/__main__.py).
    lines = [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]
    assert tracebacks(caplog.records) == []
    # missing / malformed (twice over: Basic and a non-JWT) / invalid signature: three kinds.
    assert len(lines) == 3, lines
    assert all(line.startswith("refused request: 401 ") for line in lines), lines


def test_refusal_log_counts_what_it_left_out(caplog):
    caplog.set_level(logging.INFO, logger="bot.admission")
    now = [0.0]
    refusals = RefusalLog(interval=60, clock=lambda: now[0])
    for _ in range(5):
        refusals.note(Refused(400, "malformed activity"))
    refusals.note(Refused(413, "body too large"))
    now[0] = 61.0
    refusals.note(Refused(400, "malformed activity"))
    assert [r.getMessage() for r in caplog.records] == [
        "refused request: 400 malformed activity (0 more since the last such line)",
        "refused request: 413 body too large (0 more since the last such line)",
        "refused request: 400 malformed activity (4 more since the last such line)",
    ]


@pytest.mark.parametrize("where", ["id", "conversation.id", "serviceUrl"])
@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "a\udc80b"])
async def test_lone_surrogate_in_an_id_is_400_not_503(harness, where, surrogate):
    await harness.say("hi")  # something to keep unchanged
    before = await snapshot(harness)
    activity = factories.execute("about.show", None, ALICE, service_url=harness.connector.url)
    if where == "id":
        activity["id"] = surrogate
    elif where == "serviceUrl":
        activity["serviceUrl"] = harness.connector.url + surrogate
    else:
        activity["conversation"]["id"] = f"a:{surrogate}"
    sent = len(harness.connector.sent)
    resp = await post_raw(harness, json.dumps(activity).encode())
    assert resp.status == 400, await resp.text()
    assert len(harness.connector.sent) == sent
    assert await snapshot(harness) == before
    assert await healthy(harness)
