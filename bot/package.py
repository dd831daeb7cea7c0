"""Build the sideloadable Teams app package: manifest.json plus two generated icons.

All wording comes from ``content/manifest.yaml``; this module only assembles it,
checks it against Teams' limits and draws the icons.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from dialogs.shared import png
from bot.config import Settings

# Newest schema shipped by npm @microsoft/app-manifest (build/json-schemas/teams/v1.NN).
MANIFEST_VERSION = "1.30"
SCHEMA_URL = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
PACKAGE_NAME = "peerspace-teams-app.zip"
CONTENT_FILE = "manifest.yaml"
SCOPES = ("personal", "team", "groupChat")
# Bot sign-in cards open this host; Teams only lets the app talk to listed domains.
TOKEN_DOMAIN = "token.botframework.com"
BRAND_BLUE = "#005EB8"
BRAND_LIGHT_BLUE = "#41B6E6"
WHITE = (255, 255, 255)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL_FIELDS = ("website_url", "privacy_url", "terms_of_use_url")
# Fixed timestamp so the same inputs always give a byte-identical zip.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _Content:
    """Reads fields of the YAML file, raising ValueError that names file and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> ValueError:
        return ValueError(f"{self.path}: {field}: {problem}")

    def mapping(self, value: Any, field: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, "must be a mapping")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(f"{field}.{unknown[0]}" if field else unknown[0], "unknown field")
        return value

    def text(self, parent: dict[str, Any], key: str, field: str, limit: int) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "required text is missing")
        value = " ".join(value.split())
        if len(value) > limit:
            raise self.fail(field, f"{len(value)} characters; Teams allows at most {limit}")
        return value


def load_content(content_dir: Path) -> dict[str, Any]:
    """Load and check ``manifest.yaml`` from ``content_dir``; returns normalised fields."""
    path = Path(content_dir) / CONTENT_FILE
    c = _Content(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    top = c.mapping(raw, "", {"name", "description", "accent_color", "developer", "commands"})

    name = c.mapping(top.get("name"), "name", {"short", "full"})
    desc = c.mapping(top.get("description"), "description", {"short", "full"})
    dev = c.mapping(top.get("developer"), "developer", {"name", "fallback_base_url", *_URL_FIELDS})
    accent = top.get("accent_color")
    if not isinstance(accent, str) or not _HEX.match(accent):
        raise c.fail("accent_color", "must be a colour like \"#005EB8\" (quoted)")

    urls = {}
    for key in _URL_FIELDS:
        value = c.text(dev, key, f"developer.{key}", 2048)
        if not (value.startswith("https://") or value.startswith("/")):
            raise c.fail(f"developer.{key}", "must be an https:// URL or a path starting with /")
        urls[key] = value
    fallback = c.text(dev, "fallback_base_url", "developer.fallback_base_url", 1024)
    if not fallback.startswith("https://"):
        raise c.fail("developer.fallback_base_url", "must start with https://")

    commands = top.get("commands")
    if not isinstance(commands, list) or not 1 <= len(commands) <= 10:
        raise c.fail("commands", "must be a list of 1 to 10 commands")
    checked = []
    for i, item in enumerate(commands):
        field = f"commands[{i}]"
        item = c.mapping(item, field, {"title", "description", "scopes"})
        scopes = item.get("scopes", list(SCOPES))
        if not isinstance(scopes, list) or not scopes or not set(scopes) <= set(SCOPES):
            raise c.fail(f"{field}.scopes", f"must be a non-empty list drawn from {', '.join(SCOPES)}")
        checked.append({
            "title": c.text(item, "title", f"{field}.title", 32),
            "description": c.text(item, "description", f"{field}.description", 128),
            "scopes": scopes,
        })

    return {
        "name": {"short": c.text(name, "short", "name.short", 30),
                 "full": c.text(name, "full", "name.full", 100)},
        "description": {"short": c.text(desc, "short", "description.short", 80),
                        "full": c.text(desc, "full", "description.full", 4000)},
        "accent_color": accent.upper(),
        "developer": {"name": c.text(dev, "name", "developer.name", 32),
                      "fallback_base_url": fallback.rstrip("/"), **urls},
        "commands": checked,
    }


def _https_base(settings: Settings, content: dict[str, Any], field: str) -> str:
    base = settings.public_base_url.strip().rstrip("/")
    if not base:
        return content["developer"]["fallback_base_url"]
    if not base.startswith("https://") or not urlsplit(base).hostname:
        raise ValueError(
            f"PEERSPACE_PUBLIC_URL ({settings.public_base_url!r}) must be an https:// URL to derive "
            f"developer.{field}; or give an absolute https URL for it in {CONTENT_FILE}"
        )
    return base


def _app_version(version: str | None) -> str:
    if version is None:
        # A source checkout's pyproject.toml beats possibly stale installed metadata.
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            try:
                version = metadata.version("peerspace")
            except metadata.PackageNotFoundError:
                version = "1.0.0"
    if not _SEMVER.match(str(version)):
        raise ValueError(f"app version {version!r}: Teams needs MAJOR.MINOR.PATCH, e.g. 1.2.0")
    return str(version)


def build_manifest(settings: Settings, *, version: str | None = None) -> dict[str, Any]:
    """Return the Teams app manifest (schema ``MANIFEST_VERSION``) as a dict.

    Raises ``ValueError`` when the app id is missing or not a GUID, when
    ``content/manifest.yaml`` is invalid (naming the field) or when a developer
    URL would not be https.
    """
    app_id = settings.app_id.strip()
    if not app_id:
        raise ValueError(
            "MicrosoftAppId is empty (development mode). Set MicrosoftAppId to the bot's "
            "Azure app registration id (a GUID) before building the Teams app package."
        )
    if not _GUID.match(app_id):
        raise ValueError(f"MicrosoftAppId {app_id!r} is not a GUID; Teams needs the bot's app id")

    content = load_content(settings.content_dir)
    dev = content["developer"]
    developer = {"name": dev["name"]}
    for key, out_key in zip(_URL_FIELDS, ("websiteUrl", "privacyUrl", "termsOfUseUrl")):
        value = dev[key]
        if not value.startswith("https://"):
            value = _https_base(settings, content, key) + value
        developer[out_key] = value

    domains = []
    if settings.public_base_url.strip():
        host = urlsplit(settings.public_base_url.strip()).hostname
        if not host:
            raise ValueError(f"PEERSPACE_PUBLIC_URL ({settings.public_base_url!r}) has no host name")
        domains.append(host.lower())
    if TOKEN_DOMAIN not in domains:
        domains.append(TOKEN_DOMAIN)

    command_lists = []
    for scope in SCOPES:
        commands = [{"title": cmd["title"], "description": cmd["description"]}
                    for cmd in content["commands"] if scope in cmd["scopes"]]
        if commands:
            command_lists.append({"scopes": [scope], "commands": commands})

    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": _app_version(version),
        "id": app_id,
        "developer": developer,
        "name": content["name"],
        "description": content["description"],
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": content["accent_color"],
        "bots": [{
            "botId": app_id,
            "scopes": list(SCOPES),
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": command_lists,
        }],
        "validDomains": domains,
    }


def render_color_icon(size: int = 192) -> bytes:
    """Full-colour icon: two overlapping white rings (peers) on an NHS-blue rounded square."""
    blue, light = png.hex_rgb(BRAND_BLUE), png.hex_rgb(BRAND_LIGHT_BLUE)
    s = size / 192  # design units are for 192 px
    centre, offset, radius, stroke = 96 * s, 21 * s, 35 * s, 10 * s
    left, right = centre - offset, centre + offset
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            colour = png.over((0.0, 0.0, 0.0, 0.0), blue,
                              png.coverage(png.rounded_square(px, py, size, 40 * s)))
            # The shared lens between the two rings marks the common ground.
            lens = max(png.circle(px, py, left, centre, radius), png.circle(px, py, right, centre, radius))
            colour = png.over(colour, light, png.coverage(lens))
            rings = min(png.ring(px, py, left, centre, radius, stroke),
                        png.ring(px, py, right, centre, radius, stroke))
            row.append(png.to_pixel(png.over(colour, WHITE, png.coverage(rings))))
        rows.append(row)
    return png.write_png(size, size, rows)


def render_outline_icon(size: int = 32) -> bytes:
    """Outline icon: the same two rings in white on transparent, as Teams requires."""
    s = size / 32
    centre, offset, radius, stroke = 16 * s, 5.5 * s, 9 * s, 2.4 * s
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            d = min(png.ring(px, py, centre - offset, centre, radius, stroke),
                    png.ring(px, py, centre + offset, centre, radius, stroke))
            # Only alpha varies: every pixel stays pure white, even fully transparent ones.
            row.append((*WHITE, round(png.coverage(d) * 255)))
        rows.append(row)
    return png.write_png(size, size, rows)


def build_package(settings: Settings, out_dir: Path, *, version: str | None = None) -> Path:
    """Write ``peerspace-teams-app.zip`` (manifest.json, color.png, outline.png) into ``out_dir``.

    Returns the zip path. The zip is written to a temporary file first so a
    failed build never leaves a half-written package behind.
    """
    manifest = build_manifest(settings, version=version)
    files = {
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"),
        "color.png": render_color_icon(),
        "outline.png": render_outline_icon(),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / PACKAGE_NAME
    fd, tmp_name = tempfile.mkstemp(prefix=".peerspace-", suffix=".zip", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        # mkstemp makes the file private; a package is meant to be handed around.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
