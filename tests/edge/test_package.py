"""The Teams app package: zip layout, official manifest schema, icons, refusals."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from PIL import Image
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


def read_png(data: bytes) -> Image.Image:
    """A PNG from the package, decoded by Pillow into RGBA whatever its own colour type."""
    image = Image.open(io.BytesIO(data), formats=["PNG"])
    assert image.format == "PNG"
    return image.convert("RGBA")


def pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    raw = image.tobytes()
    return [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]


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
    assert read_png(files["color.png"]).size == (192, 192)
    assert read_png(files["outline.png"]).size == (32, 32)


def test_icons_are_the_files_in_content(package):
    """The package ships content/icons/ byte for byte: nothing is drawn at package time."""
    for name in ("color.png", "outline.png"):
        assert package[1][name] == (REPO / "content" / "icons" / name).read_bytes()


def test_colour_icon_is_nhs_blue_with_white_rings(package):
    seen = set(pixels(read_png(package[1]["color.png"])))
    assert (0x00, 0x5E, 0xB8, 255) in seen
    assert (255, 255, 255, 255) in seen


def test_outline_icon_is_only_white_or_transparent(package):
    seen = pixels(read_png(package[1]["outline.png"]))
    offenders = [p for p in seen if p[3] != 0 and p[:3] != (255, 255, 255)]
    assert not offenders, offenders[:5]
    assert seen[0][3] == 0, "background must be transparent"
    assert sum(p[3] == 255 for p in seen) > 50, "outline must be visible"


# --- an organisation's own icons ----------------------------------------------------------------

def _png(size: int, colour: tuple[int, int, int, int], mode: str = "RGBA", **draw) -> bytes:
    """A test icon: `colour` everywhere, then a square of `draw["square"]` colour in the middle."""
    image = Image.new("RGBA", (size, size), colour)
    if "square" in draw:
        image.paste(draw["square"], (size // 4, size // 4, size * 3 // 4, size * 3 // 4))
    out = io.BytesIO()
    image.convert(mode).save(out, format=draw.get("format", "PNG"))
    return out.getvalue()


def _own_content(tmp_path: Path, **icons: bytes) -> Path:
    """A copy of content/ whose icons are replaced by `icons` (name without .png -> bytes)."""
    folder = tmp_path / "content"
    shutil.copytree(REPO / "content", folder)
    for name, data in icons.items():
        (folder / "icons" / f"{name}.png").write_bytes(data)
    return folder


def test_an_organisation_s_own_icons_are_shipped(tmp_path):
    # Palette and grey-with-alpha PNGs are fine too: Teams asks for PNG and a size, not a colour type.
    colour = _png(192, (200, 16, 46, 255), mode="P")
    outline = _png(32, (255, 255, 255, 0), mode="LA", square=(255, 255, 255, 255))
    folder = _own_content(tmp_path, color=colour, outline=outline)
    path = build_package(make_settings(content_dir=folder), tmp_path / "out")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("color.png") == colour and archive.read("outline.png") == outline


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("color", _png(180, (0, 94, 184, 255)), r"color\.png: 180x180 pixels; Teams needs a 192x192 full-colour PNG"),
    ("color", _png(192, (0, 94, 184, 255), mode="RGB", format="JPEG"),
     r"color\.png: not a readable PNG image .*Teams needs a 192x192"),
    ("outline", _png(64, (255, 255, 255, 0)), r"outline\.png: 64x64 pixels; Teams needs a 32x32 PNG"),
    ("outline", _png(32, (255, 255, 255, 0), square=(0, 94, 184, 255)),
     r"outline\.png: pixel \(8, 8\) is #005EB8, not white; Teams needs a 32x32 PNG, white on a transparent"),
    ("outline", _png(32, (255, 255, 255, 255), mode="RGB"), r"outline\.png: has no transparent pixels"),
    ("outline", b"not an image", r"outline\.png: not a readable PNG image"),
], ids=["colour 180px", "colour JPEG", "outline 64px", "outline blue", "outline opaque", "outline not an image"])
def test_an_icon_teams_would_refuse_is_refused_naming_file_and_rule(tmp_path, name, data, problem):
    folder = _own_content(tmp_path, **{name: data})
    with pytest.raises(ValueError, match=problem):
        build_package(make_settings(content_dir=folder), tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_missing_icon_is_refused_naming_file(tmp_path):
    folder = _own_content(tmp_path)
    (folder / "icons" / "outline.png").unlink()
    with pytest.raises(ValueError, match=r"icons/outline\.png: cannot be read .*Teams needs a 32x32 PNG"):
        build_package(make_settings(content_dir=folder), tmp_path / "out")


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
