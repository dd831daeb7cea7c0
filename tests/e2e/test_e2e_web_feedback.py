"""Browser end-to-end: the anonymous feedback page in Chromium from the QR code's link, answered
once, a second submission refused, axe-core at 1280 and 320 px with 0 violations
(tests/e2e/web_feedback.mjs). The bot runs in this test's event loop on a loopback port."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from sqlalchemy import select

from bench.web_feedback import OPEN_AT, add_session, serving
from bot.app import COMPONENTS, create_app
from scheduler.clock import ManualClock
from storage.feedback.models import FeedbackResponse
from tests.conftest import make_settings
from tests.e2e.test_e2e_playground import CHROMIUM, E2E_DIR, REQUIRE_E2E, ROOT

pytestmark = pytest.mark.e2e


def _require() -> None:
    missing = [what for what, ok in (
        ("node", shutil.which("node") is not None),
        ("node_modules/playwright-core", (ROOT / "node_modules" / "playwright-core").exists()),
        ("node_modules/@axe-core/playwright", (ROOT / "node_modules" / "@axe-core" / "playwright").exists()),
        (str(CHROMIUM), CHROMIUM.exists())) if not ok]
    if missing:
        if REQUIRE_E2E:
            pytest.fail(f"REQUIRE_E2E=1 but missing: {', '.join(missing)}", pytrace=False)
        pytest.skip(f"missing: {', '.join(missing)}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_feedback_page_from_the_qr_link_in_chromium(db_url):
    _require()
    app = create_app(make_settings(db_url, web_posts_per_minute=1000), clock=ManualClock(OPEN_AT))
    async with serving(app) as base:
        url = (await add_session(app)).replace(app[COMPONENTS].services.links.base_url, base)
        proc = await asyncio.create_subprocess_exec(
            "node", str(E2E_DIR / "web_feedback.mjs"), cwd=ROOT, env={**os.environ, "E2E_FEEDBACK_URL": url,
                                                                      "E2E_SESSION_TITLE": "Bench session",
                                                                      "CHROMIUM_PATH": str(CHROMIUM)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 150)
        except asyncio.TimeoutError:
            proc.kill()
            raise
        stdout = out.decode()
        assert "web_feedback: passed" in stdout, stdout + err.decode()[-3000:]
        async with app[COMPONENTS].services.db() as db:
            rows = list(await db.scalars(select(FeedbackResponse)))
        assert [(r.overall, r.presentation, r.discussion, r.topics) for r in rows] == [(5, 4, 3, ["supervision"])]
