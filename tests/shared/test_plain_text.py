"""Text people typed (registration details, session details, Teams display names) is shown as
plain text wherever Teams renders Markdown: no disguised link, emphasis, list or code, while
content prose keeps the Markdown it was written with."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from dialogs.shared.content import Content, load_content
from dialogs.shared.templating import Prose, bind, escape_markdown
from tests.cards import markdown_texts, markup_in, render, unescape
from tests.factories import ALICE, FACILITATOR, Person
from tests.sessions.test_sessions_admin import user_id
from tests.sessions.test_sessions_register import card_of, first_session, path_of, register, url_of

PHISH = "[NHS login](https://evil.example/phish)"
# Markdown's own characters, often, among letters, spaces, line breaks and any other character.
TYPED = st.text(st.one_of(st.sampled_from(string.punctuation + " \n\t1aZ"), st.characters(
    blacklist_categories=("Cc", "Cs"))), max_size=80)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(Path(__file__).resolve().parents[2] / "content")


def _shown(rendered: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


@settings(derandomize=True, max_examples=400, deadline=None)
@given(TYPED)
def test_escaped_text_renders_as_exactly_that_text(typed):
    markdown = escape_markdown(typed)
    assert markup_in(markdown) == set(), render(markdown)
    assert _shown(render(markdown)) == " ".join(typed.split()).replace("\0", "\ufffd")


def test_known_markdown_constructs_render_as_plain_text():
    for typed in (PHISH, "![x](https://evil.example/x.png)", "<https://evil.example>", "https://evil.example",
                  "www.evil.example", "help@evil.example", "**bold** _it_ ~~gone~~ `code`", "# Heading",
                  "- item\n+ item\n1. item\n2) item", "> quote", "a | b\n--|--\nc | d", "text\n===",
                  "para\n\n    code", "&lt;b&gt; &#91;x&#93;"):
        assert markup_in(escape_markdown(typed)) == set(), typed
        assert " ".join(unescape(escape_markdown(typed)).split()) == " ".join(typed.split())


def test_binding_escapes_only_where_teams_renders_markdown():
    card = {"body": [
        {"type": "TextBlock", "text": "${org}"},
        {"type": "TextBlock", "text": "From ${org}"},
        {"type": "FactSet", "facts": [{"$data": "${rows}", "title": "${name}", "value": "${org}"}]},
        {"type": "Input.Text", "id": "organisation", "value": "${org}"},
        {"type": "Input.ChoiceSet", "choices": [{"title": "${org}", "value": "x"}]},
        {"type": "TextBlock", "text": "${intro}"},
    ]}
    bound = bind(card, {"org": PHISH, "rows": [{"name": PHISH, "org": PHISH}], "intro": Prose("**Welcome**")})
    body = bound["body"]
    for markdown in (body[0]["text"], body[1]["text"], body[2]["facts"][0]["title"], body[2]["facts"][0]["value"]):
        assert "a" not in markup_in(markdown) and PHISH in unescape(markdown)
    assert body[3]["value"] == PHISH and body[4]["choices"][0]["title"] == PHISH, "inputs show text as it is"
    assert body[5]["text"] == "**Welcome**", "content prose keeps its Markdown"


def test_content_text_keeps_its_markdown_and_escapes_what_was_typed(content):
    key = next(k for k, v in content.texts.items() if "{name}" in v)
    text = content.text(key, **{p: PHISH for p in _params(content.texts[key])})
    assert PHISH in text, "the plain text (for buttons and inputs) is as typed"
    assert "a" not in markup_in(text.markdown)
    assert bind({"type": "TextBlock", "text": "${t}"}, {"t": text})["text"] == text.markdown


def test_the_card_cache_tells_prose_from_the_same_words_typed(content):
    first = content.card("notice", {"title": Prose("**Hi**"), "text": Prose("**Hi**"), "next": []})
    second = content.card("notice", {"title": "**Hi**", "text": "**Hi**", "next": []})
    assert "strong" in markup_in(list(markdown_texts(first))[-1])
    assert "strong" not in markup_in(list(markdown_texts(second))[-1])


def _params(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


async def test_a_registrants_link_is_plain_text_for_facilitators_and_in_the_register(harness):
    sid = await first_session(harness)
    await register(harness, sid, ALICE, name=PHISH, organisation=PHISH, role=PHISH, access_needs=PHISH)
    await harness.say("hi", FACILITATOR)
    manage = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    shown = list(markdown_texts(manage))
    assert sum(PHISH in unescape(t) for t in shown) >= 3, "organisation, role and access needs are listed"
    assert not any("a" in markup_in(t) for t in shown)
    text = (await (await harness.client.get(path_of(url_of(manage, "Download register (CSV)")))).read()).decode("utf-8-sig")
    assert next(itertools.islice(csv.reader(io.StringIO(text)), 1, None))[:3] == [PHISH] * 3, \
        "a CSV cell holds the text as typed: no markup, nothing to render"


async def test_a_teams_display_name_with_a_link_is_plain_text(harness):
    admin = Person("29:admin", "aad-admin", "Ada Admin")
    mallory = Person("29:mallory", "aad-mallory", PHISH)
    await harness.say("hi", mallory)
    await harness.say("hi", admin)
    body = await harness.press("roles.grant", {"person": await user_id(harness, mallory), "role": "facilitator"}, admin)
    shown = list(markdown_texts(body["value"]))
    assert sum(PHISH in unescape(t) for t in shown) >= 2, "named in the confirmation and the list of roles"
    assert not any("a" in markup_in(t) for t in shown)
