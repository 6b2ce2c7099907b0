"""Feed tokens at rest: sealed with a key from the environment, never readable back.

A feed's bearer token must be sent to the remote server, so it cannot be stored as a one-way
hash like Accord's own API tokens; it is sealed instead with authenticated encryption keyed by
``ACCORD_FEED_KEY`` (at least 32 characters; keep it outside the database, e.g. in the service's
environment). Only standard-library primitives are used: HMAC-SHA256 as a pseudo-random
function in counter mode for the key stream, and HMAC-SHA256 over the version, the feed's name,
the nonce and the cipher text as the tag (encrypt-then-MAC, independent sub-keys derived from
the key). A sealed token names its feed, so it cannot be moved to another feed's row. Without
the key nothing can be sealed or opened: adding a feed with a token fails, and pulling one
fails with a clear error. The token is never printed, logged or returned by any command.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from accord.errors import BadRequest, InvalidInput

KEY_VARIABLE = "ACCORD_FEED_KEY"
MIN_KEY_CHARS = 32
_VERSION = b"v1"
_NONCE = 16
_TAG = 32


def _keys(key: str | None) -> tuple[bytes, bytes]:
    text = key if key is not None else os.environ.get(KEY_VARIABLE, "")
    if len(text) < MIN_KEY_CHARS:
        raise BadRequest(
            f"set {KEY_VARIABLE} to a secret of at least {MIN_KEY_CHARS} characters "
            "to store or use feed tokens"
        )
    master = text.encode()
    enc = hmac.new(master, b"accord feed token: encryption", hashlib.sha256).digest()
    mac = hmac.new(master, b"accord feed token: authentication", hashlib.sha256).digest()
    return enc, mac


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
        for i in range(-(-length // 32))
    )
    return b"".join(blocks)[:length]


def _tag(key: bytes, feed: str, nonce: bytes, body: bytes) -> bytes:
    message = _VERSION + b"\0" + feed.encode() + b"\0" + nonce + body
    return hmac.new(key, message, hashlib.sha256).digest()


def seal(token: str, feed: str, *, key: str | None = None) -> str:
    """The token sealed for this feed (text to store). Pure but for the random nonce."""
    if not token or len(token) > 4096:
        raise InvalidInput("a feed token has 1 to 4096 characters", field="token")
    enc, mac = _keys(key)
    nonce = secrets.token_bytes(_NONCE)
    plain = token.encode()
    body = bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    sealed = nonce + body + _tag(mac, feed, nonce, body)
    return _VERSION.decode() + "." + base64.urlsafe_b64encode(sealed).decode()


def open_sealed(sealed: str, feed: str, *, key: str | None = None) -> str:
    """The token of a sealed value; BadRequest when the key is missing or not the one it was
    sealed with, or the value was altered or belongs to another feed."""
    enc, mac = _keys(key)
    version, _, text = sealed.partition(".")
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except ValueError as exc:
        raise BadRequest("the feed's stored token is damaged: add the feed again") from exc
    if version != _VERSION.decode() or len(raw) < _NONCE + _TAG:
        raise BadRequest("the feed's stored token is damaged: add the feed again")
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if not hmac.compare_digest(tag, _tag(mac, feed, nonce, body)):
        raise BadRequest(
            f"the feed's token cannot be opened: {KEY_VARIABLE} is not the key it was "
            "stored with (or the stored value was altered); add the feed again"
        )
    plain = bytes(a ^ b for a, b in zip(body, _stream(enc, nonce, len(body)), strict=True))
    return plain.decode()
