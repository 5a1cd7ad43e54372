#!/usr/bin/env python3
"""Bounded load test of `feature-extractor serve` on loopback (standard library only).

Starts a server with a fresh database and certificate, then N client threads each send R
signed GET requests (the real request signing: HKDF token key, HMAC, nonce, timestamp).
Prints requests/second, latency percentiles, and the status counts: a healthy server
answers only 200 or 429 (rate limited). Everything stays on 127.0.0.1 and stops by itself.

Usage: Benchmarks/server_load.py --binary .build/release/feature-extractor [--clients 8] [--requests 200] [--rate 10000]
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time


def hkdf(ikm, info, length=32):
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm += block
        i += 1
    return okm[:length]


def signed_headers(token, key, method, path, body=b""):
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    text = "\n".join(["FE-REQUEST-V1", method, path, "", ts, nonce, hashlib.sha256(body).hexdigest()])
    return {"Authorization": f"Bearer {token}", "X-FE-Timestamp": ts, "X-FE-Nonce": nonce,
            "X-FE-Signature": hmac.new(key, text.encode(), hashlib.sha256).hexdigest()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--rate", type=float, default=10000, help="server's per-token and per-address rate limits")
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="fe-load-")
    env = dict(os.environ, FEATURE_EXTRACTOR_HOME=tmp)
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    subprocess.run([a.binary, "user", "add", "ops", "--role", "operator"], env=env, check=True, capture_output=True)
    token = subprocess.run([a.binary, "user", "token", "ops"], env=env, check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([a.binary, "serve", "--port", "0", "--cert", cert, "--key", key, "--rate", str(a.rate),
                               "--address-rate", str(a.rate),
                               "--max-connections", "256"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        while port is None:
            line = server.stdout.readline()
            if not line:
                sys.exit("server did not start")
            if line.startswith("listening on"):
                port = int(line.rsplit(":", 1)[1])
        mac_key = hkdf(token.encode(), b"feature-extractor request mac v1")
        context = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
        body = json.dumps({"epochs": 1}).encode()
        conn.request("POST", "/v1/configs/load", body=body, headers=signed_headers(token, mac_key, "POST", "/v1/configs/load", body))
        conn.getresponse().read()
        latencies, statuses, lock = [], {}, threading.Lock()

        def worker():
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
            for _ in range(a.requests):
                t0 = time.perf_counter()
                c.request("GET", "/v1/configs/load", headers=signed_headers(token, mac_key, "GET", "/v1/configs/load"))
                r = c.getresponse()
                r.read()
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        threads = [threading.Thread(target=worker) for _ in range(a.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        latencies.sort()
        pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
        print(f"{a.clients} clients x {a.requests} signed GETs over TLS on 127.0.0.1 (keep-alive)")
        print(f"throughput {len(latencies) / wall:,.0f} requests/s; latency p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1]*1000:.1f} ms")
        print(f"statuses: {dict(sorted(statuses.items()))}" + ("" if set(statuses) <= {200, 429} else "  <-- unexpected"))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
