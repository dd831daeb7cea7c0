"""Encryption at rest of what a person typed in a check-in (`cryptography`'s AES-GCM).

Each person's key is derived (HKDF-SHA256) from a master key, itself derived from the deployment
secret, and the person's id; the check-in's id is authenticated with it, so a sealed blob moved
to another row or person does not open. A copy of the database alone opens nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE = 12


class SealBroken(ValueError):
    """The blob was altered, moved, or sealed under another secret."""


@dataclass(frozen=True)
class PrivateText:
    """Everything typed in one check-in; all optional."""

    hard: str = ""
    went_well: tuple[str, ...] = ()
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.hard or self.went_well or self.note)


@dataclass
class Sealer:
    master_key: bytes
    _keys: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.master_key) < 32:
            raise ValueError("check-in master key too short")

    def _aead(self, owner_id: str) -> AESGCM:
        aead = self._keys.get(owner_id)
        if aead is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"peerspace checkin v1\x00" + owner_id.encode()).derive(self.master_key)
            if len(self._keys) > 1024:
                self._keys.clear()
            aead = self._keys[owner_id] = AESGCM(key)
        return aead

    def seal(self, owner_id: str, checkin_id: str, text: PrivateText) -> bytes | None:
        if not text:
            return None
        plain = json.dumps({"h": text.hard, "w": list(text.went_well), "n": text.note},
                           separators=(",", ":")).encode()
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead(owner_id).encrypt(nonce, plain, checkin_id.encode())

    def open(self, owner_id: str, checkin_id: str, blob: bytes | None) -> PrivateText:
        if not blob:
            return PrivateText()
        if blob[:1] != _VERSION or len(blob) < 1 + _NONCE + 16:
            raise SealBroken("unknown format")
        nonce, body = blob[1:1 + _NONCE], blob[1 + _NONCE:]
        try:
            plain = self._aead(owner_id).decrypt(nonce, body, checkin_id.encode())
        except InvalidTag:
            raise SealBroken("does not open") from None
        data = json.loads(plain)
        return PrivateText(data.get("h", ""), tuple(data.get("w", ())), data.get("n", ""))
