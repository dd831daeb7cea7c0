"""The Teams app package: zip layout, official manifest schema, icons, refusals."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4

from bot.config import load_settings
from bot.package import MANIFEST_VERSION, PACKAGE_NAME, build_manifest, build_package

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
APP_ID = "6b0c3c1e-1d5b-4b8e-9a2f-3c4d5e6f7a8b"


def make_settings(**overrides):
    values = dict(
        dev_mode=True, app_id=APP_ID, app_password="test-password-not-real", app_type="MultiTenant",
        public_base_url="", content_dir=REPO / "content",
    )
    values.update(overrides)
    return load_settings(**values)


def manifest_validator() -> Draft4Validator:
    """Draft-04 validator for the official schema, resolving references offline only."""
    folder = SCHEMA_DIR / f"v{MANIFEST_VERSION}"
    schema_path = folder / "MicrosoftTeams.schema.json"
    if not schema_path.is_file():
        pytest.fail(
            f"Teams manifest schema not found at {schema_path}. "
            "Run `npm ci` in the repository root to install @microsoft/app-manifest."
        )
    registry = Registry(retrieve=_refuse_network)
    for path in folder.glob("*.json"):
        resource = DRAFT4.create_resource(json.loads(path.read_text(encoding="utf-8")))
        for uri in (
            path.as_uri(),
            f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/{path.name}",
            f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/{path.name}",
        ):
            registry = registry.with_resource(uri, resource)
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # No format checks on the schema itself: it uses ECMAScript \p{L} patterns Python's re lacks
    # (only under Office "extensions", which this manifest does not use).
    Draft4Validator.check_schema(schema, format_checker=None)
    return Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def _refuse_network(uri: str):
    # Any reference outside the shipped schema files must fail, never be downloaded.
    raise NoSuchResource(ref=uri)


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGBA, non-interlaced PNG independently of bot.png."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert (depth, colour_type, interlace) == (8, 6, 0)
    raw, stride, rows, prev = zlib.decompress(idat), width * 4, [], bytearray(width * 4)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b, c = prev[i], prev[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


@pytest.fixture
def package(tmp_path):
    path = build_package(make_settings(public_base_url="https://peerspace.trust.example"), tmp_path / "out")
    with zipfile.ZipFile(path) as archive:
        return path, {name: archive.read(name) for name in archive.namelist()}


def test_zip_holds_exactly_manifest_and_icons(package):
    path, files = package
    assert path.name == PACKAGE_NAME
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_manifest_is_valid_against_official_schema(package):
    manifest = json.loads(package[1]["manifest.json"])
    errors = sorted(manifest_validator().iter_errors(manifest), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # draft-04 ignores the schema's "const", so check the version pairing here.
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    assert manifest["$schema"].endswith(f"/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json")


def test_ids_are_the_bot_app_id(package):
    manifest = json.loads(package[1]["manifest.json"])
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False


def test_commands_and_text_come_from_content(package):
    manifest = json.loads(package[1]["manifest.json"])
    content = yaml.safe_load((REPO / "content" / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["name"]["short"] == content["name"]["short"]
    lists = {entry["scopes"][0]: entry["commands"] for entry in manifest["bots"][0]["commandLists"]}
    assert set(lists) == {"personal", "team", "groupChat"}
    assert [c["title"] for c in lists["personal"]] == ["help", "menu", "about", "my data"]
    for commands in lists.values():
        assert {"help", "menu", "about"} <= {c["title"] for c in commands}
        assert all(c["description"] for c in commands)


def test_domains_and_developer_urls_follow_public_url(package):
    manifest = json.loads(package[1]["manifest.json"])
    assert manifest["validDomains"] == ["peerspace.trust.example", "token.botframework.com"]
    developer = manifest["developer"]
    assert developer["privacyUrl"] == "https://peerspace.trust.example/privacy"
    assert developer["termsOfUseUrl"] == "https://peerspace.trust.example/terms"


def test_without_public_url_developer_urls_fall_back_to_https():
    manifest = build_manifest(make_settings())
    assert manifest["validDomains"] == ["token.botframework.com"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")


def test_http_public_url_is_refused():
    with pytest.raises(ValueError, match="PEERSPACE_PUBLIC_URL.*https"):
        build_manifest(make_settings(public_base_url="http://localhost:3978"))


def test_icon_sizes(package):
    files = package[1]
    assert read_png(files["color.png"])[:2] == (192, 192)
    assert read_png(files["outline.png"])[:2] == (32, 32)


def test_colour_icon_is_nhs_blue_with_white_rings(package):
    _, _, rows = read_png(package[1]["color.png"])
    pixels = {tuple(row[i:i + 4]) for row in rows for i in range(0, len(row), 4)}
    assert (0x00, 0x5E, 0xB8, 255) in pixels
    assert (255, 255, 255, 255) in pixels


def test_outline_icon_is_only_white_or_transparent(package):
    _, _, rows = read_png(package[1]["outline.png"])
    pixels = [tuple(row[i:i + 4]) for row in rows for i in range(0, len(row), 4)]
    offenders = [p for p in pixels if p[3] != 0 and p[:3] != (255, 255, 255)]
    assert not offenders, offenders[:5]
    assert pixels[0][3] == 0, "background must be transparent"
    assert sum(p[3] == 255 for p in pixels) > 50, "outline must be visible"


def test_dev_mode_without_app_id_is_refused(tmp_path):
    settings = make_settings(app_id="", app_password="")
    with pytest.raises(ValueError, match="MicrosoftAppId"):
        build_package(settings, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_app_id_must_be_a_guid():
    with pytest.raises(ValueError, match="GUID"):
        build_manifest(make_settings(app_id="not-a-guid"))


def test_version_override_and_bad_version(tmp_path):
    assert build_manifest(make_settings(), version="2.3.4")["version"] == "2.3.4"
    with pytest.raises(ValueError, match="MAJOR.MINOR.PATCH"):
        build_manifest(make_settings(), version="2.3")


def test_same_inputs_give_identical_zip(tmp_path):
    settings = make_settings()
    first = build_package(settings, tmp_path / "a").read_bytes()
    assert build_package(settings, tmp_path / "b").read_bytes() == first


def _broken(tmp_path: Path, change) -> object:
    content = yaml.safe_load((REPO / "content" / "manifest.yaml").read_text(encoding="utf-8"))
    change(content)
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    return make_settings(content_dir=folder)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["name"].update(short="P" * 31), "name.short"),
        (lambda c: c["description"].pop("short"), "description.short"),
        (lambda c: c["developer"].update(privacy_url="http://example.org/privacy"), "developer.privacy_url"),
        (lambda c: c["commands"][1].pop("title"), r"commands\[1\].title"),
        (lambda c: c["commands"][0].update(scopes=["channel"]), r"commands\[0\].scopes"),
        (lambda c: c.update(accent_color="blue"), "accent_color"),
        (lambda c: c["name"].update(colour="x"), "name.colour"),
    ],
)
def test_broken_content_names_file_and_field(tmp_path, change, field):
    settings = _broken(tmp_path, change)
    with pytest.raises(ValueError, match=rf"manifest\.yaml: {field}:"):
        build_package(settings, tmp_path / "out")


def test_unparsable_content_names_file(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "manifest.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"manifest\.yaml: not valid YAML"):
        build_manifest(make_settings(content_dir=folder))
