"""A WebSite with one test form on it, without the bot (for the foundation's own tests)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from aiohttp import web

from dialogs.shared.content import load_content
from dialogs.shared.links import LinkSigner
from dialogs.shared.web import PREFIX, WebSettings, WebSite

CONTENT = Path(__file__).resolve().parents[2] / "content"
FORM = """{% extends "web/base.html" %}
{% import "web/macros.html" as m with context %}
{% block title %}{{ t("web.errors.404.title") }}{% endblock %}
{% block main %}
{{ m.error_summary(errors) }}
<form method="post" novalidate>
{{ m.csrf() }}
{{ m.text_input("name", t("web.skip_link"), value, errors, required=True, autocomplete="name") }}
{{ m.button(t("web.skip_link")) }}
</form>
{% endblock %}
"""


def make_site(tmp_path: Path, *, base_url: str = "http://127.0.0.1:3978", per_minute: int = 1000,
              max_form_bytes: int = 16 * 1024, address_header: str = "") -> WebSite:
    folder = tmp_path / "overrides" / "web"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_form.html").write_text(FORM)
    site = WebSite(load_content(CONTENT), LinkSigner(b"x" * 32, base_url), WebSettings(
        org_name="Test Trust", brand_colour="#005eb8", text_colour="#212b32", base_url=base_url,
        posts_per_minute=per_minute, max_form_bytes=max_form_bytes, overrides=tmp_path / "overrides",
        client_address_header=address_header),
        lambda: datetime(2026, 11, 23, 9, tzinfo=timezone.utc))

    async def page(request: web.Request) -> web.Response:
        return await site.render(request, "web/test_form.html", value="", errors={})

    async def post(request: web.Request) -> web.Response:
        form = await site.form(request)
        name = form.get("name", "")
        if not name:
            return await site.render(request, "web/test_form.html", status=400, value=name,
                                     errors={"name": "needed"}, has_errors=True)
        raise web.HTTPSeeOther(site.path("/form"))

    async def boom(_request: web.Request) -> web.Response:
        raise RuntimeError("secret typed value")

    site.router.add_get("/form", page)
    site.router.add_post("/form", post)
    site.router.add_get("/boom", boom)
    return site


def app_for(site: WebSite) -> web.Application:
    app = web.Application()
    app.add_subapp(PREFIX, site.app)
    return app
