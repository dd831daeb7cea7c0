"""The Jinja2 environment of the web pages, and the check that their text keys exist.

Templates never hold sentences: every text comes from content through `t("key", name=value)`,
with a literal key, so start-up can check each key and its placeholders like the code's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes, select_autoescape

from dialogs.shared.content import ContentError
from dialogs.shared.text_keys import placeholders

TEMPLATE_SUFFIXES = (".html", ".css")


def environment(content_root: Path, overrides: Path | None) -> Environment:
    """Templates named by their path under content ("web/base.html", "sessions/web/register.html");
    an organisation's overrides folder, when set, is searched first."""
    roots = [str(overrides)] if overrides is not None else []
    return Environment(
        loader=FileSystemLoader([*roots, str(content_root)]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def web_templates(env: Environment) -> Iterator[str]:
    """Every template in a `web` folder of content (web/, <feature>/web/)."""
    for name in env.list_templates(extensions=[s.lstrip(".") for s in TEMPLATE_SUFFIXES]):
        parts = name.split("/")
        if parts[0] == "web" or (len(parts) > 2 and parts[1] == "web"):
            yield name


def text_problems(env: Environment, texts: dict[str, str]) -> list[str]:
    """Calls to t(...) in the templates whose key is missing, not literal, or whose keyword
    arguments differ from the text's placeholders."""
    found: list[str] = []
    for name in web_templates(env):
        assert env.loader is not None
        source = env.loader.get_source(env, name)[0]
        for call in env.parse(source).find_all(nodes.Call):
            if not isinstance(call.node, nodes.Name) or call.node.name != "t":
                continue
            where = f"{name}:{call.lineno}"
            if not call.args or not isinstance(call.args[0], nodes.Const) or not isinstance(call.args[0].value, str):
                found.append(f"{where}: the text key must be a literal string")
                continue
            key = call.args[0].value
            if key not in texts:
                found.append(f"{where}: missing text {key}")
            elif placeholders(texts[key]) != {kw.key for kw in call.kwargs}:
                found.append(f"{where}: {key} needs {sorted(placeholders(texts[key]))}")
    return found


def check_texts(env: Environment, texts: dict[str, str], where: Path) -> None:
    """Stop start-up, naming the template and line, when a template's texts do not fit content."""
    wrong = text_problems(env, texts)
    if wrong:
        raise ContentError(f"{where}: web page texts do not fit: " + "; ".join(wrong[:5]))
