"""A smaller run of bench/web_feedback.py: 50 browsers answer at once through a real loopback
server; every one gets the thank-you page and every answer is in the database."""

from __future__ import annotations

from bench.web_feedback import run


async def test_fifty_concurrent_feedback_posts_lose_nothing(db_url):
    result = await run(db_url, 50)
    assert (result["errors"], result["lost"], result["stored"]) == (0, 0, 50), result
