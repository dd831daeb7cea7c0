"""What facilitators may see of feedback: aggregates with small groups suppressed.

Rules (each one a promise in the privacy stance):
- A session's figures are shown only once its feedback window has closed, so they never change
  while someone could still be answering (no "before and after" subtraction of one response).
- Nothing is shown for a session with fewer than `k` (MIN_GROUP_SIZE) responses.
- A theme, topic or quote is shown only when at least `k` responses contributed to it.
- Ratings are shown only as counts of bands (low 1-2, middle 3, high 4-5), merged with a neighbour
  where needed: the finest grouping whose groups each hold at least `k` people, number at least
  two and add up to every response (so there is no complement to subtract); if none, nothing.
  So no figure is about fewer than `k` people and nothing ever says that everyone chose the same
  band, which with the attendance register would pin that band on each attendee. No average is
  shown: with the total it can pin a small cell (4.2 from 5 answers is one 1 and four 5s).
- Every series figure is the sum of figures that are themselves shown on session views, so no
  combination of views (series minus sessions, year minus quarters) recovers a hidden figure.
- There is no breakdown by organisation, role or anything else about the people.

`rating_groups` alone decides what of the ratings may be seen; cards, the CSV export and the
chart only render a `Figures`, which never holds the 1-5 counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.feedback import corrections
from storage.feedback.models import FeedbackResponse
from storage.sessions.models import Meeting, Series, SessionStatus

QUESTIONS = ("overall", "presentation", "discussion")
RATINGS = (1, 2, 3, 4, 5)
BANDS = {"low": (1, 2), "middle": (3,), "high": (4, 5)}
# Groupings of neighbouring bands, finest first; the first that passes the rule is shown. The
# bands of a grouping cover every rating, so its groups add up to all responses.
GROUPINGS = ((("low",), ("middle",), ("high",)), (("low", "middle"), ("high",)), (("low",), ("middle", "high")))
QUOTES_PER_THEME = 2


@dataclass(frozen=True)
class Group:
    """How many people chose a rating in `bands` (one band, or two neighbouring ones)."""

    bands: tuple[str, ...]
    count: int

    @property
    def key(self) -> str:
        return "_".join(self.bands)


@dataclass
class Figures:
    """Shown figures of one view; `shown` False means the view has nothing to show."""

    shown: bool
    responses: int = 0
    ratings: dict[str, tuple[Group, ...]] = field(default_factory=dict)  # question -> shown groups, or absent
    themes: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    quotes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # theme -> [(kind, text)]
    sessions: int = 0  # sessions whose figures went into this view


def _passes(groups: Sequence[Group], total: int, k: int) -> bool:
    """Every group holds at least k people (an empty one too would let the choice of grouping hint
    at a small band), at least two groups (never unanimity), and they add up to every response
    (no complement)."""
    return len(groups) >= 2 and all(g.count >= k for g in groups) and sum(g.count for g in groups) == total


def rating_groups(ratings: Iterable[int], k: int) -> tuple[Group, ...]:
    """The finest grouping of these answers into bands that the rule lets anyone see; () if none."""
    answers = list(ratings)
    for grouping in GROUPINGS:
        groups = tuple(Group(bands, sum(1 for a in answers for b in bands if a in BANDS[b])) for bands in grouping)
        if _passes(groups, len(answers), k):
            return groups
    return ()


def _regroup(groups: Sequence[Group], grouping: Sequence[tuple[str, ...]]) -> tuple[Group, ...] | None:
    """`groups` summed into `grouping`, or None when a group straddles two of its parts."""
    regrouped = []
    for part in grouping:
        inside = [g for g in groups if set(g.bands) <= set(part)]
        if {b for g in inside for b in g.bands} != set(part):
            return None
        regrouped.append(Group(part, sum(g.count for g in inside)))
    return tuple(regrouped)


def combine_ratings(shown: Sequence[tuple[Group, ...]], k: int) -> tuple[Group, ...]:
    """Shown session groups summed into the finest grouping they all fit; () if none passes."""
    total = sum(g.count for groups in shown for g in groups)
    for grouping in GROUPINGS:
        parts = [_regroup(groups, grouping) for groups in shown]
        if shown and all(p is not None for p in parts):
            summed = tuple(Group(bands, sum(p[i].count for p in parts if p)) for i, bands in enumerate(grouping))
            if _passes(summed, total, k):
                return summed
    return ()


def _themes_of(response: FeedbackResponse) -> set[str]:
    return set(response.helpful_themes or ()) | set(response.better_themes or ())


def session_figures(responses: Sequence[FeedbackResponse], k: int,
                    rejected: frozenset[tuple[str, str]] = frozenset()) -> Figures:
    """Figures of one (closed) session, suppressed below `k` contributors. `rejected` holds
    (text key, theme) pairs facilitators corrected: such a quote is not quoted for that theme
    (counts stay as tagged; see storage/feedback/corrections.py)."""
    if len(responses) < k:
        return Figures(shown=False)
    ratings = {q: groups for q in QUESTIONS if (groups := rating_groups((getattr(r, q) for r in responses), k))}
    theme_counts = Counter(t for r in responses for t in _themes_of(r))
    topic_counts = Counter(t for r in responses for t in set(r.topics or ()))
    themes = {t: n for t, n in theme_counts.items() if n >= k}
    quotes: dict[str, list[tuple[str, str]]] = {}
    for theme in themes:
        picked: list[tuple[str, str]] = []
        for r in sorted(responses, key=lambda r: r.id):  # ids are random: an unbiased, stable pick
            for kind, text, tags in (("helpful", r.helpful_text, r.helpful_themes),
                                     ("better", r.better_text, r.better_themes)):
                if text and theme in (tags or ()) and len(picked) < QUOTES_PER_THEME and (
                        not rejected or (corrections.text_key(text), theme) not in rejected):
                    picked.append((kind, text))
        if picked:
            quotes[theme] = picked
    return Figures(shown=True, responses=len(responses), ratings=ratings, themes=themes,
                   topics={t: n for t, n in topic_counts.items() if n >= k}, quotes=quotes, sessions=1)


def combine(views: Iterable[Figures], k: int) -> Figures:
    """A series view: sums of shown session figures only (hidden sessions and cells add nothing)."""
    total = Figures(shown=False)
    shown_ratings: dict[str, list[tuple[Group, ...]]] = {q: [] for q in QUESTIONS}
    for view in views:
        if not view.shown:
            continue
        total.shown = True
        total.sessions += 1
        total.responses += view.responses
        for q, groups in view.ratings.items():
            shown_ratings[q].append(groups)
        for theme, n in view.themes.items():
            total.themes[theme] = total.themes.get(theme, 0) + n
        for topic, n in view.topics.items():
            total.topics[topic] = total.topics.get(topic, 0) + n
        for theme, quotes in view.quotes.items():
            room = QUOTES_PER_THEME - len(total.quotes.get(theme, []))
            if room > 0:
                total.quotes.setdefault(theme, []).extend(quotes[:room])
    total.ratings = {q: groups for q in QUESTIONS if (groups := combine_ratings(shown_ratings[q], k))}
    return total


def period_of(session: Meeting) -> tuple[str, str]:
    """(year, quarter) labels such as ("2026", "2026-Q4"), in the session's own time zone."""
    local = session.starts_at.astimezone(ZoneInfo(session.time_zone or "Europe/London"))
    return str(local.year), f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def in_period(session: Meeting, period: str) -> bool:
    return period == "all" or period in period_of(session)


async def closed_sessions(
    db: AsyncSession, now: datetime, window: timedelta, *, series_id: str | None = None, limit: int = 200
) -> list[Meeting]:
    """Sessions whose feedback window has closed (their figures are final), newest first."""
    query = select(Meeting).where(Meeting.ends_at <= now - window,
                                  Meeting.status != SessionStatus.CANCELLED)
    if series_id is not None:
        query = query.where(Meeting.series_id == series_id)
    return list(await db.scalars(query.order_by(Meeting.starts_at.desc()).limit(limit)))


async def figures_for(db: AsyncSession, session_ids: Sequence[str], k: int) -> dict[str, Figures]:
    """Suppressed figures of each session."""
    by_session: dict[str, list[FeedbackResponse]] = {sid: [] for sid in session_ids}
    if session_ids:
        rows = await db.scalars(select(FeedbackResponse).where(FeedbackResponse.session_id.in_(session_ids)))
        for row in rows:
            by_session[row.session_id].append(row)
    texts = [t for rows in by_session.values() for r in rows for t in (r.helpful_text, r.better_text) if t]
    rejected = await corrections.rejected(db, texts)
    return {sid: session_figures(rows, k, rejected) for sid, rows in by_session.items()}


async def series_view(
    db: AsyncSession, series: Series, period: str, now: datetime, window: timedelta, k: int
) -> Figures:
    sessions = [s for s in await closed_sessions(db, now, window, series_id=series.id, limit=10_000)
                if in_period(s, period)]
    figures = await figures_for(db, [s.id for s in sessions], k)
    return combine((figures[s.id] for s in sessions), k)


async def periods_of(db: AsyncSession, series_id: str, now: datetime, window: timedelta) -> list[str]:
    """Years and quarters with closed sessions in a series, newest first."""
    found: set[str] = set()
    for s in await closed_sessions(db, now, window, series_id=series_id, limit=10_000):
        found.update(period_of(s))
    return sorted(found, reverse=True)
