"""The web site the bot serves to people who cannot be reached in Teams (see __init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from dialogs.shared.content import Content
from dialogs.shared.links import LinkSigner
from dialogs.shared.web.csrf import FIELD, Csrf
from dialogs.shared.web.guard import errors_middleware, headers_middleware, limits_middleware
from dialogs.shared.web.ratelimit import TokenBuckets
from dialogs.shared.web.templates import check_texts, environment

PREFIX = "/web"
CSS_PATH = "/static/site.css"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class WebSettings:
    """What bot.config.Settings says about the web pages."""

    org_name: str
    brand_colour: str  # header, buttons and links; white text sits on it
    text_colour: str
    base_url: str  # where browsers reach the bot; https makes the cookie Secure
    posts_per_minute: int = 30
    max_form_bytes: int = 16 * 1024
    overrides: Path | None = None
    # Behind a reverse proxy every post comes from the proxy: name the header it puts the
    # client's address in (X-Forwarded-For), so the rate limit is per visitor, not global.
    client_address_header: str = ""


class WebSite:
    """The pages' aiohttp sub-application (mounted at /web), their templates and their guards.

    Features add routes to `router` and answer with `render` (a page) or `error` (a friendly
    error page); a POST handler reads its fields with `form`, which has checked the CSRF token.
    """

    def __init__(self, content: Content, links: LinkSigner, settings: WebSettings,
                 now: Callable[[], datetime]) -> None:
        self.content = content
        self.links = links
        self.settings = settings
        self.now = now
        self.env = environment(content.root, settings.overrides)
        check_texts(self.env, content.texts, content.root / "web")
        self.csrf = Csrf(links.derive_key("web_csrf"), secure=settings.base_url.startswith("https://"),
                         path=PREFIX)
        self.app = web.Application(middlewares=[
            headers_middleware(), errors_middleware(self.error),
            limits_middleware(TokenBuckets(settings.posts_per_minute), settings.max_form_bytes,
                              settings.client_address_header)])
        self._css: str | None = None
        self.router.add_get(CSS_PATH, self._stylesheet)

    @property
    def router(self) -> web.UrlDispatcher:
        return self.app.router

    def path(self, path: str) -> str:
        """The site-relative address of one of our pages ("/sessions/x" -> "/web/sessions/x")."""
        return PREFIX + path

    def url(self, path: str) -> str:
        """The absolute address of one of our pages, for cards, calendars and emails."""
        return self.links.base_url + PREFIX + path

    def text(self, key: str, **params: Any) -> str:
        return str(self.content.text(key, **params))

    async def render(self, request: web.Request, template: str, *, status: int = 200,
                     **context: Any) -> web.Response:
        """A page from `template` (a path under content, e.g. "sessions/web/register.html").

        Templates get `t(key, **params)` for texts, `org_name`, `css_url`, `csrf_field` (the name
        of the hidden field) and `csrf_token`, besides `context`.
        """
        html = self.env.get_template(template).render(
            t=self.text, org_name=self.settings.org_name, css_url=self.path(CSS_PATH), home_url=None,
            csrf_field=FIELD, csrf_token=self.csrf.token(request), **context)
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        self.csrf.set_cookie(request, response)
        return response

    async def error(self, request: web.Request, status: int) -> web.Response:
        """The friendly page for `status` (400, 403, 404, 405, 410, 411, 413, 429 or 503)."""
        key = f"web.errors.{status}" if status in (403, 404, 410, 413, 429, 503) else "web.errors.400"
        response = await self.render(request, "web/error.html", status=status,
                                     title=self.text(f"{key}.title"),  # text-key: web.errors.*.title
                                     detail=self.text(f"{key}.detail"))  # text-key: web.errors.*.detail
        if status == 429:
            response.headers["Retry-After"] = "60"
        return response

    async def form(self, request: web.Request) -> MultiDictProxy[str]:
        """The posted fields, once the CSRF token is checked (else 403, a friendly page).

        Only text fields are returned: a file part anywhere makes the post a 400.
        """
        if request.content_type not in _FORM_TYPES:
            raise web.HTTPBadRequest()
        try:
            posted = await request.post()
        except (ValueError, LookupError):  # undecodable text, a malformed body, an unknown charset
            raise web.HTTPBadRequest() from None
        if not all(isinstance(v, str) for v in posted.values()):
            raise web.HTTPBadRequest()
        if not self.csrf.valid(request, posted.get(FIELD)):
            raise web.HTTPForbidden()
        return posted  # type: ignore[return-value]  # every value was checked to be a str above

    async def _stylesheet(self, _request: web.Request) -> web.Response:
        if self._css is None:  # the colours are settings: rendered once per process
            self._css = self.env.get_template("web/site.css").render(
                brand=self.settings.brand_colour, text=self.settings.text_colour)
        return web.Response(text=self._css, content_type="text/css", charset="utf-8",
                            headers={"Cache-Control": "public, max-age=3600"})
