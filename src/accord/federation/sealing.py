"""Feed tokens at rest: sealed with a key from the environment, never readable back.

A feed's bearer token must be sent to the remote server, so it cannot be stored as a one-way
hash like Accord's own API tokens; it is sealed instead with AES-256-GCM (the ``cryptography``
package) under a key derived by HKDF-SHA256 from ``ACCORD_FEED_KEY`` (at least 32 characters;
keep it outside the database, e.g. in the service's environment). The feed's name is the
cipher's associated data, so a sealed token cannot be moved to another feed's row. Without the
key nothing can be sealed or opened: adding a feed with a token fails, and pulling one fails
with a clear error. The token is never printed, logged or returned by any command.
"""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from accord.errors import BadRequest, InvalidInput

KEY_VARIABLE = "ACCORD_FEED_KEY"
MIN_KEY_CHARS = 32
_VERSION = "v2"
_NONCE = 12
_TAG = 16


def _cipher(key: str | None) -> AESGCM:
    text = key if key is not None else os.environ.get(KEY_VARIABLE, "")
    if len(text) < MIN_KEY_CHARS:
        raise BadRequest(
            f"set {KEY_VARIABLE} to a secret of at least {MIN_KEY_CHARS} characters "
            "to store or use feed tokens"
        )
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"accord feed token v2"
    ).derive(text.encode())
    return AESGCM(derived)


def _context(feed: str) -> bytes:
    return f"{_VERSION}\0{feed}".encode()


def seal(token: str, feed: str, *, key: str | None = None) -> str:
    """The token sealed for this feed (text to store). Pure but for the random nonce."""
    if not token or len(token) > 4096:
        raise InvalidInput("a feed token has 1 to 4096 characters", field="token")
    cipher = _cipher(key)
    nonce = secrets.token_bytes(_NONCE)
    sealed = nonce + cipher.encrypt(nonce, token.encode(), _context(feed))
    return _VERSION + "." + base64.urlsafe_b64encode(sealed).decode()


def open_sealed(sealed: str, feed: str, *, key: str | None = None) -> str:
    """The token of a sealed value; BadRequest when the key is missing or not the one it was
    sealed with, or the value was altered or belongs to another feed."""
    cipher = _cipher(key)
    damaged = BadRequest("the feed's stored token is damaged: add the feed again")
    version, _, text = sealed.partition(".")
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except ValueError as exc:
        raise damaged from exc
    if version != _VERSION or len(raw) < _NONCE + _TAG:
        raise damaged
    try:
        plain = cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _context(feed))
    except InvalidTag as exc:
        raise BadRequest(
            f"the feed's token cannot be opened: {KEY_VARIABLE} is not the key it was "
            "stored with (or the stored value was altered); add the feed again"
        ) from exc
    return plain.decode()
