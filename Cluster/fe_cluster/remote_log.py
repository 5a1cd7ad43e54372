"""The driver's own events on a feature-extractor server (`POST /v1/logs`), signed as the CLI
signs its requests (`signing`: the token's Ed25519 key signs, the token never travels) and checked
as it checks the answers. Never fails the job: an undeliverable batch is reported on stderr and dropped
(the shards' own runs are audited by each worker's CLI)."""

import datetime
import hmac
import http.client
import json
import ssl
import sys
import threading
import urllib.parse

from .signing import Token, authority, response_mac

MAX_EVENTS_PER_BATCH = 100


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
        self.parts, self.token = parts, Token(token)
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
        headers = self.token.headers("POST", authority(self.parts.hostname, self.parts.port), path, self.parts.query, body)
        headers["Content-Type"] = "application/json"
        nonce = headers["X-FE-Nonce"]
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
            if not hmac.compare_digest(mac, response_mac(self.token.response_key, nonce, response.status, answer)):
                raise ValueError("the answer's signature is missing or does not match: not our server")
        finally:
            connection.close()
