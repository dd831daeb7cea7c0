"""Build the sideloadable Teams app package: manifest.json plus the two icons.

All wording comes from ``content/manifest.yaml`` and the icons from ``content/icons/``; this
module only assembles them and checks them against Teams' limits (Pillow reads the icons).
"""

from __future__ import annotations

import io
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
from PIL import Image, UnidentifiedImageError

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
# Icons ship as files an organisation replaces in its content folder; sizes are Teams' rules.
ICON_DIR = "icons"
COLOR, OUTLINE = "color.png", "outline.png"
ICONS = {COLOR: (192, "a 192x192 full-colour PNG"),
         OUTLINE: (32, "a 32x32 PNG, white on a transparent background")}
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
        "icons": {"color": COLOR, "outline": OUTLINE},
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


def load_icons(content_dir: Path) -> dict[str, bytes]:
    """The two icon files from ``content_dir/icons``, checked against Teams' rules; name -> bytes.

    An organisation replaces them in its own content folder. Raises ``ValueError`` naming the
    file and the problem: missing, not a PNG, the wrong size, or (outline) not white on transparent.
    """
    icons = {}
    for name, (size, what) in ICONS.items():
        path = Path(content_dir) / ICON_DIR / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"{path}: cannot be read ({exc.strerror or exc}); Teams needs {what}") from exc
        try:
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                # The header alone gives the size: check it before decoding any pixels.
                if image.size != (size, size):
                    width, height = image.size
                    raise ValueError(f"{path}: {width}x{height} pixels; Teams needs {what}")
                if name == OUTLINE:
                    _check_outline(path, image.convert("RGBA"), what)
                else:
                    image.load()  # a truncated or corrupt file fails here, not in Teams
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
            raise ValueError(f"{path}: not a readable PNG image ({exc}); Teams needs {what}") from exc
        icons[name] = data
    return icons


def _check_outline(path: Path, image: Image.Image, what: str) -> None:
    """Teams draws the outline icon on its own backgrounds: only white, and some transparency."""
    width, pixels = image.width, image.tobytes()
    alpha_seen = False
    for index in range(width * image.height):
        r, g, b, a = pixels[index * 4:index * 4 + 4]
        if a and (r, g, b) != WHITE:
            raise ValueError(f"{path}: pixel ({index % width}, {index // width}) is "
                             f"#{r:02X}{g:02X}{b:02X}, not white; Teams needs {what}")
        alpha_seen = alpha_seen or a < 255
    if not alpha_seen:
        raise ValueError(f"{path}: has no transparent pixels; Teams needs {what}")


def build_package(settings: Settings, out_dir: Path, *, version: str | None = None) -> Path:
    """Write ``peerspace-teams-app.zip`` (manifest.json, color.png, outline.png) into ``out_dir``.

    Returns the zip path. The zip is written to a temporary file first so a
    failed build never leaves a half-written package behind.
    """
    manifest = build_manifest(settings, version=version)
    files = {
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"),
        **load_icons(settings.content_dir),
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
