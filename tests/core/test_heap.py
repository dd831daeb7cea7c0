"""What start-up built is kept out of the garbage collector's full collections while the app
serves (bot/heap.py), and handed back when it stops."""

from __future__ import annotations

import gc

from tests.conftest import start_harness


async def test_the_app_freezes_its_start_up_heap_while_it_serves(settings, connector, clock):
    gc.unfreeze()
    harness = await start_harness(settings, connector, clock)
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 50_000  # the loaded code, SDK and content: not walked by full collections
        resp = await harness.say("help")
        assert resp.status == 200
        # A turn freezes nothing more (frozen objects freed by reference counting still go).
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        await harness.client.close()
    assert gc.get_freeze_count() == 0  # back in the oldest generation, collectable again
