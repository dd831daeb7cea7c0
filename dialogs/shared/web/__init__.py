"""Web pages served by the bot, for people who cannot be messaged in Teams (other trusts).

Foundation API (features build on it; see /web registration in dialogs/sessions/web.py):

- `WebSite(content, links, WebSettings(...), now)` is built once in bot.app.create_app and mounted
  at /web; features get it as `ctx.web` in `install(ctx)`.
- `site.router.add_get/add_post(path, handler)`: routes under /web ("/sessions/r/{token}").
- `await site.render(request, "feature/web/page.html", status=200, **context)`: a page. Templates
  live in content/web/ (base.html, error.html, macros.html, site.css) and content/<feature>/web/,
  extend "web/base.html", take texts only as `t("key", name=value)` with literal keys (checked
  at start-up) and import form macros from "web/macros.html" (fields with labels, errors tied
  by aria-describedby, an error summary, radios in a fieldset).
- `await site.form(request)`: the posted fields after the CSRF check (forms include
  `<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token }}">`, or macros.csrf()).
- `raise web.HTTPNotFound()` (or 400, 403, 410, 413, 429) anywhere: the visitor gets the friendly
  page for it; `await site.error(request, status)` renders one directly. Any other exception is
  logged by type and place only and answered with a 503 page: never a 500.
- `site.url("/path")` (absolute, for cards/calendars/email), `site.path("/path")` (for pages);
  signed, expiring tokens come from `site.links` (LinkSigner.token / verify).
- Every response gets the strict CSP, nosniff, no-referrer and no-store; POSTs are limited in
  size (WebSettings.max_form_bytes) and rate (posts_per_minute per address, per process).
"""

from dialogs.shared.web.site import PREFIX, WebSettings, WebSite

__all__ = ["PREFIX", "WebSettings", "WebSite"]
