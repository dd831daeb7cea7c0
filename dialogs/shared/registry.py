"""Features plug into the bot here: their menu entries, the verbs they start on, their dialogs.

The handler routes by verb through this registry, so adding a feature never edits the handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp.web import UrlDispatcher
from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.shared.context import BotServices
from dialogs.shared.web import WebSite
from scheduler.clock import Clock
from scheduler.service import SchedulerService
from storage.outbox import ClaimedMessage
from storage.roles import Actor, Role

ActionHandler = Callable[[TurnContext], Awaitable[None]]
# A card action's answer when the database cannot be reached: card data in, a card (or None) out,
# built from content alone (check-in signposting must never depend on the database).
OfflineAnswer = Callable[[dict[str, Any]], "dict[str, Any] | None"]

# Turns a claimed outbox row into the activity to send, or None when it is no longer wanted.
Renderer = Callable[[AsyncSession, ClaimedMessage], Awaitable[Activity | None]]


class OutboxRenderers(Protocol):
    """What a feature may do with delivery: render the outbox kinds it enqueues.

    Declared here, below the edge, so features need not import bot/; bot.delivery.OutboxDelivery
    provides it.
    """

    def register(self, kind: str, renderer: Renderer) -> None: ...


@dataclass(frozen=True)
class MenuEntry:
    """A button on the menu card; title and description come from `menu.<key>` in content."""

    key: str
    verb: str
    order: int
    roles: tuple[Role, ...] = ()  # empty: everyone sees it

    def visible_to(self, actor: Actor) -> bool:
        return not self.roles or actor.has_any(*self.roles)


@dataclass
class Feature:
    name: str
    menu: list[MenuEntry] = field(default_factory=list)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    dialogs: list[Dialog] = field(default_factory=list)
    starts: dict[str, str] = field(default_factory=dict)  # verb -> dialog id
    cards: list[str] = field(default_factory=list)  # card templates the feature needs
    offline: dict[str, OfflineAnswer] = field(default_factory=dict)  # verb -> answer without a database


@dataclass(frozen=True)
class FeatureContext:
    """What a feature module's `install(ctx)` may plug into; built once by bot.app.create_app.

    A feature adds its Feature (menu entries, verbs, dialogs) to `registry`, its personal data
    to `services.personal_data`, outbox renderers to `delivery`, periodic jobs to `scheduler`,
    HTTP routes (calendar files, exports) to `router`, and web pages for people outside
    Teams to `web` (dialogs/shared/web: routes under /web, templates, CSRF, friendly errors).
    """

    services: BotServices
    registry: FeatureRegistry
    delivery: OutboxRenderers
    scheduler: SchedulerService
    router: UrlDispatcher
    clock: Clock
    web: WebSite


class FeatureRegistry:
    def __init__(self) -> None:
        self.features: list[Feature] = []

    def add(self, feature: Feature) -> None:
        taken = self.start_verbs()
        clash = taken.intersection(feature.actions) | taken.intersection(feature.starts)
        if clash:
            raise ValueError(f"feature {feature.name}: verbs already taken: {sorted(clash)}")
        self.features.append(feature)

    def start_verbs(self) -> set[str]:
        verbs: set[str] = set()
        for feature in self.features:
            verbs.update(feature.actions)
            verbs.update(feature.starts)
        return verbs

    def _first(self, table: str, verb: str) -> Any:
        for feature in self.features:
            found = getattr(feature, table).get(verb)
            if found is not None:
                return found
        return None

    def action(self, verb: str) -> ActionHandler | None:
        return self._first("actions", verb)

    def dialog_for(self, verb: str) -> str | None:
        return self._first("starts", verb)

    def offline_answer(self, verb: str) -> OfflineAnswer | None:
        return self._first("offline", verb)

    def menu_for(self, actor: Actor) -> list[MenuEntry]:
        entries = [e for f in self.features for e in f.menu if e.visible_to(actor)]
        return sorted(entries, key=lambda e: e.order)

    def dialogs(self) -> list[Dialog]:
        return [d for f in self.features for d in f.dialogs]

    def menu_texts(self) -> list[str]:
        """The title and description each menu entry shows (the other texts are found in the code)."""
        return [f"menu.{e.key}.{part}" for f in self.features for e in f.menu for part in ("title", "description")]

    def required_cards(self) -> list[str]:
        return [c for f in self.features for c in f.cards]
