"""Unit tests of SDK-free rules: card binding, content validation, rate limiting, migrations."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine as create_sync_engine

from dialogs.shared.content import ContentError, load_content
from dialogs.shared.templating import BindingError, bind
from scheduler.ratelimit import Limit, RateLimiter, TokenBucket

CONTENT = Path(__file__).resolve().parents[2] / "content"


# --- card binding ---------------------------------------------------------------------------

def test_bind_whole_values_inner_text_repeat_and_when():
    template = {"a": "${n}", "b": "Hello ${name}!", "items": [
        {"$data": "${people}", "t": "${name} of ${$root.org}"},
        {"$when": "${flag}", "t": "shown"},
        {"$when": "${off}", "t": "hidden"},
    ]}
    out = bind(template, {"n": 5, "name": "Sam", "people": [{"name": "A"}, {"name": "B"}], "org": "X",
                          "flag": True, "off": ""})
    assert out == {"a": 5, "b": "Hello Sam!", "items": [{"t": "A of X"}, {"t": "B of X"}, {"t": "shown"}]}


def test_bind_never_touches_json_syntax():
    out = bind({"text": "${x}"}, {"x": '"}], "evil": {"'})
    assert json.loads(json.dumps(out)) == {"text": '"}], "evil": {"'}


def test_bind_missing_data_is_an_error():
    with pytest.raises(BindingError):
        bind({"t": "${missing}"}, {})


# --- content validation ---------------------------------------------------------------------

def _copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def test_default_content_loads():
    content = load_content(CONTENT)
    assert content.command_verb("Help!") == "menu.show"
    assert content.command_verb("I need help") is None
    assert {"welcome", "menu", "about", "my_data"} <= set(content.cards)


def test_feature_folders_keep_the_keys_of_a_flat_layout():
    """A feature's cards, settings and texts are found by the same keys as before they had folders."""
    content = load_content(CONTENT)
    assert content.file("session_list.json") == CONTENT / "sessions" / "cards" / "session_list.json"
    assert content.file("themes.yaml") == CONTENT / "feedback" / "themes.yaml"
    assert {"session_list", "feedback_form", "notice"} <= set(content.cards)
    assert {"sessions", "feedback", "themes", "support"} <= set(content.data)
    assert any(key.startswith("sessions.") for key in content.texts)
    assert any(key.startswith("feedback.") for key in content.texts)


@pytest.mark.parametrize("breakage, expected", [
    (lambda root: (root / "cards" / "menu.json").write_text("{ not json"), "menu.json"),
    (lambda root: (root / "cards" / "menu.json").write_text('{"type": "AdaptiveCard", "version": "1.2", "body": [1]}'),
     "version must be 1.5"),
    (lambda root: (root / "messages.yaml").write_text("bot:\n  unknown_text: ''\n"), "bot.unknown_text"),
    (lambda root: (root / "messages.yaml").write_text("bot: [unclosed"), "messages.yaml"),
    (lambda root: (root / "commands.yaml").write_text("menu.show: help\n"), "menu.show"),
    (lambda root: (root / "sessions" / "cards" / "session_list.json").write_text("{ not json"),
     "sessions/cards/session_list.json"),
    (lambda root: (root / "feedback" / "texts.yaml").write_text("title: ''\n"), "feedback/texts.yaml: feedback.title"),
    (lambda root: shutil.copy(root / "cards" / "menu.json", root / "sessions" / "cards"),
     "menu.json is already defined in"),
    (lambda root: shutil.copy(root / "sessions" / "sessions.yaml", root / "feedback"), "sessions.yaml is already defined"),
    (lambda root: (root / "text").mkdir(), "move text/<feature>.yaml to <feature>/texts.yaml"),
])
def test_broken_content_names_file_and_field(tmp_path, breakage, expected):
    root = _copy_content(tmp_path)
    breakage(root)
    with pytest.raises(ContentError, match=expected.replace(".", r"\.")):
        load_content(root)


def test_app_refuses_to_start_without_a_needed_text(tmp_path):
    from bot.app import create_app
    from tests.conftest import make_settings

    root = _copy_content(tmp_path)
    text = (root / "messages.yaml").read_text().replace("  kept: Nothing was deleted. Your data is as it was.\n", "")
    (root / "messages.yaml").write_text(text)
    with pytest.raises(ContentError, match="my_data.kept"):
        create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", content_dir=root))


# --- rate limiting --------------------------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_refills_at_rate_up_to_capacity():
    bucket = TokenBucket(rate=2, capacity=3, updated=0.0)
    for _ in range(3):
        assert bucket.wait_time(0.0) == 0
        bucket.take()
    assert bucket.wait_time(0.0) == pytest.approx(0.5)
    assert bucket.wait_time(10.0) == 0 and bucket.tokens == 3


async def test_limiter_paces_to_the_tightest_limit():
    t = FakeTime()
    limiter = RateLimiter([Limit(50, 1)], [Limit(7, 1)], clock=t.clock, sleep=t.sleep)
    for _ in range(21):
        await limiter.acquire("conv")
    # 7 at once, then 7 per second: the 21st request goes out at 2 s.
    assert t.now == pytest.approx(2.0)


async def test_limiter_global_limit_spans_conversations():
    t = FakeTime()
    limiter = RateLimiter([Limit(10, 1)], [Limit(7, 1)], clock=t.clock, sleep=t.sleep)
    for i in range(30):
        await limiter.acquire(f"c{i}")
    assert t.now == pytest.approx(2.0)


async def test_penalty_pauses_only_that_conversation():
    t = FakeTime()
    limiter = RateLimiter([Limit(100, 1)], [Limit(7, 1), Limit(1800, 3600)], clock=t.clock, sleep=t.sleep)
    limiter.penalise("slow", 3.0)
    await limiter.acquire("other")
    assert t.now == 0
    await limiter.acquire("slow")
    assert t.now == pytest.approx(3.0)
    for _ in range(6):
        await limiter.acquire("slow")
    assert t.now == pytest.approx(3.0), "the hourly bucket was not drained by the pause"


# --- migrations -----------------------------------------------------------------------------

def test_migrations_match_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.migrate import upgrade_url
    from storage.schema import Base

    path = tmp_path / "m.db"
    asyncio.run(upgrade_url(f"sqlite+aiosqlite:///{path}"))
    engine = create_sync_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
