"""200 concurrent submissions to the anonymous feedback page, over loopback.

Run from the repository root: ``python bench/web_feedback.py`` (SQLite in a temp folder; and on
PostgreSQL too when TEST_POSTGRES_URL is set, in a database it creates and drops). Bounded: one
session, N browsers (each its own aiohttp client and cookie jar) that all open the QR code's
link, then all post their answers at once to the real app on a real loopback server. Prints the
errors (any answer other than the thank-you page), the lost responses (thank-you pages minus
rows counted in the database afterwards), latency percentiles of the posts and the machine's
load; exits 1 on any error or loss. tests/feedback/test_feedback_web_load.py runs 50.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.procs import postgres_factory, sqlite_factory  # noqa: E402
from bot.app import COMPONENTS, create_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from dialogs.shared.public_pages import feedback_page_url  # noqa: E402
from scheduler.clock import ManualClock  # noqa: E402
from storage.feedback.models import FeedbackResponse  # noqa: E402
from storage.migrate import upgrade_url  # noqa: E402
from storage.sessions.models import Meeting, Series, SessionStatus  # noqa: E402

START = datetime(2026, 12, 11, 14, 0, tzinfo=timezone.utc)
OPEN_AT = START + timedelta(hours=1, minutes=50)  # the closing slide
HIDDEN = re.compile(r'name="(csrf_token|answer)" value="([^"]*)"')
ANSWERS = [("overall", "4"), ("presentation", "5"), ("discussion", "3"), ("topics", "supervision"),
           ("helpful", "The small group discussion about supervision"), ("better", "More time for questions")]


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free loopback port, as in production (aiohttp's own server); its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def add_session(app: web.Application) -> str:
    """A held session whose feedback page is open at the clock's time; its QR code's link."""
    services = app[COMPONENTS].services
    async with services.db() as db, db.begin():
        series = Series(name="Bench series")
        db.add(series)
        await db.flush()
        space = Meeting(series_id=series.id, title="Bench session", starts_at=START,
                        ends_at=START + timedelta(hours=2), status=SessionStatus.HELD)
        db.add(space)
        await db.flush()
        return feedback_page_url(services.links, space.id, space.ends_at)


async def _one_browser(base: str, path: str, timeout: aiohttp.ClientTimeout) -> tuple[bool, float]:
    """Open the link, post the form; (thanked, seconds the post took)."""
    async with aiohttp.ClientSession(base, timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(path) as resp:
            html = await resp.text()
        fields = dict(HIDDEN.findall(html))
        started = time.perf_counter()
        try:
            async with client.post("/web/feedback/answer", data=[*fields.items(), *ANSWERS]) as resp:
                ok = resp.status == 200 and "Thank you for your feedback" in await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        return ok, time.perf_counter() - started


async def run(url: str, browsers: int) -> dict:
    """Serve the app on loopback, let `browsers` answer at once; figures, errors and losses."""
    await upgrade_url(url)
    settings = load_settings(_env_file=None, dev_mode=True, database_url=url, scheduler_enabled=False,
                             web_posts_per_minute=100_000)  # every browser here shares one address
    app = create_app(settings, clock=ManualClock(OPEN_AT))
    async with serving(app) as base:
        path = urlsplit(await add_session(app)).path
        timeout = aiohttp.ClientTimeout(total=120)
        started = time.perf_counter()
        results = await asyncio.gather(*(_one_browser(base, path, timeout) for _ in range(browsers)))
        wall = time.perf_counter() - started
        async with app[COMPONENTS].services.db() as db:
            stored = await db.scalar(select(func.count()).select_from(FeedbackResponse))
    thanked = sum(ok for ok, _ in results)
    latencies = sorted(seconds for _, seconds in results)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"browsers": browsers, "errors": browsers - thanked, "lost": thanked - (stored or 0),
            "stored": stored, "wall": wall, "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": latencies[-1]}


def _report(engine: str, r: dict) -> str:
    return (f"{engine}: {r['browsers']} concurrent posts, {r['errors']} errors, {r['lost']} lost "
            f"({r['stored']} stored), post latency p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, "
            f"p99 {r['p99'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms; all {r['wall']:.2f} s")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browsers", type=int, default=200)
    args = parser.parse_args()
    factories = [("SQLite", sqlite_factory(Path(tempfile.mkdtemp())))]
    if os.environ.get("TEST_POSTGRES_URL"):
        factories.append(("PostgreSQL", postgres_factory(os.environ["TEST_POSTGRES_URL"])))
    failed = False
    print("load:", os.getloadavg())
    for engine, make in factories:
        url, cleanup = await make()
        try:
            result = await run(url, args.browsers)
        finally:
            await cleanup()
        print(_report(engine, result))
        failed |= bool(result["errors"] or result["lost"])
    print("load:", os.getloadavg())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
