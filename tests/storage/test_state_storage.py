"""The SQL-backed botbuilder Storage: botbuilder's own conformance suite, plus our concurrency rules."""

from __future__ import annotations

import pytest
from botbuilder.core import MemoryStorage
from botbuilder.testing.storage_base_tests import StorageBaseTests

from bot.state_storage import SqlConversationState, SqlStorage, decode, encode, prefetched_state
from storage.db import create_engine
from storage.state_store import ETagConflict, StateStore

CONFORMANCE = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


@pytest.fixture
async def storage(db_url):
    engine = create_engine(db_url)
    yield SqlStorage(StateStore(engine))
    await engine.dispose()


@pytest.mark.parametrize("case", CONFORMANCE)
async def test_botbuilder_storage_conformance(storage, case):
    assert await getattr(StorageBaseTests, case)(storage) is True


async def test_stale_etag_is_a_conflict_and_changes_nothing(storage):
    await storage.write({"k": {"count": 1}})
    first = (await storage.read(["k"]))["k"]
    second = (await storage.read(["k"]))["k"]
    first["count"] = 2
    await storage.write({"k": first})
    second["count"] = 99
    with pytest.raises(ETagConflict):
        await storage.write({"k": second})
    assert (await storage.read(["k"]))["k"]["count"] == 2


async def test_conflict_in_a_batch_rolls_back_the_whole_batch(storage):
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    items = await storage.read(["a", "b"])
    await storage.write({"b": {"n": 5, "e_tag": "*"}})
    items["a"]["n"] = 2
    items["b"]["n"] = 2
    with pytest.raises(ETagConflict):
        await storage.write(items)
    assert (await storage.read(["a"]))["a"]["n"] == 1


async def test_second_save_in_same_turn_is_not_a_false_conflict(storage):
    await storage.write({"k": {"n": 1}})
    item = (await storage.read(["k"]))["k"]
    item["n"] = 2
    await storage.write({"k": item})
    item["n"] = 3
    await storage.write({"k": item})
    assert (await storage.read(["k"]))["k"]["n"] == 3


def test_encoding_refuses_classes_outside_the_sdk():
    class Foreign:
        pass

    with pytest.raises(TypeError):
        encode({"x": Foreign()})
    with pytest.raises(TypeError):
        decode({"$type": "os:system", "$state": {}})
    with pytest.raises(TypeError):
        decode({"$type": "subprocess:Popen", "$state": {}})


def test_dialog_state_round_trips():
    from botbuilder.dialogs import DialogInstance, DialogState

    state = DialogState([DialogInstance("a", {"stepIndex": 1, "values": {"t": (1, 2)}})])
    back = decode(encode({"DialogState": state}))["DialogState"]
    assert isinstance(back, DialogState)
    assert back.dialog_stack[0].id == "a"
    assert back.dialog_stack[0].state == {"stepIndex": 1, "values": {"t": (1, 2)}}


async def test_prefetched_state_answers_the_first_read_only(storage, monkeypatch):
    await storage.write({"k": {"n": 1}})
    stored = await storage._store.read(["k"])  # noqa: SLF001 - what the HTTP edge reads with the claim
    with prefetched_state("k", stored["k"]):
        async def database_down(_keys):
            raise AssertionError("the prefetched document should have been used")

        monkeypatch.setattr(storage._store, "read", database_down)  # noqa: SLF001
        assert (await storage.read(["k"]))["k"]["n"] == 1
        monkeypatch.undo()
        await storage.write({"k": {"n": 2}})
        # A second read in the same turn sees the database, not the stale prefetched copy.
        assert (await storage.read(["k"]))["k"]["n"] == 2
    with prefetched_state("absent", None):
        assert await storage.read(["absent"]) == {}


async def test_conversation_state_key_is_botbuilders():
    from botbuilder.core import TurnContext
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.schema import Activity, ConversationAccount

    state = SqlConversationState(MemoryStorage())
    activity = Activity(type="message", channel_id="msteams", conversation=ConversationAccount(id="a:1/x"))
    assert state.key_for(activity) == state.get_storage_key(TurnContext(TestAdapter(), activity))
    assert state.key_for(Activity(type="message", channel_id="msteams")) is None


async def test_change_detection_sees_nested_changes(storage):
    from botbuilder.core import TurnContext
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.schema import Activity, ConversationAccount

    state = SqlConversationState(storage)
    prop = state.create_property("DialogState")
    activity = Activity(type="message", channel_id="msteams", conversation=ConversationAccount(id="c"))
    ctx = TurnContext(TestAdapter(), activity)
    value = await prop.get(ctx, lambda: {"stack": [{"id": "a", "state": {"n": 1}}]})
    await state.save_changes(ctx)
    ctx = TurnContext(TestAdapter(), activity)
    value = await prop.get(ctx)
    await state.save_changes(ctx)  # unchanged: nothing written, so the eTag stays
    etag = (await storage.read([state.key_for(activity)]))[state.key_for(activity)]["e_tag"]
    value["stack"][0]["state"]["n"] = 2
    await state.save_changes(ctx)
    after = (await storage.read([state.key_for(activity)]))[state.key_for(activity)]
    assert after["DialogState"]["stack"][0]["state"]["n"] == 2 and after["e_tag"] != etag
