""""My data": what the bot holds about me, and deleting it (a dialog that survives restarts)."""

from __future__ import annotations

from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.shared.card_prompt import CardPrompt
from dialogs.shared.context import BotServices, scope_of, show
from dialogs.shared.notices import notice_card, step as next_step
from dialogs.shared.registry import Feature, FeatureContext, MenuEntry
from storage.models import User


class MyDataDialog(ComponentDialog):
    ID = "my_data"

    def __init__(self, services: BotServices) -> None:
        super().__init__(self.ID)
        self._services = services
        self.add_dialog(CardPrompt(services.content))
        self.add_dialog(WaterfallDialog("my_data.steps", [
            self.show_data_step, self.confirm_step, self.erase_step,
        ]))
        self.initial_dialog_id = "my_data.steps"

    async def _user(self, db, step: WaterfallStepContext) -> User | None:
        user_id = scope_of(step.context).actor.user_id
        return await db.get(User, user_id) if user_id else None

    async def show_data_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        services = self._services
        content = services.content
        user_id = scope_of(step.context).actor.user_id
        items = await services.personal_data.describe(services.engine, user_id, services.now()) if user_id else []
        card = content.card("my_data", {"items": [
            {"label": content.text(f"my_data.labels.{item.label_key}"), "value": self._value(item)} for item in items
        ]})
        return await step.prompt(CardPrompt.ID, {"card": card, "verbs": ["my_data.delete", "my_data.keep"],
                                                 "replace": False})

    def _value(self, item) -> str:
        text = self._services.content.text
        if not item.values:
            return text("my_data.none")
        if item.value_prefix:
            return ", ".join(text(f"{item.value_prefix}.{v}") for v in item.values)  # text-key: roles.*
        return ", ".join(item.values)

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result["verb"] != "my_data.delete":
            return await self._kept(step)
        card = self._services.content.card("my_data_confirm", {})
        return await step.prompt(CardPrompt.ID, {"card": card, "verbs": ["my_data.delete.confirm", "my_data.keep"]})

    async def erase_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result["verb"] != "my_data.delete.confirm":
            return await self._kept(step)
        async with self._services.db() as db, db.begin():
            user = await self._user(db, step)
            if user is not None:
                await self._services.personal_data.erase(db, user)
        scope_of(step.context).forget_user = True
        text = self._services.content.text
        await show(step.context, notice_card(self._services.content, text("notice.deleted_title"),
                                             text("notice.deleted_text")), replace=True)
        return await step.end_dialog()

    async def _kept(self, step: WaterfallStepContext) -> DialogTurnResult:
        text = self._services.content.text
        await show(step.context, notice_card(self._services.content, text("notice.kept_title"), text("my_data.kept"),
                                             (next_step(text("next_step.my_data"), "my_data.show"),)), replace=True)
        return await step.end_dialog()


def my_data_feature(services: BotServices) -> Feature:
    return Feature(
        name="my_data",
        menu=[MenuEntry("my_data", "my_data.show", order=950)],
        dialogs=[MyDataDialog(services)],
        starts={"my_data.show": MyDataDialog.ID},
        cards=["my_data", "my_data_confirm", "notice"],
    )


def install(ctx: FeatureContext) -> None:
    ctx.registry.add(my_data_feature(ctx.services))
