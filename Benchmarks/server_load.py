#!/usr/bin/env python3
"""Bounded load test of `feature-extractor serve` on loopback (the standard library, and the pinned
`cryptography` for Ed25519 through Cluster/fe_cluster/signing.py).

Starts a server with a fresh database and certificate, then N client threads each send R
signed GET requests (the real request signing: token id, Ed25519 signature, nonce, timestamp).
Prints requests/second, latency percentiles, and the status counts: a healthy server
answers only 200 or 429 (rate limited). Everything stays on 127.0.0.1 and stops by itself.

Usage: Benchmarks/server_load.py --binary .build/release/feature-extractor [--clients 8] [--requests 200] [--rate 10000]
       Benchmarks/server_load.py --binary ... --exhaustion [--seconds 20]

--exhaustion measures one legitimate client (sequential signed GETs from 127.0.0.1, keep-alive)
alone, then under each attack from 127.0.0.2 (so per-address limits hit the attacker, as they
would on a network): 64 idle TCP connections held open (re-opened when the server closes them);
8 concurrent 250 MiB uploads with a bogus signature, repeated; 7 requests/s with made-up tokens. It
prints the legitimate client's p50/p99 and failures per phase, the ratio of its p99 to the
baseline, the server's CPU time per second of the phase and its resident memory (at the end of
the phase, and the peak so far). The attackers run in a child process at nice 19: on a network
their CPU would be another machine's.
"""
import argparse
import hashlib
import socket
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Cluster"))
from fe_cluster.signing import Token  # noqa: E402  (the signing the driver uses, one copy)

AUTHORITY = "127.0.0.1:8443"  # the server a request is signed for: set once the port is known


def signed_headers(token, method, path, body=b""):
    return token.headers(method, AUTHORITY, path, "", body)


def start_server(binary, rate, extra=()):
    tmp = tempfile.mkdtemp(prefix="fe-load-")
    env = dict(os.environ, FEATURE_EXTRACTOR_HOME=tmp)
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    subprocess.run([binary, "user", "add", "ops", "--role", "operator"], env=env, check=True, capture_output=True)
    token = Token(subprocess.run([binary, "user", "token", "ops"], env=env, check=True, capture_output=True,
                                 text=True).stdout.strip())
    server = subprocess.Popen([binary, "serve", "--port", "0", "--cert", cert, "--key", key, "--rate", str(rate),
                               "--address-rate", str(rate), *extra], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = server.stdout.readline()
        if not line:
            sys.exit("server did not start")
        if line.startswith("listening on"):
            port = int(line.rsplit(":", 1)[1])
    global AUTHORITY
    AUTHORITY = f"127.0.0.1:{port}"
    return tmp, cert, token, server, port


def memory_mb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return -1


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def legit_phase(port, context, token, seconds):
    """Sequential signed GETs for `seconds`; returns (latencies, failures)."""
    latencies, failures = [], 0
    conn = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
            conn.request("GET", "/v1/configs/load", headers=signed_headers(token, "GET", "/v1/configs/load"))
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
            conn = None
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.02)
    return latencies, failures


def attacker_idle(port, stop):
    socks = []
    while not stop.is_set():
        socks = [s for s in socks if s.fileno() != -1]
        while len(socks) < 64 and not stop.is_set():
            s = socket.socket()
            try:
                s.bind(("127.0.0.2", 0))
                s.settimeout(2)
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                socks.append(s)
            except OSError:
                s.close()
                time.sleep(0.05)
        time.sleep(0.2)
        for s in list(socks):
            try:
                if s.recv(1) == b"":
                    s.close()
            except BlockingIOError:
                pass
            except OSError:
                s.close()
    for s in socks:
        s.close()


def attacker_upload(port, context, token, stop, size=250 << 20):
    chunk = b"\0" * (1 << 20)
    digest = hashlib.sha256()
    for _ in range(size >> 20):
        digest.update(chunk)
    digest = digest.hexdigest()
    while not stop.is_set():
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30, source_address=("127.0.0.2", 0))
            headers = token.headers("PUT", AUTHORITY, "/v1/models/bogus/versions/1", body_sha256=digest)
            headers.update({"X-FE-Signature": "0" * 128, "X-FE-Content-SHA256": digest, "X-FE-Model-Signature": "e30=",
                            "Content-Length": str(size)})
            c.putrequest("PUT", "/v1/models/bogus/versions/1")
            for k, v in headers.items():
                c.putheader(k, v)
            c.endheaders()
            for _ in range(size >> 20):
                if stop.is_set():
                    break
                c.send(chunk)
            c.getresponse().read()
            c.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)


def attacker_tokens(port, context, stop, per_second=7):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30, source_address=("127.0.0.2", 0))
            made = Token("fe_" + secrets.token_hex(4) + "_" + secrets.token_urlsafe(32)[:42] + "A")
            c.request("GET", "/v1/configs/load", headers=signed_headers(made, "GET", "/v1/configs/load"))
            c.getresponse().read()
            c.close()
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(max(0, 1 / per_second - (time.monotonic() - t0)))


def first_request(token, cert, port):
    """A TLS context trusting the server, and a config body, after one signed save (a config to load)."""
    context = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
    body = json.dumps({"epochs": 1}).encode()
    conn.request("POST", "/v1/configs/load", body=body, headers=signed_headers(token, "POST", "/v1/configs/load", body))
    conn.getresponse().read()
    return context, body


def exhaustion(a):
    tmp, cert, token, server, port = start_server(a.binary, 10000)
    try:
        context, body = first_request(token, cert, port)
        pct = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000
        phases = [("baseline", None), ("64 idle connections", lambda stop: [threading.Thread(target=attacker_idle, args=(port, stop))]),
                  ("8 x 250 MiB bogus uploads", lambda stop: [threading.Thread(target=attacker_upload, args=(port, context, token, stop))
                                                               for _ in range(8)]),
                  ("7 unknown tokens/s", lambda stop: [threading.Thread(target=attacker_tokens, args=(port, context, stop))])]
        base = None
        print(f"legitimate client: sequential signed GETs from 127.0.0.1 for {a.seconds} s per phase; attackers from 127.0.0.2")
        for name, make in phases:
            # The attack runs in its own process at the lowest priority: on a network its CPU would be
            # another machine's, and here it must not starve the client being measured.
            attacker = os.fork() if make else 0
            if make and attacker == 0:
                os.nice(19)
                stop = threading.Event()
                for t in make(stop):
                    t.daemon = True
                    t.start()
                time.sleep(10_000)
                os._exit(0)
            time.sleep(1 if make else 0)  # let the attack build up
            cpu0 = cpu_seconds(server.pid)
            lat, failures = legit_phase(port, context, token, a.seconds)
            cpu = cpu_seconds(server.pid) - cpu0
            rss = memory_mb(server.pid, "VmRSS")
            if attacker:
                os.kill(attacker, 9)
                os.waitpid(attacker, 0)
            p99 = pct(lat, 0.99)
            base = base or p99
            print(f"{name:28s} requests {len(lat):4d}  failures {failures:3d}  p50 {pct(lat, 0.5):7.1f} ms  p99 {p99:8.1f} ms"
                  f"  p99/baseline {p99 / base:5.2f}x  server CPU {cpu / a.seconds:4.2f} s/s"
                  f"  RSS {rss} MB (peak {memory_mb(server.pid, 'VmHWM')} MB)")
            time.sleep(3)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--rate", type=float, default=10000, help="server's per-token and per-address rate limits")
    p.add_argument("--exhaustion", action="store_true", help="measure a legitimate client under the exhaustion attacks")
    p.add_argument("--seconds", type=float, default=20, help="length of each --exhaustion phase")
    a = p.parse_args()
    if a.exhaustion:
        return exhaustion(a)
    tmp, cert, token, server, port = start_server(a.binary, a.rate, ["--max-connections", "256"])
    try:
        context, body = first_request(token, cert, port)
        latencies, statuses, lock = [], {}, threading.Lock()

        def worker():
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
            for _ in range(a.requests):
                t0 = time.perf_counter()
                c.request("GET", "/v1/configs/load", headers=signed_headers(token, "GET", "/v1/configs/load"))
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
