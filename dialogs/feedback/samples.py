"""Sample feedback for trying the bot locally (dialogs/shared/samples.py is the seam).

Every sample session whose feedback window has closed and which has no answers yet gets one
anonymous answer per attendee, through the form's own path: the comments (content/feedback/
feedback_samples.yaml) are scrubbed and tagged as a typed answer is, stored with
`responses.submit`, and the receipts sealed as the hourly job seals a closed window. Ratings are
spread so that the report shows rating bands; with 3 x MIN_GROUP_SIZE attendees every comment's
themes and topics reach the minimum group size. One "you said, we did" action is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.feedback.form import FeedbackConfig, FeedbackForm
from dialogs.shared.content import Content, ContentError, settings_file
from dialogs.shared.context import BotServices
from dialogs.shared.samples import NextStep, SampleResult, sample_series
from scheduler.clock import Clock
from storage.feedback import reports, responses as store, you_said
from storage.feedback.models import FeedbackResponse
from storage.feedback.theme_model import HybridTagger
from storage.models import User
from storage.roles import FACILITATORS, Actor
from storage.sessions.models import Registration, Series


@dataclass(frozen=True)
class SampleComment:
    helpful: str
    better: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackSamples:
    comments: tuple[SampleComment, ...]
    action_theme: str
    action: str

    @classmethod
    def load(cls, content: Content, tagger: HybridTagger) -> "FeedbackSamples":
        raw, where = settings_file(content, "feedback_samples")
        themes = {theme.id for theme in tagger.themes}
        comments = raw.get("comments")
        if not isinstance(comments, list) or len(comments) != 3:
            raise ContentError(f"{where}: comments must be a list of 3 answers")
        loaded = []
        for entry in comments:
            topics = entry.get("topics") if isinstance(entry, dict) else None
            if not isinstance(topics, list) or not set(topics) <= themes or not all(
                    isinstance(entry.get(k), str) for k in ("helpful", "better")):
                raise ContentError(f"{where}: each comment needs helpful and better texts and topics from themes.yaml")
            loaded.append(SampleComment(entry["helpful"].strip(), entry["better"].strip(), tuple(topics)))
        action = raw.get("action")
        if not isinstance(action, dict) or action.get("theme") not in themes or not isinstance(
                action.get("text"), str) or not action["text"].strip():
            raise ContentError(f"{where}: action needs a theme from themes.yaml and a text")
        return cls(tuple(loaded), action["theme"], action["text"].strip())


def ratings(i: int, n: int) -> tuple[int, int, int]:
    """Answer i of n: overall spread over low, middle and high; presentation a third low or
    middle, the rest high; discussion a third middle, the rest high. With n = 3k each shown group
    holds at least k answers, so the report shows bands for all three questions."""
    turn = (i // 3) % 2
    overall = (1 + turn, 3, 4 + turn)[i % 3]
    presentation = (2 + turn) if i < n // 3 else (4 + turn)
    discussion = 3 if i % 3 == 0 else 4 + turn
    return overall, presentation, discussion


class FeedbackSampleAdder:
    def __init__(self, services: BotServices, config: FeedbackConfig, tagger: HybridTagger, form: FeedbackForm) -> None:
        self._services = services
        self._config = config
        self._form = form
        self._samples = FeedbackSamples.load(services.content, tagger)
        self._series = sample_series(services.content)

    async def add(self, db: AsyncSession, actor: Actor, clock: Clock) -> SampleResult:
        text = self._services.content.text
        now = clock.now()
        series = await db.scalar(select(Series).where(Series.name == self._series))
        if series is None:
            return SampleResult()
        answered = 0
        report_of = None
        for space in await reports.closed_sessions(db, now, self._config.window, series_id=series.id):
            has = await db.scalar(select(func.count()).select_from(FeedbackResponse)
                                  .where(FeedbackResponse.session_id == space.id))
            report_of = report_of or space
            if has:
                continue
            people = list(await db.scalars(
                select(User.teams_id).join(Registration, Registration.user_id == User.id)
                .where(Registration.session_id == space.id, Registration.attended_at.is_not(None))
                .order_by(User.teams_id)))
            for i, person in enumerate(people):
                comment = self._samples.comments[i % len(self._samples.comments)]
                draft = await self._form.scrubbed(db, store.ResponseDraft(
                    *ratings(i, len(people)), comment.topics, comment.helpful or None, comment.better or None))
                await store.submit(db, self._form.receipts, person, space.id, draft)
            answered += len(people)
            if not await you_said.recent_actions(db, series.id, limit=1):
                await you_said.record(db, series_id=series.id, session_id=space.id,
                                      theme_id=self._samples.action_theme, action=self._samples.action,
                                      by=actor.user_id or None, at=now)
        # The window has closed: nothing may link anyone to an answer (as the hourly job ensures).
        await store.seal_closed(db, now, self._config.window)
        steps = [NextStep(text("feedback.samples.step_give"), "feedback.list")]
        if report_of is not None and actor.has_any(*FACILITATORS):
            steps.append(NextStep(text("feedback.samples.step_report"), "feedback.report.session",
                                  {"session": report_of.id}))
        line = (text("feedback.samples.made", count=answered, title=report_of.title) if answered and report_of
                else text("feedback.samples.already"))
        return SampleResult([line], steps)
