"""The menu, help and "about and privacy": the doors to every other feature."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.registry import Feature, FeatureRegistry, MenuEntry


class MenuActions:
    def __init__(self, services: BotServices, registry: FeatureRegistry) -> None:
        self._services = services
        self._registry = registry
        # The menu card for each set of entries a role set sees, bound once: nothing on it
        # depends on the person, and binding (and its cache key) was a large share of a menu turn.
        # Shared by every menu turn: a FinishedCard, which nothing changes once made.
        self._menus: dict[tuple[MenuEntry, ...], dict[str, Any]] = {}

    def urgent_help(self) -> list[dict[str, Any]]:
        return list(self._services.content.data["support"]["urgent"])

    def feature_lines(self) -> list[dict[str, str]]:
        """Every feature a newcomer can use, for the welcome card (role-only entries are left out)."""
        text = self._services.content.text
        entries = [e for f in self._registry.features for e in f.menu if not e.roles]
        return [{"title": text(f"menu.{e.key}.title"), "description": text(f"menu.{e.key}.description")}
                for e in sorted(entries, key=lambda e: e.order)]

    def welcome_card(self) -> dict[str, Any]:
        text = self._services.content.text
        # Local development mode says so, and offers sample data (dialogs/samples.py).
        dev = ({"shown": True, "title": text("samples.welcome.title"), "text": text("samples.welcome.text")}
               if self._services.local_dev else {"shown": False})
        return self._services.content.card("welcome", {
            "dev": dev,
            "features": self.feature_lines(),
            "min_group_size": self._services.min_group_size,
            "urgent": self.urgent_help(),
        })

    def menu_card(self, entries: tuple[MenuEntry, ...]) -> dict[str, Any]:
        """The menu card with these entries: one shared card, to be sent and never changed."""
        card = self._menus.get(entries)
        if card is None:
            text = self._services.content.text
            card = self._menus[entries] = self._services.content.card("menu", {"entries": [
                {"title": text(f"menu.{e.key}.title"), "description": text(f"menu.{e.key}.description"),
                 "verb": e.verb, "button": text(f"menu.{e.key}.button")}
                for e in entries
            ]})
        return card

    async def show_menu(self, turn_context: TurnContext) -> None:
        await show(turn_context, self.menu_card(tuple(self._registry.menu_for(scope_of(turn_context).actor))))

    async def show_about(self, turn_context: TurnContext) -> None:
        services = self._services
        card = services.content.card("about", {
            "min_group_size": services.min_group_size,
            "urgent": self.urgent_help(),
            "support_name": services.support_name,
            "support_email": services.support_email,
        })
        await show(turn_context, card)


def menu_feature(services: BotServices, registry: FeatureRegistry) -> tuple[Feature, MenuActions]:
    actions = MenuActions(services, registry)
    feature = Feature(
        name="menu",
        menu=[MenuEntry("about", "about.show", order=900)],
        actions={"menu.show": actions.show_menu, "about.show": actions.show_about},
        cards=["welcome", "menu", "about", "notice"],
    )
    return feature, actions
