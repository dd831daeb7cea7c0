"""QR codes for the closing slide: facilitators only, PNG that a phone's decoder reads back to the
session's page, SVG that is valid XML encoding the same link, links that expire and re-check the role."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from dialogs.sessions.qr import QR_PURPOSE, qr_image, qr_subject
from dialogs.sessions.web import REGISTER
from dialogs.shared.public_pages import FEEDBACK_SESSION
from storage.models import User
from tests.factories import ALICE, FACILITATOR
from tests.sessions.test_sessions_register import actions, card_of, first_session, path_of, rows, url_of

pytestmark = pytest.mark.usefixtures("clock")


async def qr_card(harness, sid: str) -> dict:
    await harness.say("hi", FACILITATOR)
    manage = await card_of(harness, "sessions.manage", {"session_id": sid}, FACILITATOR)
    assert any(a.get("verb") == "sessions.qr" for a in actions(manage)), "offered from the manage card"
    return await card_of(harness, "sessions.qr", {"session_id": sid}, FACILITATOR)


def decode_png(raw: bytes) -> str:
    image = Image.open(io.BytesIO(raw))
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found.text


@pytest.mark.parametrize("page, purpose, button", [("feedback", FEEDBACK_SESSION, "Feedback"),
                                                   ("register", REGISTER, "Registration")])
async def test_qr_codes_decode_to_the_sessions_signed_page(harness, clock, page, purpose, button):
    sid = await first_session(harness)
    card = await qr_card(harness, sid)
    links = harness.components.services.links
    png = await harness.client.get(path_of(url_of(card, f"{button} QR code (PNG)")))
    assert png.status == 200 and png.headers["Content-Type"] == "image/png"
    assert png.headers["Cache-Control"] == "private, no-store"
    raw = await png.read()
    payload = decode_png(raw)
    assert payload.startswith(links.base_url + "/")
    assert links.verify(purpose, payload.rsplit("/", 1)[1], clock.now()) == sid
    assert Image.open(io.BytesIO(raw)).width >= 400, "large enough for a slide"
    if page == "feedback":
        assert payload == url_of(card, "Open the feedback page")
    page_resp = await harness.client.get(path_of(payload))
    assert page_resp.status == 200 if page == "register" else page_resp.status == 409, "the code opens the real page"

    svg = await harness.client.get(path_of(url_of(card, f"{button} QR code (SVG)")))
    assert svg.status == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    body = await svg.read()
    root = ET.fromstring(body)  # valid XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "QR code for the" in root.findtext("{http://www.w3.org/2000/svg}title", "")
    assert body == qr_image(payload, "svg", root.findtext("{http://www.w3.org/2000/svg}title", "")), \
        "the SVG draws the same link as the PNG"


def test_qr_code_is_made_for_projection():
    """Level Q, a four-module quiet zone: a phone at the back reads it through glare."""
    import segno
    code = segno.make("https://peerspace.example/feedback/session/x", error="q", micro=False)
    raw = qr_image("https://peerspace.example/feedback/session/x", "png")
    image = Image.open(io.BytesIO(raw))
    modules = code.symbol_size(scale=1, border=0)[0]
    assert image.width == (modules + 8) * 12
    assert code.error in ("Q", "H")
    assert decode_png(raw) == "https://peerspace.example/feedback/session/x"


async def test_attendees_cannot_get_qr_codes(harness, clock):
    sid = await first_session(harness)
    body = await harness.press("sessions.qr", {"session_id": sid}, ALICE)
    assert body["statusCode"] == 200
    assert "only open to facilitators, administrators" in harness.connector.sent[-1].text
    await harness.say("hi", ALICE)
    [alice] = await rows(harness, User.id, User.teams_id == ALICE.teams_id)
    links = harness.components.services.links
    forged = links.token(QR_PURPOSE, qr_subject(sid, alice, "feedback"), clock.now() + timedelta(hours=1))
    assert (await harness.client.get(f"/qr/{forged}.png")).status == 403, "signed for a non-facilitator"
    assert (await harness.client.get(f"/qr/{forged}.svg")).status == 403


async def test_qr_links_expire_and_refuse_tampering(harness, clock):
    sid = await first_session(harness)
    card = await qr_card(harness, sid)
    url = path_of(url_of(card, "Feedback QR code (PNG)"))
    assert (await harness.client.get(url[:-5] + "x.png")).status == 404, "tampered"
    other = harness.components.services.links.token("register_csv", sid)
    assert (await harness.client.get(f"/qr/{other}.png")).status == 404, "made for another purpose"
    clock.advance(timedelta(hours=25))
    assert (await harness.client.get(url)).status == 404, "expired"
