"""The msrest shortcuts change how fast replies are serialised, never what is sent."""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone

from botframework.connector import models
from hypothesis import given
from hypothesis import strategies as st
from msrest.serialization import Serializer
from msrest.universal_http.requests import ClientRetryPolicy

from bot import msrest_speedups
from dialogs.shared.cards import card_activity

msrest_speedups.apply()

_generic = msrest_speedups._generic_serialize_object  # noqa: SLF001 - the original, to compare with
_MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}

plain_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(st.text(max_size=8), plain_json, max_size=5) | st.lists(plain_json, max_size=5))
def test_plain_json_serialises_exactly_as_msrest_would(tree):
    serializer = Serializer(_MODELS)
    fast = serializer.serialize_object(tree)
    assert fast == _generic(serializer, tree)
    assert fast is not tree  # a copy, as msrest makes: later changes to the card cannot leak in


def test_values_msrest_transforms_still_go_through_msrest():
    serializer = Serializer(_MODELS)
    moment = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
    for tree in ({"when": moment}, {1: "int key"}, {"x": [1.5, float("nan")]}, {"t": (1, 2)}):
        fast, generic = serializer.serialize_object(tree), _generic(serializer, tree)
        if isinstance(tree.get("x"), list):  # NaN != NaN: compare the shape and the finite part
            assert fast["x"][0] == generic["x"][0] and math.isnan(fast["x"][1])
        else:
            assert fast == generic
    assert serializer.serialize_object({"when": moment}) == {"when": "2026-11-24T09:30:00.000Z"}


def test_card_reply_body_is_unchanged():
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello", "wrap": True}],
            "actions": [{"type": "Action.Execute", "title": "Open", "verb": "menu.show", "data": {"n": 1}}]}
    activity = card_activity(card)
    activity.conversation = models.ConversationAccount(id="c1")
    serializer = Serializer(_MODELS)
    body = serializer.body(activity, "Activity")
    # What the SDK alone sends: its generic serializer, the card as a plain dict.
    activity.attachments[0].content = dict(activity.attachments[0].content)
    Serializer.serialize_object = _generic
    try:
        expected = Serializer(_MODELS).body(activity, "Activity")
    finally:
        msrest_speedups.apply()
    assert body == expected
    assert body["attachments"][0]["content"]["actions"][0]["fallback"]["type"] == "Action.Submit"


def test_retry_codes_are_the_same_codes_in_a_set():
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    # msrest's own list: everything below 500 except 408, plus 501 and 505.
    assert ClientRetryPolicy.safe_codes == frozenset([i for i in range(500) if i != 408] + [501, 505])


def test_content_prose_takes_the_fast_path_and_serialises_as_a_plain_string():
    from dialogs.shared.templating import Prose

    serializer = Serializer(_MODELS)
    tree = {"type": "TextBlock", "text": Prose("**Welcome**")}
    fast = msrest_speedups.plain_json_copy(tree)  # raises if prose were not plain JSON
    assert fast == _generic(serializer, tree) == {"type": "TextBlock", "text": "**Welcome**"}
    assert type(fast["text"]) is str


def test_the_sdks_deep_copy_of_a_card_reply_shares_the_card_and_sends_the_same():
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hi"}]}
    activity = card_activity(card)
    copied = copy.deepcopy(activity)  # what TurnContext.send_activities does to every activity
    assert copied is not activity and copied.attachments[0] is not activity.attachments[0]
    assert copied.attachments[0].content is activity.attachments[0].content
    serializer = Serializer(_MODELS)
    assert serializer.body(copied, "Activity") == serializer.body(activity, "Activity")


def test_a_sent_card_msrest_must_transform_is_still_serialised_as_a_dict():
    moment = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
    sent = card_activity({"type": "AdaptiveCard", "when": moment}).attachments[0].content
    assert Serializer(_MODELS).serialize_object(sent) == {"type": "AdaptiveCard", "when": "2026-11-24T09:30:00.000Z"}
