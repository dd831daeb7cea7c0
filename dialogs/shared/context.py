"""What every dialog receives: the services built by the composition root, and the current turn."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dialogs.shared.cards import card_activity
from dialogs.shared.content import Content
from dialogs.shared.links import LinkSigner
from dialogs.shared.mail import Mailer
from dialogs.shared.samples import SampleData
from storage.absences import AbsenceDirectory
from storage.appearances import AppearanceHooks
from storage.personal_data import PersonalDataRegistry
from storage.roles import Actor, ConfiguredRoles, Role
from storage.supervisors import SupervisorDirectory

_SCOPE_KEY = "peerspace.turn"
MAX_VERB = 100
MAX_FIELDS = 60
MAX_VALUE = 4000


class ActorCache:
    """Who was speaking in a conversation, remembered for a short while.

    Most turns come from people whose name, zone and conversation reference have not changed;
    for them the handler skips re-writing the same rows and re-reading their roles. Entries
    expire after `ttl` seconds, so a role granted on another replica applies within that time;
    local role changes and erasures clear entries at once.
    """

    def __init__(self, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[object, Actor, float]] = OrderedDict()

    def get(self, key: str, fingerprint: object) -> Actor | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != fingerprint or entry[2] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, fingerprint: object, actor: Actor) -> None:
        self._entries[key] = (fingerprint, actor, time.monotonic() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


@dataclass(frozen=True)
class BotServices:
    """Built once in `bot.app.create_app`; dialogs get it as a constructor argument."""

    db: async_sessionmaker[AsyncSession]
    engine: AsyncEngine  # for the few reads run on the driver's connection (storage/fastpath.py)
    content: Content
    personal_data: PersonalDataRegistry
    configured_roles: ConfiguredRoles
    default_zone: str
    min_group_size: int
    support_name: str
    support_email: str
    now: Callable[[], datetime]
    links: LinkSigner
    actors: ActorCache = field(default_factory=ActorCache)
    supervisors: SupervisorDirectory = field(default_factory=SupervisorDirectory)  # filled by people
    appearances: AppearanceHooks = field(default_factory=AppearanceHooks)  # "a person appeared" hooks
    # Local development mode (bot.config.Settings.local_dev): the dev notes and sample data.
    local_dev: bool = False
    # Each feature registers its sample data here (dialogs/shared/samples.py); runs only when local_dev.
    sample_data: SampleData = field(default_factory=SampleData)
    absences: AbsenceDirectory = field(default_factory=AbsenceDirectory)  # filled by tripartite (pauses)
    # Email confirmations (dialogs/shared/mail.py); a disabled one when SMTP is not configured.
    mail: Mailer = field(default_factory=Mailer.disabled)


class InvalidInput(ValueError):
    """A card submission that is not shaped like anything our cards send."""


@dataclass(frozen=True)
class TurnInput:
    """What the person did this turn: pressed a card button (verb + data) or typed text."""

    verb: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    via_invoke: bool = False

    @classmethod
    def from_action(cls, verb: Any, data: Any, *, via_invoke: bool) -> "TurnInput":
        """Validate the envelope of a submission; field values are validated by each dialog."""
        if not isinstance(verb, str) or not verb or len(verb) > MAX_VERB:
            raise InvalidInput("verb")
        data = dict(data or {}) if isinstance(data, dict) or data is None else None
        if data is None or len(data) > MAX_FIELDS:
            raise InvalidInput("data")
        data.pop("verb", None)
        for key, value in data.items():
            if not isinstance(key, str) or len(key) > MAX_VERB:
                raise InvalidInput("field name")
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise InvalidInput(key)
            if isinstance(value, str) and len(value) > MAX_VALUE:
                raise InvalidInput(key)
        return cls(verb=verb, data=data, via_invoke=via_invoke)


@dataclass
class TurnScope:
    """Per-turn facts, kept in turn_state so dialogs and the handler share them."""

    input: TurnInput
    actor: Actor
    replacement: dict[str, Any] | None = None
    forget_user: bool = False  # set when the person erased their data: write nothing back


def scope_of(turn_context: TurnContext) -> TurnScope:
    return turn_context.turn_state[_SCOPE_KEY]


def set_scope(turn_context: TurnContext, scope: TurnScope) -> None:
    turn_context.turn_state[_SCOPE_KEY] = scope


async def show(turn_context: TurnContext, card: dict[str, Any], *, replace: bool = False) -> None:
    """Show a card: in place of the pressed one when it came by Action.Execute, else as a message."""
    scope = turn_context.turn_state.get(_SCOPE_KEY)
    if replace and scope is not None and scope.input.via_invoke and scope.replacement is None:
        scope.replacement = card
        return
    await turn_context.send_activity(card_activity(card))


async def say(turn_context: TurnContext, text: str) -> None:
    await turn_context.send_activity(text)


def role_names(content: Content, roles: tuple[Role, ...]) -> str:
    return ", ".join(content.text(f"roles.{r.value}") for r in roles)
