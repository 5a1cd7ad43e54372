#!/usr/bin/env python3
"""A misbehaving HTTPS server for the client's tests (standard library only).

Usage: hostile_server.py CERT KEY TOKEN   -> prints "listening on PORT", serves until killed.

Paths (any method):
  /tamper           200 with a valid response signature for the original body, then an altered body
  /redirect-http    302 to a plain-http URL
  /truncate         Content-Length 100000, sends 1000 bytes, closes (a server dying mid-download)
  /oversized        streams 600 MiB of zeros (more than any client limit)
  /digest-mismatch  a correctly signed model response whose X-FE-Content-SHA256 is wrong
  /unsigned         200 with no response signature (a replayed or forged answer)
  /status-NNN       status NNN (e.g. 500, 501, 507) with {"error": "..."}: a server failing a request
  /trickle          200 with Content-Length 1000, then one byte a second (a client must not wait forever)
  /stall            reads the request, then answers nothing for 10 minutes (a transfer to interrupt)
"""
import hashlib
import hmac
import http.server
import socketserver
import ssl
import sys
import time

CERT, KEY, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()   # RFC 5869, empty salt
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


# The key of response MACs, as the real server stores it beside the token's public key (it cannot
# sign requests: those are signed with the token's Ed25519 key, which no server holds).
KEY_BYTES = hkdf_sha256(TOKEN.encode(), b"feature-extractor response mac v2")


def response_mac(nonce: str, status: int, body: bytes) -> str:
    text = "\n".join(["FE-RESPONSE-V1", nonce, str(status), hashlib.sha256(body).hexdigest()])
    return hmac.new(KEY_BYTES, text.encode(), hashlib.sha256).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        nonce = self.headers.get("X-FE-Nonce", "")
        body = b'{"epochs": 1}'
        path = self.path.split("?")[0]
        if path == "/tamper":
            mac = response_mac(nonce, 200, body)
            self.reply(200, b'{"epochs": 9999}', {"X-FE-Response-Signature": mac, "X-FE-Content-SHA256": hashlib.sha256(body).hexdigest()})
        elif path == "/redirect-http":
            self.reply(302, b"", {"Location": "http://127.0.0.1:1/v1/configs/x"})
        elif path == "/truncate":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x00" * 1000)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif path == "/oversized":
            self.send_response(200)
            self.send_header("Content-Length", str(600 << 20))
            self.end_headers()
            try:
                chunk = b"\x00" * (1 << 20)
                for _ in range(600):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
        elif path == "/digest-mismatch":
            model = b"not really a model"
            self.reply(200, model, {"X-FE-Response-Signature": response_mac(nonce, 200, model),
                                    "X-FE-Content-SHA256": "0" * 64, "X-FE-Model-Signature": "e30="})
        elif path.startswith("/status-") and path[8:].isdigit():
            status = int(path[8:])
            self.reply(status, b'{"error": "storage full"}', {})
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass
        elif path == "/stall":
            time.sleep(600)
        elif path == "/unsigned":
            self.reply(200, body, {"X-FE-Content-SHA256": hashlib.sha256(body).hexdigest()})
        else:
            self.reply(404, b'{"error": "no such path"}', {})

    def reply(self, status, body, headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()
