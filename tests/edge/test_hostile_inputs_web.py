"""Hostile-input suite, web pages: the registration pages under /web probed with mutated paths,
methods, content types, bodies and field values (tests/edge/test_hostile_inputs.py does the
same for /api/messages).

For every case: a status from the pages' own set (never a 5xx), no traceback in the log, no
typed value in the log, and a refused request (4xx) leaves every table exactly as before.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import BotHarness, make_settings, start_harness
from tests.edge.fixtures import healthy, snapshot, tracebacks
from tests.sessions.test_sessions_register import first_session
from tests.sessions.web_helpers import TOKEN, WEB_FORM, public_path, web_register

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PAGE_STATUSES = {200, 303, 400, 403, 404, 405, 409, 410, 411, 413}
MARKER = "Zq7Marker"  # put into typed values: must never reach the log
FORM_LIMIT = 4096


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@dataclass
class WebWatch:
    h: BotHarness
    caplog: Any
    paths: dict[str, str]
    token: str
    seen: int = 0


@pytest.fixture
async def web_watch(db_url, connector, clock, caplog) -> AsyncIterator[WebWatch]:
    # No rate limit here (it has its own test): every case must reach the page's own checks.
    h = await start_harness(make_settings(db_url, web_posts_per_minute=100_000, web_max_form_bytes=FORM_LIMIT),
                            connector, clock)
    caplog.set_level(logging.INFO)
    sid = await first_session(h)
    mine = await web_register(h, sid)
    register = public_path(h, sid)
    page = await (await h.client.get(register)).text()
    match = TOKEN.search(page)
    assert match is not None
    paths = {"register": register, "mine": mine, "change": mine + "/change", "cancel": mine + "/cancel",
             "ics": mine + "/session.ics", "css": "/web/static/site.css"}
    yield WebWatch(h, caplog, paths, match.group(1))
    assert await healthy(h)
    await h.client.close()


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
FIELD_VALUES = st.one_of(TEXT, st.sampled_from(["", " ", "\x00", "\u202e", "a" * 1001, "<script>x</script>",
                                                 "{{ 7*7 }}", "${x}", "%00", "\r\n", "🙂" * 300]))
NAMES = st.sampled_from(["name", "organisation", "role", "reason", "hopes", "access_needs", "csrf_token",
                         "wants_updates", "name[]", ""])


def _path_mutation(path: str, how: str, junk: str) -> str:
    if how == "keep":
        return path
    if how == "token":  # replace the token with junk
        head, _, tail = path.partition("/sessions/")
        kind, _, rest = tail.partition("/")
        after = rest.partition("/")[2]
        return f"{head}/sessions/{kind}/{quote(junk, safe='') or 'x'}" + (f"/{after}" if after else "")
    if how == "append":
        return path + "/" + (quote(junk, safe="") or "x")
    return path[:-3] + (quote(junk, safe="") or "y")  # "tamper": a forged signature


@st.composite
def cases(draw) -> dict[str, Any]:
    fields = dict(draw(st.lists(st.tuples(NAMES, FIELD_VALUES), max_size=8)))
    if draw(st.booleans()):
        fields = {**WEB_FORM, **fields}
    fields = {k: f"{MARKER}{v}" if k in WEB_FORM and draw(st.booleans()) else v for k, v in fields.items()}
    return {
        "target": draw(st.sampled_from(["register"] * 3 + ["mine", "change", "change", "cancel", "ics", "css"])),
        "how": draw(st.sampled_from(["keep"] * 6 + ["token", "append", "tamper"])),
        "junk": draw(TEXT),
        "method": draw(st.sampled_from(["GET"] * 3 + ["POST"] * 6 + ["PUT", "DELETE", "PATCH"])),
        "csrf": draw(st.sampled_from(["valid"] * 4 + ["missing", "junk"])),
        "body": draw(st.sampled_from(["form"] * 6 + ["multipart", "json", "raw", "huge", "chunked"])),
        "raw": draw(st.binary(max_size=200)),
        "fields": fields,
    }


async def _one(w: WebWatch, case: dict[str, Any]) -> None:
    path = _path_mutation(w.paths[case["target"]], case["how"], case["junk"])
    fields = dict(case["fields"])
    if case["csrf"] == "valid":
        fields["csrf_token"] = w.token
    elif case["csrf"] == "junk":
        fields["csrf_token"] = case["junk"]
    kind = case["body"]
    kwargs: dict[str, Any] = {"allow_redirects": False}
    if case["method"] != "GET":
        if kind == "form":
            kwargs.update(data=urlencode(fields).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif kind == "multipart":
            kwargs["data"] = {**fields, "upload": io.BytesIO(case["raw"])}
        elif kind == "json":
            kwargs["json"] = fields
        elif kind == "raw":
            kwargs.update(data=case["raw"], headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif kind == "huge":
            kwargs.update(data=urlencode({**fields, "pad": "p" * FORM_LIMIT}).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            async def chunks():
                yield urlencode(fields).encode()
            kwargs.update(data=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    before = await snapshot(w.h)
    resp = await w.h.client.request(case["method"], path, **kwargs)
    await resp.read()
    event(f"HTTP {resp.status}")
    detail = f"{resp.status} {case['method']} {case['target']}/{case['how']} {kind}"
    assert resp.status in PAGE_STATUSES, detail
    if resp.status >= 400 or case["method"] == "GET":
        assert await snapshot(w.h) == before, f"the database changed for {detail}"
    if kind == "huge" and case["method"] == "POST" and resp.status not in (404, 405, 410):
        assert resp.status == 413, detail
    records = w.caplog.records[w.seen:]
    w.seen = len(w.caplog.records)
    assert tracebacks(records) == [], detail
    assert not [r for r in records if MARKER in r.getMessage()], "a typed value reached the log"


@SQLITE_ONLY
@_settings(150)
@given(case=cases())
async def test_mutated_web_requests(web_watch, case):
    await _one(web_watch, case)


@_settings(20)
@given(case=cases())
async def test_mutated_web_requests_on_both_engines(web_watch, case):
    await _one(web_watch, case)
