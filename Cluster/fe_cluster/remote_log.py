"""The driver's own events on a feature-extractor server (`POST /v1/logs`), signed as the CLI
signs its requests (Sources/RemoteAuth/RequestSigning.swift) and checked as it checks the
answers. Never fails the job: an undeliverable batch is reported on stderr and dropped
(the shards' own runs are audited by each worker's CLI)."""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

MAX_EVENTS_PER_BATCH = 100


def derive_key(token):
    """HKDF-SHA256 (RFC 5869), no salt, info "feature-extractor request mac v1", 32 bytes."""
    prk = hmac.new(b"\0" * 32, token.encode(), hashlib.sha256).digest()
    return hmac.new(prk, b"feature-extractor request mac v1\x01", hashlib.sha256).digest()


def authority(host, port):
    """The server a request is signed for, as RequestSigning.authority names it: the host in lower
    case (an IPv6 literal in brackets) and the port, always explicit."""
    h = host.lower()
    return f"[{h}]:{port or 443}" if ":" in h and not h.startswith("[") else f"{h}:{port or 443}"


def request_mac(key, method, server, path, query, timestamp, nonce, body):
    """FE-REQUEST-V2: the server (`authority`) is inside the MAC, so another server cannot replay it."""
    text = "\n".join(["FE-REQUEST-V2", method, server, path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def response_mac(key, nonce, status, body):
    text = "\n".join(["FE-RESPONSE-V1", nonce, str(status), hashlib.sha256(body).hexdigest()])
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class RemoteLog:
    """Events queued with `log` and sent by `flush` (also every `batch` events)."""

    def __init__(self, url, token, ca_file=None, timeout=5.0, source="fe_cluster"):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"the remote log must be an https:// URL (…/v1/logs), got {url[:200]!r}")
        if parts.username or parts.password:
            raise ValueError("credentials in the URL are refused: the token comes from FEATURE_EXTRACTOR_TOKEN")
        if not token:
            raise ValueError("no token: set FEATURE_EXTRACTOR_TOKEN (a user with the log-writing role)")
        self.parts, self.key, self.token = parts, derive_key(token), token
        self.context = ssl.create_default_context(cafile=ca_file)
        self.timeout, self.source = timeout, source
        self.queue, self.lock = [], threading.Lock()
        self.delivered = 0

    def log(self, event, fields=None):
        record = dict(fields or {})
        record.update(event=event, source=self.source,
                      time=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self.lock:
            self.queue.append(record)
            full = len(self.queue) >= MAX_EVENTS_PER_BATCH
        if full:
            self.flush()

    def flush(self):
        """Sends what is queued; True when every batch was accepted."""
        with self.lock:
            pending, self.queue = self.queue, []
        ok = True
        for start in range(0, len(pending), MAX_EVENTS_PER_BATCH):
            batch = pending[start:start + MAX_EVENTS_PER_BATCH]
            try:
                self._post(json.dumps(batch, sort_keys=True).encode())
                self.delivered += len(batch)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                ok = False
                print(f"fe_cluster: warning: {len(batch)} event(s) not delivered to the remote log: {exc}",
                      file=sys.stderr)
        return ok

    def _post(self, body):
        path = self.parts.path or "/"
        nonce, stamp = os.urandom(16).hex(), str(int(time.time()))
        headers = {
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "X-FE-Timestamp": stamp, "X-FE-Nonce": nonce,
            "X-FE-Signature": request_mac(
                self.key, "POST", authority(self.parts.hostname, self.parts.port), path, self.parts.query, stamp, nonce, body),
        }
        connection = http.client.HTTPSConnection(
            self.parts.hostname, self.parts.port or 443, context=self.context, timeout=self.timeout)
        try:
            target = path + (f"?{self.parts.query}" if self.parts.query else "")
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(1 << 20)
            if not 200 <= response.status < 300:
                raise ValueError(f"the server answered {response.status}: {answer[:300].decode('utf-8', 'replace')}")
            mac = response.getheader("X-FE-Response-Signature") or ""
            if not hmac.compare_digest(mac, response_mac(self.key, nonce, response.status, answer)):
                raise ValueError("the answer's signature is missing or does not match: not our server")
        finally:
            connection.close()
