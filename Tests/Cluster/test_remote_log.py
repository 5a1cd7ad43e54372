"""The driver's own events on a real `feature-extractor serve` (TLS, signed requests, checked
answers), stored as the server stores the CLI's."""

import json
import os
import shutil
import sqlite3
import subprocess
import time
import unittest

import helpers
from helpers import ENGINE_MISSING, SAMPLE

if not ENGINE_MISSING:
    from dask.distributed import Client, LocalCluster

    from fe_cluster import encode
    from fe_cluster.remote_log import RemoteLog


@unittest.skipIf(ENGINE_MISSING, ENGINE_MISSING or "")
class RemoteLogTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl (apt-get install openssl) makes the test server's certificate")
        cls.env = helpers.Environment()
        cls.cert, key, cls.db = cls.env.path("cert.pem"), cls.env.path("key.pem"), cls.env.path("server.sqlite")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cls.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        cls.env.run(["user", "add", "ops", "--role", "operator", "--db", cls.db])
        cls.token = cls.env.run(["user", "token", "ops", "--db", cls.db]).stdout.strip()
        cls.server = subprocess.Popen(
            [cls.env.cli, "serve", "--port", "0", "--cert", cls.cert, "--key", key, "--db", cls.db,
             "--storage", cls.env.path("models")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line, deadline = "", time.monotonic() + 30
        while not line.startswith("listening on ") and time.monotonic() < deadline:
            line = cls.server.stdout.readline() or line
        if not line.startswith("listening on "):
            cls.server.kill()
            raise AssertionError(f"the server did not start: {line!r}")
        cls.url = f"https://127.0.0.1:{int(line.rsplit(':', 1)[1])}/v1/logs"

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.env.close()

    def stored(self):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as c:
            return [(actor, json.loads(e)) for actor, e in c.execute("SELECT actor, event FROM remoteLogEvent ORDER BY id")]

    def test_the_drivers_events_reach_the_server_signed_and_attributed(self):
        enc, _ = self.env.train("m")
        log = RemoteLog(self.url, self.token, ca_file=self.cert)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            r = encode(str(SAMPLE), enc, self.env.path("f.csv"), shards=2, binary=self.env.cli, client=client,
                       cli_args=["--columns", "CLOSE"], remote_log=log)
        events = [(actor, e) for actor, e in self.stored() if e.get("source") == "fe_cluster"]
        self.assertEqual([e["event"] for _, e in events], ["cluster.start", "shard.finish", "shard.finish", "cluster.finish"])
        self.assertEqual({actor for actor, _ in events}, {"ops"}, "attributed to the token's user")
        self.assertEqual(events[-1][1]["digests"], r.digests)
        self.assertEqual(sorted(e["index"] for _, e in events if e["event"] == "shard.finish"), [0, 1])

    def test_a_wrong_token_or_a_stranger_server_delivers_nothing_and_fails_nothing(self):
        before = len(self.stored())
        wrong = RemoteLog(self.url, "fe_00000000_" + "A" * 43, ca_file=self.cert)
        wrong.log("probe")
        self.assertFalse(wrong.flush())
        self.assertEqual(len(self.stored()), before)
        with self.assertRaises(ValueError):
            RemoteLog(self.url.replace("https", "http"), self.token)

    def test_the_token_never_travels_and_another_key_for_its_id_is_refused(self):
        """Requests carry the token's id and an Ed25519 signature; the same id with another key
        delivers nothing, and a malformed token is refused without being quoted."""
        from fe_cluster.signing import Token
        headers = Token(self.token).headers("POST", "127.0.0.1:1", "/v1/logs", body=b"[]")
        self.assertEqual(headers["X-FE-Token-ID"], self.token[3:11])
        self.assertNotIn(self.token[12:], json.dumps(headers), "the private key is in no header")
        self.assertNotIn("Authorization", headers)
        before = len(self.stored())
        impostor = RemoteLog(self.url, self.token[:12] + ("B" if self.token[12] == "A" else "A") + self.token[13:],
                             ca_file=self.cert)
        impostor.log("probe")
        self.assertFalse(impostor.flush())
        self.assertEqual(len(self.stored()), before)
        with self.assertRaises(ValueError) as refused:
            RemoteLog(self.url, self.token + "x", ca_file=self.cert)
        self.assertNotIn(self.token[12:], str(refused.exception))


if __name__ == "__main__":
    unittest.main()
