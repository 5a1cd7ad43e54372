"""Refreshing the advisories (scripts/supply-chain/refresh-advisories) from a stand-in for the
OSV API on the loopback interface, and from an OSV bulk export zip. No real network is used."""

import http.server
import json
import threading
import unittest
import zipfile

import helpers as h
from helpers import sc


def fixture(name, **fill):
    values = {}
    for p in h.real_graph().sorted():
        values[f"{p.identity}:version"] = p.version
        values[f"{p.identity}:next-minor"] = h.next_minor(p.version)
    for r in sc.parse_requirements(sc.PY_REQUIREMENTS)[0]:
        values[f"{sc.pep503(r.name)}:version"] = r.version
        values[f"{sc.pep503(r.name)}:next-minor"] = h.next_minor(r.version)
    return json.loads(h.fill_template(h.FIXTURES / "advisories" / f"{name}.json", values))


SYSTEM = h.FIXTURES / "system-packages.json"

UNRELATED = {"id": "FIXTURE-SC-9999", "summary": "TEST FIXTURE, not a real advisory: a package we do not use",
             "affected": [{"package": {"ecosystem": "SwiftURL", "name": "github.com/example/unused"},
                           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}


# Never send the loopback requests through a proxy from the environment.
LOOPBACK = {"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}


class FakeOSV(http.server.BaseHTTPRequestHandler):
    queries = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOSV.queries.append(body)
        name, eco = body["package"]["name"], body["package"]["ecosystem"]
        vulns = []
        if eco == "SwiftURL" and name == "github.com/groue/GRDB.swift":
            if body.get("page_token") == "page2":
                vulns = [fixture("FIXTURE-SC-0003")]
            else:
                vulns = [fixture("FIXTURE-SC-0001")]
        elif eco == "Debian:12" and name == "sqlite3":
            vulns = [fixture("FIXTURE-SC-0010")]
        elif eco == "PyPI" and name == "numpy":
            vulns = [{"id": "FIXTURE-SC-0005"}]          # id only: the tool fetches the record
        answer = {"vulns": vulns}
        if eco == "SwiftURL" and name == "github.com/groue/GRDB.swift" and not body.get("page_token"):
            answer["next_page_token"] = "page2"
        self._send(answer)

    def do_GET(self):
        if self.path == "/v1/vulns/FIXTURE-SC-0005":
            self._send(fixture("FIXTURE-SC-0005"))
        else:
            self.send_error(404)

    def _send(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Refresh(unittest.TestCase):
    def test_from_the_osv_api(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOSV)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        out_dir = h.tmpdir("refreshed")
        (out_dir / "SwiftURL").mkdir()
        (out_dir / "SwiftURL" / "STALE.json").write_text("{}")
        rc, out = h.run_tool("refresh-advisories", "--api", f"http://127.0.0.1:{server.server_address[1]}",
                             "--out", out_dir, "--graph-json", h.real_graph_file(), "--system-packages", SYSTEM,
                             env=LOOPBACK)
        self.assertEqual(rc, 0, out)
        files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*.json"))
        self.assertEqual(files, ["Debian-12/FIXTURE-SC-0010.json", "PyPI/FIXTURE-SC-0005.json",
                                 "SwiftURL/FIXTURE-SC-0001.json", "SwiftURL/FIXTURE-SC-0003.json"])
        names = {(q["package"]["ecosystem"], q["package"]["name"]) for q in FakeOSV.queries}
        self.assertIn(("SwiftURL", "github.com/apple/swift-asn1"), names)   # transitive, without .git
        self.assertIn(("PyPI", "safetensors"), names)
        self.assertIn(("Debian:12", "libseccomp"), names)                    # by source package
        # The refreshed folder is what deps-audit reads.
        rc, out = h.run_tool("deps-audit", "--advisories", out_dir, "--graph-json", h.real_graph_file(),
                             "--system-packages", SYSTEM)
        self.assertEqual(rc, 1, out)
        self.assertIn("FIXTURE-SC-0010", out)
        self.assertIn("FIXTURE-SC-0001", out)
        self.assertIn("FIXTURE-SC-0005", out)
        self.assertNotIn("FIXTURE-SC-0003", out)

    def test_failed_query_writes_nothing(self):
        out_dir = h.tmpdir("refresh-fail")
        rc, out = h.run_tool("refresh-advisories", "--api", "http://127.0.0.1:9", "--timeout", "2",
                             "--out", out_dir, "--graph-json", h.real_graph_file(), "--system-packages", SYSTEM,
                             env=LOOPBACK)
        self.assertEqual(rc, 1, out)
        self.assertEqual(list(out_dir.iterdir()), [])

    def test_from_a_bulk_export_zip(self):
        z = h.tmpdir("zip") / "all.zip"
        with zipfile.ZipFile(z, "w") as zf:
            for rec in (fixture("FIXTURE-SC-0002"), fixture("FIXTURE-SC-0004"), UNRELATED):
                zf.writestr(rec["id"] + ".json", json.dumps(rec))
        out_dir = h.tmpdir("refreshed-zip")
        rc, out = h.run_tool("refresh-advisories", "--from-zip", z, "--out", out_dir, "--graph-json", h.real_graph_file(),
                             "--system-packages", SYSTEM)
        self.assertEqual(rc, 0, out)
        files = sorted(p.name for p in out_dir.rglob("*.json"))
        self.assertEqual(files, ["FIXTURE-SC-0002.json", "FIXTURE-SC-0004.json"])


if __name__ == "__main__":
    unittest.main()
