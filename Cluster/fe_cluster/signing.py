"""Requests to `feature-extractor serve` signed as the CLI signs them
(Sources/RemoteAuth/RequestSigning.swift): the token `fe_<id>_<key>` is an Ed25519 private key;
a request carries the token's id and a signature over FE-REQUEST-V2 (method, server, path,
query, timestamp, nonce, body digest), never the token. Answers carry an HMAC keyed by
HKDF(token), checked with `response_mac`."""

import base64
import hashlib
import hmac
import re
import secrets
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_TOKEN = re.compile(r"fe_([0-9a-f]{8})_([A-Za-z0-9_-]{43})\Z")


def hkdf(ikm, info):
    """HKDF-SHA256 (RFC 5869), no salt, 32 bytes."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def authority(host, port):
    """The server a request is signed for, as RequestSigning.authority names it: the host in lower
    case (an IPv6 literal in brackets) and the port, always explicit."""
    h = host.lower()
    return f"[{h}]:{port or 443}" if ":" in h and not h.startswith("[") else f"{h}:{port or 443}"


def response_mac(key, nonce, status, body):
    text = "\n".join(["FE-RESPONSE-V1", nonce, str(status), hashlib.sha256(body).hexdigest()])
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class Token:
    """A token's id, private key and response key; its text is kept nowhere, shown in nothing."""

    def __init__(self, text):
        match = _TOKEN.match(text or "")
        if not match:
            # Never quote it: a mistyped token is still mostly secret.
            raise ValueError("the token is not in the form fe_<8 hex digits>_<43 characters> "
                             "(tokens issued before signed requests must be re-issued: feature-extractor user token NAME)")
        self.id = match.group(1)
        self._key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(match.group(2) + "="))
        self.response_key = hkdf(text.encode(), b"feature-extractor response mac v2")

    def __repr__(self):
        return f"Token({self.id})"

    def headers(self, method, server, path, query="", body=b"", body_sha256=None):
        """The signing headers of one request (a fresh nonce each time); `server` is `authority(...)`."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        digest = body_sha256 or hashlib.sha256(body).hexdigest()
        text = "\n".join(["FE-REQUEST-V2", method, server, path, query, stamp, nonce, digest])
        return {"X-FE-Token-ID": self.id, "X-FE-Timestamp": stamp, "X-FE-Nonce": nonce,
                "X-FE-Signature": self._key.sign(text.encode()).hex()}
