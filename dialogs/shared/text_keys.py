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
import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

WILD = "*"
_MAX_EXPANSION = 200
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
    sites: dict[tuple[str, frozenset[str] | None], list[KeyUse]] = {}
    for use in uses:
        # One call may take two keys (a title and a text) with different placeholders.
        sites.setdefault((use.where, use.params), []).append(use)
    for (where, _), site in sites.items():
        chosen: list[str] = []
        for use in site:
            if use.key is None:
                continue
            pattern = re.compile(".+".join(re.escape(part) for part in use.key.split(WILD)) + r"\Z")
            matching = [use.key] if use.key in texts else [k for k in texts if WILD in use.key and pattern.match(k)]
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


def _names(names: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(names)) + "}" if names else "none"


def scan(folders: Iterable[Path], base: Path) -> list[KeyUse]:
    """Every text key used by the Python files under `folders` (paths shown relative to `base`)."""
    modules = [_Module(path, base) for folder in folders for path in sorted(Path(folder).rglob("*.py"))]
    functions: dict[str, list[tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
    for module in modules:
        for fn in module.functions:
            functions.setdefault(fn.name, []).append((module, fn))
    wrappers = _find_wrappers(modules)
    uses: list[KeyUse] = []
    for module in modules:
        for call, fn, param in module.key_calls(wrappers):
            resolver = _Resolver(module, fn, functions)
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


def _declared(module: "_Module", call: ast.Call) -> str | None:
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


def _find_wrappers(modules: list["_Module"]) -> dict[str, set[_KeyParam]]:
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


class _Module:
    def __init__(self, path: Path, base: Path) -> None:
        self.name = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        self._dotted = self.name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        self._globals: dict[str, Any] | None = None
        self.parents: dict[ast.AST, ast.AST] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self._calls: list[tuple[ast.Call, Any, str | None]] = []  # call, enclosing function, callee name
        self._aliases: list[tuple[Any, str, str]] = []  # function, local name, name of what it stands for
        source = path.read_text(encoding="utf-8")
        self.lines = source.splitlines()
        self._index(ast.parse(source, filename=str(path)), None)

    def _index(self, node: ast.AST, fn: Any) -> None:
        """One pass over the tree: parents, functions, calls and `name = x.attr` aliases."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.append(node)
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            self._calls.append((node, fn, callee))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            name = value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) \
                else None
            if name is not None:
                self._aliases.append((fn, node.targets[0].id, name))
        inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else fn
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
            self._index(child, inner)

    def globals(self) -> dict[str, Any]:
        """The module's namespace, to expand collections such as RATING_VALUES or an enum."""
        if self._globals is None:
            try:
                self._globals = vars(importlib.import_module(self._dotted))
            except Exception:  # noqa: BLE001 - a file that is not an importable module: literals only
                self._globals = {}
        return self._globals

    def key_calls(self, wrappers: dict[str, set[_KeyParam]]
                  ) -> Iterator[tuple[ast.Call, ast.FunctionDef | ast.AsyncFunctionDef | None, _KeyParam]]:
        """Calls of a text function (by name, through local aliases such as `t = self._text`)."""
        aliases = {(fn, local): name for fn, local, name in self._aliases if name in wrappers}
        for call, fn, callee in self._calls:
            if isinstance(call.func, ast.Name):
                callee = aliases.get((fn, callee), callee)
            for param in wrappers.get(callee or "", ()):
                if len(call.args) <= param.max_positional:
                    yield call, fn, param


class _Resolver:
    """Reads the possible values of a key expression; None when the source does not tell."""

    def __init__(self, module: _Module, fn, functions) -> None:
        self.module, self.fn, self.functions = module, fn, functions
        self._seen: set[tuple[int, int]] = set()

    def keys(self, node: ast.expr | None) -> set[str] | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set() if node.value is None else None
        if isinstance(node, ast.IfExp):
            return _union(self.keys(node.body), self.keys(node.orelse))
        if isinstance(node, ast.BoolOp):
            return _union(*(self.keys(v) for v in node.values))
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        return None

    def _fstring(self, node: ast.JoinedStr) -> set[str]:
        results = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = {str(part.value)}
            else:
                options = self._expand(part.value) or {WILD}
            results = {r + o for r in results for o in options}
            if len(results) > _MAX_EXPANSION:
                return {WILD}
        return results

    def _expand(self, node: ast.expr) -> set[str] | None:
        """The values of `node` over the comprehension it sits in, or of a name assigned nearby."""
        if isinstance(node, ast.Name):
            comp = self._comprehension_of(node)
            if comp is None:
                found = self._name(node)
                return None if found is None or not found or any(WILD in k for k in found) else found
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        comp = next((c for n in ast.walk(node) if isinstance(n, ast.Name)
                     for c in [self._comprehension_of(n)] if c is not None), None)
        if comp is None or not isinstance(comp.target, ast.Name) or names != {comp.target.id}:
            return None
        try:
            items = eval(compile(ast.Expression(comp.iter), "<key>", "eval"), dict(self.module.globals()))  # noqa: S307
            expr = compile(ast.Expression(node), "<key>", "eval")
            return {str(eval(expr, {}, {comp.target.id: item})) for item in items}  # noqa: S307
        except Exception:  # noqa: BLE001 - a collection known only at run time
            return None

    def _comprehension_of(self, name: ast.Name) -> ast.comprehension | ast.For | None:
        """The comprehension or `for` loop that binds `name` around its use."""
        node: ast.AST = name
        while node in self.module.parents:
            node = self.module.parents[node]
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name.id:
                return node
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                for gen in node.generators:
                    if isinstance(gen.target, ast.Name) and gen.target.id == name.id:
                        return gen
        return None

    def _name(self, node: ast.Name) -> set[str] | None:
        if self.fn is None:
            return None
        values: list[set[str] | None] = []
        for stmt in ast.walk(self.fn):
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    values.extend(self._assigned(target, stmt.value, node.id))
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                values.extend(self._assigned(stmt.target, stmt.value, node.id))
        return _union(*values) if values else None

    def _assigned(self, target: ast.expr, value: ast.expr, name: str) -> list[set[str] | None]:
        if isinstance(target, ast.Name) and target.id == name:
            return [self.keys(value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Call):
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Name) and element.id == name:
                    return [self._returned(value, index)]
        return []

    def _returned(self, call: ast.Call, index: int) -> set[str] | None:
        """Element `index` of what the called helper returns, read from its `return` statements."""
        callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        found: list[set[str] | None] = []
        candidates = self.functions.get(callee or "", [])
        local = [(m, f) for m, f in candidates if m is self.module]
        for module, fn in local or candidates:
            if (id(fn), index) in self._seen:
                continue  # a helper reached again through its own calls
            self._seen.add((id(fn), index))
            inner = _Resolver(module, fn, self.functions)
            inner._seen = self._seen
            for ret in ast.walk(fn):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple) and index < len(ret.value.elts):
                    found.append(inner.keys(ret.value.elts[index]))
            self._seen.discard((id(fn), index))
        return _union(*found) if found else None


def _union(*parts: set[str] | None) -> set[str] | None:
    if any(p is None for p in parts):
        return None
    return set().union(*parts)
