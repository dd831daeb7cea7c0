"""Finds, by reading the source, every content text key the code asks for, so that no hand-kept
list of keys can drift from the code.

A call counts as asking for a text when it calls `text(...)` (Content.text) or a function that
passes one of its own parameters on as the key (SessionsBase.text, FeedbackReports._text,
SessionsBase.tell...; found by following the code, not listed here). The key argument is read
as far as the source allows: literal strings, `a if c else b`, f-strings whose values come from a
comprehension over a known collection (expanded), names assigned in the same function, and the
values a helper returns (`key, error = text_field(...)`). A value known only at run time becomes
a "*" that must match at least one text. What the code cannot resolve is reported, so a key is
never silently unchecked; where a key truly comes from data, the line declares its pattern with a
`# text-key: roles.*` comment, which is checked like any other.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter

from dialogs.shared.source_reading import WILD, Module, Resolver

_DECLARED = re.compile(r"#\s*text-key:\s*(\S+)")


@dataclass(frozen=True)
class KeyUse:
    """One key a call site may ask for, with the keyword placeholders it passes (None: forwarded)."""

    where: str  # "dialogs/x.py:12"
    key: str | None  # None: the source does not say which key
    params: frozenset[str] | None


@dataclass(frozen=True)
class _KeyParam:
    index: int  # positional index at the call site (self not counted)
    name: str
    before: str  # the wrapper asks for before + argument + after
    after: str
    params: frozenset[str] | None  # None: the caller's keywords are passed on
    max_positional: int


_ROOT = _KeyParam(0, "key", "", "", None, 1)  # Content.text(key, **params)


def placeholders(template: str) -> frozenset[str]:
    """The field names a text's `str.format` placeholders use ("{n}", "{when:>5}" -> n, when)."""
    return frozenset(re.split(r"[.\[]", name, maxsplit=1)[0]
                     for _, name, _, _ in Formatter().parse(template) if name is not None)


def problems(uses: Iterable[KeyUse], texts: dict[str, str]) -> list[str]:
    """What is wrong between the keys the code uses and `texts`: missing keys, placeholder mismatches.

    A call site that can ask for one text must pass exactly that text's placeholders; one that picks
    among several at run time must pass what each needs, and nothing that none of them uses.
    """
    found: list[str] = []
    keys = _Keys(texts)
    sites: dict[tuple[str, frozenset[str] | None], list[KeyUse]] = {}
    for use in uses:
        # One call may take two keys (a title and a text) with different placeholders.
        sites.setdefault((use.where, use.params), []).append(use)
    for (where, _), site in sites.items():
        chosen: list[str] = []
        for use in site:
            if use.key is None:
                continue
            matching = [use.key] if use.key in texts else keys.matching(use.key) if WILD in use.key else []
            if not matching:
                found.append(f"{where}: {'no text matches' if WILD in use.key else 'no text'} {use.key!r}")
            chosen += matching
        params = site[0].params
        if params is None or not chosen:
            continue
        needed = {key: placeholders(texts[key]) for key in chosen}
        for key, names in needed.items():
            if not names <= params:
                found.append(f"{where}: {key!r} needs {_names(names - params)}, which the code does not pass")
        unused = params - frozenset().union(*needed.values())
        if unused:
            found.append(f"{where}: passes {_names(unused)}, which {', '.join(map(repr, sorted(needed)))} "
                         f"does not use")
    return found


class _Keys:
    """The text keys, searchable by prefix. Every app start checks its texts: looking only at the
    keys that share a pattern's prefix, with the pattern compiled once per process, keeps that a
    small part of starting (the tests start an app hundreds of times)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._order = {key: i for i, key in enumerate(texts)}
        self._sorted = sorted(texts)

    def matching(self, wild_key: str) -> list[str]:
        """The keys `wild_key` matches, in the texts' order."""
        prefix, pattern = _pattern(wild_key)
        found = []
        for key in self._sorted[bisect_left(self._sorted, prefix):]:
            if not key.startswith(prefix):
                break
            if pattern.match(key):
                found.append(key)
        return sorted(found, key=self._order.__getitem__)


@lru_cache(maxsize=None)
def _pattern(wild_key: str) -> tuple[str, re.Pattern[str]]:
    parts = wild_key.split(WILD)
    return parts[0], re.compile(".+".join(re.escape(part) for part in parts) + r"\Z")


def _names(names: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(names)) + "}" if names else "none"


def scan(folders: Iterable[Path], base: Path) -> list[KeyUse]:
    """Every text key used by the Python files under `folders` (paths shown relative to `base`)."""
    modules = [Module(path, base) for folder in folders for path in sorted(Path(folder).rglob("*.py"))]
    functions: dict[str, list[tuple[Module, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
    for module in modules:
        for defined in module.functions:
            functions.setdefault(defined.name, []).append((module, defined))
    wrappers = _find_wrappers(modules)
    uses: list[KeyUse] = []
    for module in modules:
        for call, fn, param in module.key_calls(wrappers):
            resolver = Resolver(module, fn, functions)
            if fn is not None and _forwards(call, param, fn):
                continue  # a wrapper passing its own parameter on: its callers are checked instead
            params = param.params if param.params is not None else _keywords(call)
            keys = resolver.keys(_argument(call, param))
            if keys is None and (param.before or param.after):
                keys = {WILD}  # the wrapper builds the key around a value, as an f-string would
            where = f"{module.name}:{call.lineno}:{call.col_offset + 1}"
            keys = keys if keys is None else {param.before + k + param.after for k in keys}
            if keys is not None and any("." not in k.split(WILD, 1)[0] for k in keys if WILD in k):
                keys = None  # no literal namespace to check against: as good as unknown
            if keys is None:
                uses.append(KeyUse(where, _declared(module, call), params))
            else:
                uses.extend(KeyUse(where, k, params) for k in sorted(keys))
    return uses


def _declared(module: Module, call: ast.Call) -> str | None:
    """A key the source cannot show, declared beside the call: `# text-key: roles.*`."""
    for line in module.lines[call.lineno - 1:call.end_lineno or call.lineno]:
        found = _DECLARED.search(line)
        if found:
            return found.group(1)
    return None


def _keywords(call: ast.Call) -> frozenset[str] | None:
    if any(k.arg is None for k in call.keywords):
        return None  # **params: what they hold is known only to the caller
    return frozenset(k.arg for k in call.keywords if k.arg is not None)


def _argument(call: ast.Call, param: _KeyParam) -> ast.expr | None:
    if param.index < len(call.args):
        return call.args[param.index]
    return next((k.value for k in call.keywords if k.arg == param.name), None)


def _forwards(call: ast.Call, param: _KeyParam, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return _wrapped_parameter(_argument(call, param), fn) is not None


def _wrapped_parameter(arg: ast.expr | None, fn: ast.FunctionDef | ast.AsyncFunctionDef
                       ) -> tuple[str, str, str] | None:
    """(parameter, before, after) when `arg` is a parameter of `fn`, bare or inside one f-string."""
    names = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    if isinstance(arg, ast.Name) and arg.id in names:
        return arg.id, "", ""
    if isinstance(arg, ast.JoinedStr):
        holes = [v for v in arg.values if isinstance(v, ast.FormattedValue)]
        if len(holes) == 1 and isinstance(holes[0].value, ast.Name) and holes[0].value.id in names:
            at = arg.values.index(holes[0])
            return holes[0].value.id, _literal(arg.values[:at]), _literal(arg.values[at + 1:])
    return None


def _literal(parts: list[ast.expr]) -> str:
    return "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))


def _find_wrappers(modules: list[Module]) -> dict[str, set[_KeyParam]]:
    """Functions that pass a parameter on as a text key, found by repeating until nothing new turns up."""
    wrappers: dict[str, set[_KeyParam]] = {"text": {_ROOT}}
    changed = True
    while changed:
        changed = False
        for module in modules:
            for call, fn, inner in module.key_calls(wrappers):
                if fn is None:
                    continue
                wrapped = _wrapped_parameter(_argument(call, inner), fn)
                if wrapped is None:
                    continue
                name, before, after = wrapped
                positional = [a.arg for a in fn.args.args]
                skip = 1 if positional and positional[0] in ("self", "cls") else 0
                index = positional.index(name) - skip if name in positional else 10_000
                forwarded = fn.args.kwarg is not None and any(
                    k.arg is None and isinstance(k.value, ast.Name) and k.value.id == fn.args.kwarg.arg
                    for k in call.keywords)
                params = inner.params if inner.params is not None else (None if forwarded else _keywords(call))
                param = _KeyParam(index, name, inner.before + before, after + inner.after, params,
                                  len(positional) - skip)
                if param not in wrappers.setdefault(fn.name, set()):
                    wrappers[fn.name].add(param)
                    changed = True
    return wrappers
