"""The web foundation: CSRF, headers, limits and friendly errors (dialogs/shared/web)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import SettingsError
from dialogs.shared.content import ContentError
from dialogs.shared.web.colours import contrast
from dialogs.shared.web.guard import CSP
from dialogs.shared.web.ratelimit import TokenBuckets
from tests.conftest import make_settings
from tests.web.site_fixture import app_for, make_site

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@asynccontextmanager
async def _client(tmp_path, **kwargs) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(app_for(make_site(tmp_path, **kwargs))))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def _token(client: TestClient) -> str:
    page = await client.get("/web/form")
    match = TOKEN.search(await page.text())
    assert match is not None
    return match.group(1)


async def test_a_page_has_the_strict_headers_and_a_strict_same_site_cookie(tmp_path):
    async with _client(tmp_path) as client:
        page = await client.get("/web/form")
        assert page.status == 200
        assert page.headers["Content-Security-Policy"] == CSP
        assert "default-src 'none'" in CSP and "frame-ancestors 'none'" in CSP
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
        html = await page.text()
        assert '<html lang="en-GB">' in html and 'href="#main"' in html and "style=" not in html
        assert "<script" not in html and "Test Trust" in html


async def test_the_cookie_is_secure_when_the_site_is_https(tmp_path):
    async with _client(tmp_path, base_url="https://bot.example.org") as client:
        page = await client.get("/web/form")
        assert "Secure" in page.headers["Set-Cookie"]


async def test_a_post_needs_the_token_of_its_own_cookie(tmp_path):
    async with _client(tmp_path) as client:
        token = await _token(client)
        missing = await client.post("/web/form", data={"name": "Sam"})
        assert missing.status == 403 and "Please try that again" in await missing.text()
        forged = await client.post("/web/form", data={"name": "Sam", "csrf_token": token[:-2] + "AA"})
        assert forged.status == 403
        foreign = await client.post("/web/form", data={"name": "Sam", "csrf_token": token[:-1] + "é"})
        assert foreign.status == 403, "a non-ASCII token is refused, not a failure"
        good = await client.post("/web/form", data={"name": "Sam", "csrf_token": token}, allow_redirects=False)
        assert good.status == 303
        client.session.cookie_jar.clear()  # another visitor replaying this one's token
        replay = await client.post("/web/form", data={"name": "Sam", "csrf_token": token})
        assert replay.status == 403


async def test_errors_are_tied_to_their_field(tmp_path):
    async with _client(tmp_path) as client:
        answer = await client.post("/web/form", data={"name": "", "csrf_token": await _token(client)})
        html = await answer.text()
        assert answer.status == 400
        assert 'aria-invalid="true"' in html and 'aria-describedby="field-name-error"' in html
        assert 'href="#field-name"' in html and "<title>Error:" in html


async def test_too_many_posts_get_a_429_page(tmp_path):
    async with _client(tmp_path, per_minute=3) as client:
        token = await _token(client)
        statuses = [(await client.post("/web/form", data={"name": "x", "csrf_token": token},
                                       allow_redirects=False)).status for _ in range(5)]
        assert statuses[:3] == [303, 303, 303] and statuses[3:] == [429, 429]
        last = await client.post("/web/form", data={"name": "x", "csrf_token": token})
        assert "Too many tries" in await last.text() and last.headers["Retry-After"] == "60"


async def test_an_oversized_body_is_refused_before_it_is_read(tmp_path):
    async with _client(tmp_path, max_form_bytes=2048) as client:
        token = await _token(client)
        answer = await client.post("/web/form", data={"name": "x" * 5000, "csrf_token": token})
        assert answer.status == 413 and "too long" in await answer.text()


async def test_a_failing_handler_gives_a_friendly_page_and_logs_no_message(tmp_path, caplog):
    async with _client(tmp_path) as client:
        with caplog.at_level(logging.INFO):
            answer = await client.get("/web/boom")
        assert answer.status == 503 and "Nothing was changed" in await answer.text()
        assert "secret typed value" not in caplog.text and "RuntimeError" in caplog.text
        unknown = await client.get("/web/nowhere")
        assert unknown.status == 404 and "Page not found" in await unknown.text()
        wrong_method = await client.put("/web/form", data="x")
        assert wrong_method.status == 405


async def test_the_stylesheet_uses_the_configured_colours(tmp_path):
    async with _client(tmp_path) as client:
        css = await client.get("/web/static/site.css")
        assert css.status == 200 and css.content_type == "text/css"
        assert "#005eb8" in await css.text()


async def test_behind_a_proxy_the_limit_is_per_forwarded_address(tmp_path):
    async with _client(tmp_path, per_minute=1, address_header="X-Forwarded-For") as client:
        token = await _token(client)

        async def post(forwarded: str) -> int:
            return (await client.post("/web/form", data={"name": "x", "csrf_token": token}, allow_redirects=False,
                                      headers={"X-Forwarded-For": forwarded})).status

        # A client may send its own X-Forwarded-For; only the proxy's last entry counts.
        assert [await post("1.1.1.1, 10.0.0.1"), await post("2.2.2.2, 10.0.0.2"),
                await post("9.9.9.9, 10.0.0.1")] == [303, 303, 429]


def test_the_token_bucket_refills_with_time():
    now = [0.0]
    buckets = TokenBuckets(2, clock=lambda: now[0])
    assert [buckets.allow("a"), buckets.allow("a"), buckets.allow("a"), buckets.allow("b")] == [True, True, False, True]
    now[0] += 30  # one token back after half a minute at 2 a minute
    assert buckets.allow("a") and not buckets.allow("a")


def test_colours_without_enough_contrast_stop_start_up(tmp_path):
    assert contrast("#005eb8", "#ffffff") > 4.5 and contrast("#ffffff", "#ffffff") == 1
    with pytest.raises(SettingsError, match="PEERSPACE_BRAND_COLOUR|brand_colour"):
        make_settings("sqlite+aiosqlite:///x.db", brand_colour="#41b6e6")  # NHS light blue: 2.4:1
    with pytest.raises(SettingsError):
        make_settings("sqlite+aiosqlite:///x.db", text_colour="red")


def test_a_template_asking_for_a_missing_text_stops_start_up(tmp_path):
    folder = tmp_path / "overrides" / "web"
    folder.mkdir(parents=True)
    (folder / "broken.html").write_text('{{ t("web.no_such_text") }} {{ t(name) }}')
    with pytest.raises(ContentError, match="broken.html:1: missing text web.no_such_text"):
        make_site(tmp_path)


async def test_a_body_that_is_not_valid_text_is_a_400_not_a_failure(tmp_path):
    async with _client(tmp_path) as client:
        token = await _token(client)
        answer = await client.post("/web/form", data=f"csrf_token={token}&name=".encode() + b"\xff\xfe",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 400 and "could not read that" in await answer.text()


async def test_a_multipart_post_without_its_boundary_is_a_400_not_a_failure(tmp_path, caplog):
    async with _client(tmp_path) as client:
        token = await _token(client)
        with caplog.at_level(logging.INFO):
            answer = await client.post("/web/form", data=f"csrf_token={token}&name=Sam".encode(),
                                       headers={"Content-Type": "multipart/form-data"})
        assert answer.status == 400 and "could not read that" in await answer.text()
        assert "ERROR" not in caplog.text
