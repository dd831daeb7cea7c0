"""Hostile-input suite, the anonymous feedback page: mutated posts (unknown, repeated and missing
fields, bad unicode, junk and oversized values, wrong content types, bad or foreign tokens, raw
bytes) and odd GET paths. Never a 5xx or a traceback; a refused post changes no table; an
accepted one adds exactly one response and its receipt."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_settings, start_harness
from tests.edge.fixtures import healthy, snapshot, tracebacks
from tests.feedback.web_helpers import get_form, hidden, open_session, qr_path
from tests.sessions.test_sessions_register import first_session

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
FIELDS = ["overall", "presentation", "discussion", "helpful", "better", "topics", "answer", "csrf_token",
          "share", "session", "x" * 300, ""]
BAD = st.sampled_from(["\ud800", "a\udc80b", "\x00", "nul\x00", "\x07\x1b[2J", "\u202e\u2066", "\ufeff", "5",
                       "1,2", "supervision", "supervision,training", "<script>alert(1)</script>", "' OR 1=1 --",
                       "é" * 50, "x" * 20_000, "{{ 7*7 }}", "%00"]) | st.text(max_size=40)
FORM_POST = st.lists(st.tuples(st.sampled_from(FIELDS), BAD), max_size=12)


@pytest.fixture
async def page(db_url, connector, clock, caplog):
    h = await start_harness(make_settings(db_url, web_posts_per_minute=100_000), connector, clock)
    caplog.set_level(logging.INFO)
    sid = await first_session(h)
    space = await open_session(h, clock, sid)
    _, html = await get_form(h.client, qr_path(h, space))
    yield h, html, caplog
    assert await healthy(h)
    await h.client.close()


def _encode(fields: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                    for k, v in fields).encode()


@SQLITE_ONLY
@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=FORM_POST, keep_token=st.booleans(), keep_csrf=st.booleans(),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "text/plain", "application/json",
                                     "multipart/form-data; boundary=x"]))
async def test_mutated_feedback_posts(page, fields, keep_token, keep_csrf, content_type):
    h, html, caplog = page
    posted = list(fields)
    if keep_token:
        posted.insert(0, ("answer", hidden(html, "answer")))
    if keep_csrf:
        posted.insert(0, ("csrf_token", hidden(html, "csrf_token")))
    before = await snapshot(h)
    resp = await h.client.post("/web/feedback/answer", data=_encode(posted), headers={"Content-Type": content_type})
    body = await resp.text()
    assert resp.status < 500, body[:300]
    assert resp.status in {200, 400, 403, 404, 409, 413}, resp.status
    assert tracebacks(caplog.records) == []
    after = await snapshot(h)
    if resp.status == 200:
        changed = {t for t in after if after[t] != before[t]}
        assert changed == {"feedback_responses", "feedback_receipts"}
        assert len(after["feedback_responses"]) == len(before["feedback_responses"]) + 1
    else:
        assert after == before, "a refused post changes nothing"
    assert "{{" not in body or "49" not in body


@SQLITE_ONLY
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(token=st.text(max_size=600) | st.sampled_from(["..", "a.b", "%2e%2e", "x" * 5000]),
       route=st.sampled_from(["session", "answer"]))
async def test_odd_feedback_links(page, token, route):
    h, _, caplog = page
    resp = await h.client.get(f"/web/feedback/{route}/{quote(token, safe='')}")
    assert resp.status in {404, 400, 414, 431}, resp.status
    assert tracebacks(caplog.records) == []


@SQLITE_ONLY
async def test_raw_bytes_and_oversized_posts(page):
    h, html, caplog = page
    csrf, answer = hidden(html, "csrf_token"), hidden(html, "answer")
    start = f"csrf_token={csrf}&answer={answer}&".encode()
    for body in (start + b"helpful=\xff\xfe\x00", start + b"overall=" + b"5" * 200_000, b"\x00" * 100,
                 start + b"topics=" + b"&topics=".join([b"supervision"] * 2000)):
        resp = await h.client.post("/web/feedback/answer", data=body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status in {400, 403, 413}, resp.status
    assert tracebacks(caplog.records) == []
