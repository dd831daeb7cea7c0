"""The Teams activity handler: records who is speaking, then routes the turn by verb or text."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.schema import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, ChannelAccount, InvokeResponse
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount

from dialogs.shared.cards import ADAPTIVE_CARD, card_activity
from dialogs.shared.templating import with_submit_fallback
from bot.turns import fingerprint, seen_conversation, seen_user
from dialogs.shared.card_prompt import CardPrompt
from dialogs.shared.context import (
    BotServices, InvalidInput, TurnInput, TurnScope, role_names, say, scope_of, set_scope, show,
)
from dialogs.shared.notices import notice_card
from dialogs.menu import MenuActions
from dialogs.shared.registry import FeatureRegistry
from storage.roles import Actor, NotPermitted, roles_of
from storage.users import mark_welcomed, record_user, upsert_conversation

log = logging.getLogger(__name__)
_MESSAGE = "application/vnd.microsoft.activity.message"


class PeerSpaceBot(TeamsActivityHandler):
    def __init__(
        self,
        services: BotServices,
        registry: FeatureRegistry,
        menu: MenuActions,
        conversation_state: ConversationState,
    ) -> None:
        super().__init__()
        self._services = services
        self._registry = registry
        self._menu = menu
        self._state = conversation_state
        self._dialogs = DialogSet(conversation_state.create_property("DialogState"))
        self._dialogs.add(CardPrompt(services.content))
        for dialog in registry.dialogs():
            self._dialogs.add(dialog)

    async def on_turn(self, turn_context: TurnContext) -> None:
        actor = await self._record(turn_context)
        set_scope(turn_context, TurnScope(input=TurnInput(), actor=actor))
        await super().on_turn(turn_context)
        scope = scope_of(turn_context)
        if scope.forget_user:
            self._services.actors.clear()
            await self._state.delete(turn_context)
        else:
            await self._state.save_changes(turn_context)

    async def _record(self, turn_context: TurnContext) -> Actor:
        """Store the person, the conversation reference and tenant; work out the actor's roles."""
        activity = turn_context.activity
        sender, conv = activity.from_property, activity.conversation
        key = f"{sender.id if sender else ''}|{conv.id if conv else ''}"
        seen = fingerprint(activity)
        cached = self._services.actors.get(key, seen)
        if cached is not None:
            return cached
        actor = await self._store_seen(seen_user(activity), seen_conversation(activity))
        if actor.user_id:
            self._services.actors.put(key, seen, actor)
        return actor

    async def _store_seen(self, user_seen, conv_seen) -> Actor:
        async with self._services.db() as db, db.begin():
            user, created = (await record_user(db, user_seen, self._services.default_zone) if user_seen
                             else (None, False))
            if conv_seen is not None:
                await upsert_conversation(db, conv_seen, user)
            if user is not None and created:  # after the conversation, so hooks may queue messages to it
                await self._services.appearances.appeared(db, user)
            roles = await roles_of(db, user.aad_object_id if user else None, self._services.configured_roles)
        return Actor(user_id=user.id if user else "", aad_object_id=user.aad_object_id if user else None,
                     roles=roles)

    # --- install events -------------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[TeamsChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        conv_type = turn_context.activity.conversation.conversation_type or "personal"
        if any(m.id == bot_id for m in teams_members_added) or conv_type == "personal":
            await self._welcome(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        await self.on_teams_members_added(members_added, None, turn_context)  # non-Teams test channels

    async def _welcome(self, turn_context: TurnContext) -> None:
        async with self._services.db() as db, db.begin():
            first = await mark_welcomed(db, turn_context.activity.conversation.id)
        if first:
            await turn_context.send_activity(card_activity(self._menu.welcome_card()))

    # --- messages and card actions ----------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value:
            # Action.Submit fallback from clients without Universal Actions.
            value = activity.value
            await self._dispatch_action(turn_context, value.get("verb"), value, via_invoke=False)
            return
        text = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
        scope_of(turn_context).input = TurnInput(text=(text or "").strip()[:4000])
        await self._route(turn_context)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        action = invoke_value.action
        if not isinstance(action, dict):  # msrest may or may not have built a model for it
            action = {"verb": getattr(action, "verb", None), "data": getattr(action, "data", None)}
        verb, data = action.get("verb"), action.get("data")
        await self._dispatch_action(turn_context, verb, data, via_invoke=True)
        replacement = scope_of(turn_context).replacement
        if replacement is not None:
            return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD,
                                              value=with_submit_fallback(replacement))
        return AdaptiveCardInvokeResponse(status_code=200, type=_MESSAGE,
                                          value=self._services.content.text("bot.done"))

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # msrest types AdaptiveCardInvokeResponse.value as a dict, but a "message" response
        # carries a string; build the body ourselves instead of failing to serialise it.
        if isinstance(body, AdaptiveCardInvokeResponse):
            return InvokeResponse(status=200, body={"statusCode": body.status_code, "type": body.type,
                                                    "value": body.value})
        return TeamsActivityHandler._create_invoke_response(body)

    async def _dispatch_action(self, turn_context: TurnContext, verb: Any, data: Any, *, via_invoke: bool):
        scope = scope_of(turn_context)
        try:
            scope.input = TurnInput.from_action(verb, data, via_invoke=via_invoke)
        except InvalidInput as exc:
            # Field names come from the client: log only our own fixed labels.
            where = exc.args[0] if exc.args and exc.args[0] in ("verb", "data", "field name") else "field value"
            log.info("invalid card submission rejected (%s)", where)
            await say(turn_context, self._services.content.text("bot.invalid_input"))
            return
        await self._route(turn_context)

    async def _route(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context)
        turn_input = scope.input
        verb = turn_input.verb or (self._services.content.command_verb(turn_input.text) if turn_input.text else None)
        dc = await self._dialogs.create_context(turn_context)
        try:
            if verb and verb in self._registry.start_verbs():
                await dc.cancel_all_dialogs()
                action = self._registry.action(verb)
                if action is not None:
                    await action(turn_context)
                else:
                    await dc.begin_dialog(self._registry.dialog_for(verb))
                return
            if dc.active_dialog is not None:
                result = await dc.continue_dialog()
                if result.status != DialogTurnStatus.Empty:
                    return
            # A dead end for typed words or an old card: say so, with the menu one press away.
            text = self._services.content.text
            if turn_input.verb:
                card = notice_card(self._services.content, text("bot.card_expired_title"), text("bot.card_expired"))
            else:
                card = notice_card(self._services.content, text("bot.unknown_title"), text("bot.unknown_text"))
            await show(turn_context, card)
        except NotPermitted as exc:
            await say(turn_context, self._services.content.text(
                "bot.not_permitted", roles=role_names(self._services.content, exc.roles) or "-"))
