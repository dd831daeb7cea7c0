"""The garbage collector's full collections, kept off the turn path.

After start-up the process holds about 170,000 objects that live as long as it does (the loaded
code, the SDK, SQLAlchemy's mappers, the content and card templates). A full (generation 2)
collection walks all of them: 200-400 ms on a 2-vCPU VM, run inside whichever turn allocated the
object that tipped the count, so every turn waiting on the event loop waited that long too
(bench/turns.py showed 0.5-1.5 s callbacks, each a gen-2 pass). `settle()` moves what is alive
into the permanent generation (`gc.freeze`), which collections skip: a full collection then
walks only what was made since start-up. No collection first: building the app leaves no
garbage (a `gc.collect()` there found 0 unreachable objects and took 0.4-1.2 s, once per app
start, and the tests start the app hundreds of times); the freeze itself takes microseconds.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once the app is built, before it serves: freeze what is alive."""
    gc.freeze()


def unsettle() -> None:
    """Undo `settle` when the app stops (tests build many apps in one process): what was frozen
    is back in the oldest generation, and what of it is garbage by now can be collected."""
    gc.unfreeze()
