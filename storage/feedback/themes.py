"""Transparent theme tagging for feedback comments.

A facilitator must be able to see why a comment got a theme, so the tagger is
a phrase list, not a model: ``content/feedback/themes.yaml`` lists each theme's phrases
and ``ThemeTagger.explain`` reports which of them matched.

Matching rules (repeated at the top of the YAML file for its editors):

* Text is compared case-insensitively; curly quotes count as straight ones.
* A phrase must start at the start of a word.
* A phrase ends at the end of a word, unless its last word ends in ``*``: then
  that word is a stem ("recruit*" matches "recruiting"). ``*`` may end any
  word of a phrase ("train* need*").
* A space in a phrase matches any run of spaces, hyphens or slashes; a hyphen
  matches a hyphen, a space or nothing ("co-reflection" matches
  "co reflection" and "coreflection").
* Scanning goes left to right; at each place the phrase that goes on matching
  further wins (the trie tries longer phrases first), so "peer supervision"
  wins over "peer*". A theme's ``exclude`` phrase wins the
  same way and swallows its words, but never counts for that theme:
  session_format excludes "chill and chat", so its "chat" does not fire there
  while wellbeing still lists "chill and chat" as a phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_ID = re.compile(r"[a-z][a-z0-9_]*")
_WORD = r"[a-z0-9][a-z0-9'+&:.]*\*?"
_PHRASE = re.compile(rf"{_WORD}(?:[ -]{_WORD})*")
_REQUIRED = ("id", "label", "description", "phrases")
_ALLOWED = frozenset(_REQUIRED) | {"exclude"}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-"})

# Regex pieces for the special units of a phrase. Their sort keys put literal
# characters first, so at every branch the longer phrase is tried first.
_SEP, _HYPHEN, _STEM = "\x01", "\x02", "\x03"
_UNIT_REGEX = {_SEP: r"[\s/-]+", _HYPHEN: r"[\s-]?", _STEM: r"[a-z0-9]*"}


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy and the phrases that signal it."""

    id: str
    label: str
    description: str
    phrases: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def load_taxonomy(path: Path) -> list[Theme]:
    """Read and validate a taxonomy file; raise ValueError naming file and field. A file read
    before, unchanged since, is not read again (every app start loads it)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _read_taxonomy(path)  # says why it cannot be read
    return list(_taxonomy(str(path), str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _taxonomy(path: str, _resolved: str, _mtime: int, _size: int) -> tuple[Theme, ...]:
    return tuple(_read_taxonomy(Path(path)))  # errors name the path as given


def _read_taxonomy(path: Path) -> list[Theme]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read taxonomy: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {"themes"}:
        raise ValueError(f"{path}: the top level must be a mapping with only a 'themes' key")
    entries = data["themes"]
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: 'themes' must be a non-empty list")

    themes: list[Theme] = []
    seen_ids: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: themes[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: each theme must be a mapping")
        unknown = sorted(set(map(str, entry)) - _ALLOWED)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
        for key in _REQUIRED:
            if key not in entry:
                raise ValueError(f"{where}: missing field '{key}'")
        theme_id = entry["id"]
        if not isinstance(theme_id, str) or not _ID.fullmatch(theme_id):
            raise ValueError(f"{where}.id: must be lower_snake_case text, got {theme_id!r}")
        if theme_id in seen_ids:
            raise ValueError(f"{where}.id: duplicate id '{theme_id}'")
        seen_ids.add(theme_id)
        where = f"{path}: themes[{index}] ({theme_id})"
        for key in ("label", "description"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise ValueError(f"{where}.{key}: must be non-empty text")
        phrases = _phrase_list(entry["phrases"], f"{where}.phrases", allow_empty=False)
        exclude = _phrase_list(entry.get("exclude", []), f"{where}.exclude", allow_empty=True)
        themes.append(
            Theme(theme_id, entry["label"].strip(), entry["description"].strip(), phrases, exclude)
        )
    try:
        _phrase_table(themes)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return themes


def _phrase_list(value: object, where: str, *, allow_empty: bool) -> tuple[str, ...]:
    """Validate one theme's phrase list; ``where`` names the field in errors."""
    if value is None and allow_empty:
        return ()
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ValueError(f"{where}: must be a non-empty list of phrases")
    seen: set[str] = set()
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not _PHRASE.fullmatch(phrase):
            raise ValueError(
                f"{where}[{i}]: {phrase!r} is not a phrase (lowercase words, "
                "single spaces or hyphens, '*' only at the end of a word)"
            )
        if phrase in seen:
            raise ValueError(f"{where}[{i}]: duplicate phrase {phrase!r}")
        seen.add(phrase)
    return tuple(value)


def _phrase_table(themes: Iterable[Theme]) -> list[tuple[str, tuple[str, ...]]]:
    """Unique phrases with the theme ids they count for; shared phrases merge.

    An exclude phrase is in the table (so it wins the longest match and
    swallows its words) but does not count for the theme that excludes it.
    """
    table: dict[str, list[str]] = {}
    for theme in themes:
        for phrase in (*theme.phrases, *theme.exclude):
            if not isinstance(phrase, str) or not _PHRASE.fullmatch(phrase):
                raise ValueError(f"theme '{theme.id}': {phrase!r} is not a valid phrase")
        both = sorted(set(theme.phrases) & set(theme.exclude))
        if both:
            raise ValueError(f"theme '{theme.id}': {both[0]!r} is both a phrase and excluded")
        for phrase in theme.phrases:
            owners = table.setdefault(phrase, [])
            if theme.id not in owners:
                owners.append(theme.id)
        for phrase in theme.exclude:
            table.setdefault(phrase, [])
    return [(phrase, tuple(owners)) for phrase, owners in table.items()]


def _units(phrase: str) -> list[str]:
    """Split a phrase into trie units: characters plus the special units."""
    units: list[str] = []
    for char in phrase:
        units.append({" ": _SEP, "-": _HYPHEN, "*": _STEM}.get(char, char))
    return units


def _unit_order(unit: str) -> tuple[bool, str]:
    """Literal characters before the special units, so longer phrases go first."""
    return unit in _UNIT_REGEX, unit


def _trie(phrases: Iterable[str]) -> dict:
    """The phrases as a trie of units; a phrase's leaf is the key ("end", its index)."""
    trie: dict = {}
    for index, phrase in enumerate(phrases):
        node = trie
        for unit in _units(phrase):
            node = node.setdefault(unit, {})
        node[("end", index)] = None
    return trie


def _trie_regex(phrases: list[str], *, named: bool = True) -> str:
    """Build one alternation shaped as a trie, with an empty named group per leaf.

    The engine branches one character at a time instead of trying every
    phrase at every word, and ``match.lastgroup`` names the phrase that hit.
    Without ``named`` the leaves are bare: the same matches at half the cost
    (the engine saves its group marks at every branch).
    """
    trie = _trie(phrases)

    def build(node: dict) -> str:
        branches = []
        chars = sorted((k for k in node if isinstance(k, str)), key=_unit_order)
        for unit in chars:
            piece = _UNIT_REGEX.get(unit) or re.escape(unit)
            branches.append(piece + build(node[unit]))
        for key in (k for k in node if isinstance(k, tuple)):
            index = key[1]
            # A stem already ran to the end of its word; a whole word must end here.
            tail = "" if phrases[index].endswith("*") else "(?![a-z0-9])"
            branches.append(f"{tail}(?P<p{index}>)" if named else tail)
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return r"(?<![a-z0-9])" + build(trie)


@lru_cache(maxsize=16)
def _compiled_trie(phrases: tuple[str, ...], named: bool = True) -> re.Pattern[str]:
    """The phrases' regex, built once per process (every app start makes a tagger)."""
    return re.compile(_trie_regex(list(phrases), named=named))


_CACHED = 200_000  # matched texts remembered per tagger; odd input cannot grow it further


def normalise(text: str) -> str:
    """Text as the phrases and the model read it: casefolded, curly quotes and dashes straight."""
    folded = text.casefold()
    # Every character _QUOTES replaces is outside ASCII, and isascii() is a flag lookup.
    return folded if folded.isascii() else folded.translate(_QUOTES)


class ThemeTagger:
    """Tags comments with theme ids by matching the taxonomy's phrases."""

    def __init__(self, themes: Iterable[Theme]) -> None:
        """Compile every theme's phrases into a single regular expression."""
        self._themes = tuple(themes)
        self._order = {theme.id: i for i, theme in enumerate(self._themes)}
        self._table = _phrase_table(self._themes)
        phrases = tuple(phrase for phrase, _ in self._table)
        # Matches are found by the bare trie; which phrase a matched text is, the named trie
        # says once per distinct text (see _phrase).
        self._spans = _compiled_trie(phrases, False) if phrases else None
        self._named = _compiled_trie(phrases) if phrases else None
        self._phrases: dict[str, int] = {}

    @property
    def themes(self) -> tuple[Theme, ...]:
        """The themes this tagger knows, in taxonomy order."""
        return self._themes

    def _phrase(self, hit: str) -> int:
        """The index of the phrase that matched ``hit``, the text of one match.

        Run on the hit alone, the named trie takes the same path as it did in the text: a
        branch it tried before the winner failed inside the hit or needed text past it, and
        past the hit the text has a non-word character or ends, as the hit alone does.
        """
        index = self._phrases.get(hit)
        if index is None:
            assert self._named is not None
            match = self._named.match(hit)
            assert match is not None and match.lastgroup is not None  # it matched in the text
            index = int(match.lastgroup[1:])
            if len(self._phrases) >= _CACHED:
                self._phrases.clear()
            self._phrases[hit] = index
        return index

    def _collect(self, text: str, *, written: bool) -> dict[str, list[str]]:
        """Each matched theme id (taxonomy order) with its phrases, or the words they matched."""
        found: dict[str, list[str]] = {}
        if not text or self._spans is None:
            return found
        for written_hit in self._spans.findall(normalise(text)):
            phrase, owners = self._table[self._phrase(written_hit)]
            hit = written_hit if written else phrase
            for theme_id in owners:
                hits = found.setdefault(theme_id, [])
                if hit not in hits:
                    hits.append(hit)
        return {tid: found[tid] for tid in sorted(found, key=self._order.__getitem__)}

    def themes_in(self, normalised: str) -> set[str]:
        """The theme ids matched in text already passed through ``normalise`` (the hot path:
        no phrase lists are built)."""
        found: set[str] = set()
        if self._spans is not None:
            table, known = self._table, self._phrases
            for hit in self._spans.findall(normalised):
                index = known.get(hit)
                found.update(table[self._phrase(hit) if index is None else index][1])
        return found

    def explain(self, text: str) -> dict[str, list[str]]:
        """Map each matched theme id (taxonomy order) to the phrases that matched."""
        return self._collect(text, written=False)

    def matched_words(self, text: str) -> dict[str, list[str]]:
        """Map each matched theme id (taxonomy order) to the words of the text that matched."""
        return self._collect(text, written=True)

    def tag(self, text: str) -> list[str]:
        """Return the ids of the themes the text matches, in taxonomy order."""
        if not text:
            return []
        found = self.themes_in(normalise(text))
        return [theme.id for theme in self._themes if theme.id in found]
