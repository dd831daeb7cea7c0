"""Two CPU costs of msrest 0.7.1 (its last release, which botbuilder sends every reply through),
removed without changing what it sends. Both are applied once, by the composition root.

1. Every turn and proactive send builds msrest clients, and each computed its retry codes by
   testing 999 codes against a 502-item list: ~5 ms of CPU per client. A frozenset holds the
   same codes (Azure/msrest-for-python#266).
2. A card is an attachment's `content`, typed `object`, which msrest copies node by node through
   its generic serializer: ~2 ms for a menu card, most of the difference between a card reply
   and a text one. For plain JSON (dicts with string keys, lists, strings, finite numbers,
   booleans, None) that generic serializer returns an equal copy, so a direct copy is made
   instead; anything else (a datetime, a model, a NaN) still goes through msrest. A card on its
   way out is a `SentCard` (a dict that botbuilder's deep copy leaves as it is), which msrest
   would turn into a string: it is serialised as the dict it is. A `FinishedCard` (decoded from
   JSON, never changed afterwards) is plain JSON already: it goes into the body as it is, uncopied.
"""

from __future__ import annotations

import math
from typing import Any

from msrest.serialization import Serializer
from msrest.universal_http.requests import ClientRetryPolicy

from dialogs.shared.cards import SentCard
from dialogs.shared.templating import FinishedCard

_generic_serialize_object = Serializer.serialize_object


class _NotPlainJson(Exception):
    pass


def plain_json_copy(value: Any) -> Any:
    """A copy of a plain JSON tree; raises _NotPlainJson for anything msrest would transform."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlainJson
        return value
    if kind is dict or kind is SentCard:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainJson
            out[key] = plain_json_copy(item)
        return out
    if kind is list:
        return [plain_json_copy(item) for item in value]
    if isinstance(value, str):
        # Content prose (dialogs.shared.templating.Prose) is a str subclass: JSON sees a string.
        return str(value)
    raise _NotPlainJson


def _serialize_object(self: Serializer, attr: Any, **kwargs: Any) -> Any:
    kind = type(attr)
    if kind is FinishedCard:
        return attr
    if kind is dict or kind is list or kind is SentCard:
        try:
            return plain_json_copy(attr)
        except _NotPlainJson:
            pass
    return _generic_serialize_object(self, dict(attr) if kind is SentCard else attr, **kwargs)


def apply() -> None:
    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        # msrest declares a list; `in` is all it asks of it, and a frozenset answers that faster.
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
    Serializer.serialize_object = _serialize_object  # type: ignore[method-assign]  # this module's purpose
