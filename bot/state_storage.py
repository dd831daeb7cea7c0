"""botbuilder `Storage` on the SQL database, so dialogs survive restarts and span replicas.

State documents hold botbuilder objects (DialogState, DialogInstance, prompt options with
Activities). They are encoded to JSON with their class name, and only classes from the SDK's
own packages are ever rebuilt on read: a tampered row cannot make us import arbitrary code.
"""

from __future__ import annotations

import enum
import importlib
from datetime import datetime
from typing import Any

from botbuilder.core import Storage

from storage.state_store import PendingWrite, StateStore

_ALLOWED_MODULE_PREFIXES = ("botbuilder.", "botframework.", "dialogs.")
_TYPE, _STATE, _DT, _ENUM, _TUPLE = "$type", "$state", "$datetime", "$enum", "$tuple"


def encode(value: Any) -> Any:
    """Turn a state value into JSON-ready data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return {_ENUM: _qualname(type(value)), "value": value.value}
    if isinstance(value, datetime):
        return {_DT: value.isoformat()}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v) for v in value]}
    if isinstance(value, (list, set, frozenset)):
        return [encode(v) for v in value]
    cls = type(value)
    name = _qualname(cls)
    if not name.startswith(_ALLOWED_MODULE_PREFIXES) or not hasattr(value, "__dict__"):
        raise TypeError(f"cannot store a {name} in bot state")
    return {_TYPE: name, _STATE: {k: encode(v) for k, v in vars(value).items()}}


def decode(value: Any) -> Any:
    """Rebuild what `encode` produced."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _TYPE in value:
        cls = _load_class(value[_TYPE])
        obj = cls.__new__(cls)
        obj.__dict__.update({k: decode(v) for k, v in value[_STATE].items()})
        return obj
    if _DT in value:
        return datetime.fromisoformat(value[_DT])
    if _ENUM in value:
        return _load_class(value[_ENUM])(value["value"])
    if _TUPLE in value:
        return tuple(decode(v) for v in value[_TUPLE])
    return {k: decode(v) for k, v in value.items()}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load_class(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    if not (module_name + ".").startswith(_ALLOWED_MODULE_PREFIXES):
        raise TypeError(f"refusing to load {name!r} from bot state")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"{name!r} is not a class")
    return obj


def _get_etag(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif hasattr(item, "__dict__"):
        item.e_tag = etag


class SqlStorage(Storage):
    """botbuilder Storage over `StateStore` with optimistic concurrency on eTags."""

    def __init__(self, store: StateStore) -> None:
        super().__init__()
        self._store = store

    async def read(self, keys: list[str]) -> dict[str, object]:
        if not keys:
            raise ValueError("Keys are required when reading")
        found = await self._store.read(keys)
        result: dict[str, object] = {}
        for key, stored in found.items():
            item = decode(stored.document)
            _set_etag(item, stored.etag)
            result[key] = item
        return result

    async def write(self, changes: dict[str, object]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        pending = {}
        for key, item in changes.items():
            expected = _get_etag(item)
            document = encode(item)
            if isinstance(document, dict):
                document.pop("e_tag", None)
                if _STATE in document:
                    document[_STATE].pop("e_tag", None)
            pending[key] = PendingWrite(document, expected)
        new_etags = await self._store.write(pending)
        # Hand the fresh eTag back so a second save in the same turn is not a false conflict.
        for key, etag in new_etags.items():
            _set_etag(changes[key], etag)

    async def delete(self, keys: list[str]) -> None:
        await self._store.delete(keys)
