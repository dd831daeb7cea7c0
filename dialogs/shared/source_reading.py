"""Reads Python source for dialogs.shared.text_keys: which calls a module makes, and the values a
key expression can take (literals, conditionals, f-strings over known collections, names assigned
in the function, what a helper returns).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Function = ast.FunctionDef | ast.AsyncFunctionDef
WILD = "*"  # a part of a key known only at run time
_MAX_EXPANSION = 200


class Module:
    """One parsed source file, indexed once."""

    def __init__(self, path: Path, base: Path) -> None:
        self.name = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        self._dotted = self.name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        self._globals: dict[str, Any] | None = None
        self.parents: dict[ast.AST, ast.AST] = {}
        self.functions: list[Function] = []
        self._calls: list[tuple[ast.Call, Function | None, str | None]] = []  # call, enclosing function, callee name
        self._aliases: list[tuple[Function | None, str, str]] = []  # function, local name, what it stands for
        source = path.read_text(encoding="utf-8")
        self.lines = source.splitlines()
        self._index(ast.parse(source, filename=str(path)), None)

    def _index(self, node: ast.AST, fn: Function | None) -> None:
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

    def key_calls(self, wrappers: dict[str, set[Any]]
                  ) -> Iterator[tuple[ast.Call, Function | None, Any]]:
        """Calls of a text function (by name, through local aliases such as `t = self._text`)."""
        aliases = {(fn, local): name for fn, local, name in self._aliases if name in wrappers}
        for call, fn, callee in self._calls:
            if isinstance(call.func, ast.Name):
                callee = aliases.get((fn, call.func.id), call.func.id)
            for param in wrappers.get(callee or "", ()):
                if len(call.args) <= param.max_positional:
                    yield call, fn, param


class Resolver:
    """Reads the possible values of a key expression; None when the source does not tell."""

    def __init__(self, module: Module, fn: Function | None,
                 functions: dict[str, list[tuple[Module, Function]]]) -> None:
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
                # The grammar puts only constants and formatted values in an f-string's parts.
                assert isinstance(part, ast.FormattedValue), ast.dump(part)
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
            return self._constant(node)
        values: list[set[str] | None] = []
        for stmt in ast.walk(self.fn):
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    values.extend(self._assigned(target, stmt.value, node.id))
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                values.extend(self._assigned(stmt.target, stmt.value, node.id))
        return _union(*values) if values else self._constant(node)

    def _constant(self, node: ast.Name) -> set[str] | None:
        """A module-level string constant, such as a key owned by a shared module and imported."""
        value = self.module.globals().get(node.id)
        return {value} if isinstance(value, str) else None

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
            inner = Resolver(module, fn, self.functions)
            inner._seen = self._seen
            for ret in ast.walk(fn):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple) and index < len(ret.value.elts):
                    found.append(inner.keys(ret.value.elts[index]))
            self._seen.discard((id(fn), index))
        return _union(*found) if found else None


def _union(*parts: set[str] | None) -> set[str] | None:
    known = [p for p in parts if p is not None]
    if len(known) < len(parts):
        return None
    return set[str]().union(*known)
