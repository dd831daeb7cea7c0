"""A prompt that shows a card and waits for one of its buttons (the card-world ConfirmPrompt)."""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.shared.content import Content
from dialogs.shared.context import say, scope_of, show
from dialogs.shared.notices import notice_card


class CardPrompt(Dialog):
    """Options: {"card": <bound card>, "verbs": [accepted verbs], "replace": bool}.

    Ends with {"verb": ..., "data": {...}} when one of the accepted buttons is pressed; any
    other input gets a gentle reminder and the prompt keeps waiting, across restarts too,
    because its state lives in the dialog stack in SQL storage.
    """

    ID = "card_prompt"

    def __init__(self, content: Content) -> None:
        super().__init__(self.ID)
        self._content = content

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        if not isinstance(options, dict) or "card" not in options or not options.get("verbs"):
            raise ValueError("CardPrompt needs a card and the verbs it accepts")
        dialog_context.active_dialog.state["verbs"] = list(options["verbs"])
        await show(dialog_context.context, options["card"], replace=options.get("replace", True))
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        turn_input = scope_of(dialog_context.context).input
        if turn_input.verb in dialog_context.active_dialog.state["verbs"]:
            return await dialog_context.end_dialog({"verb": turn_input.verb, "data": dict(turn_input.data)})
        text = self._content.text
        if turn_input.verb:
            await show(dialog_context.context, notice_card(self._content, text("bot.card_expired_title"),
                                                           text("bot.card_expired")))
        else:
            await say(dialog_context.context, text("bot.use_buttons"))
        return Dialog.end_of_turn
