"""The offline vulnerability scan (scripts/supply-chain/deps-audit) against fixture advisories
(Tests/SupplyChain/fixtures/advisories: made up, FIXTURE-SC-* ids) and the real graph."""

import json
import shutil
import subprocess
import unittest
from pathlib import Path

import helpers as h
from helpers import sc
import osv


def our_versions() -> dict:
    values = {}
    for p in h.real_graph().sorted():
        values[f"{p.identity}:version"] = p.version
        values[f"{p.identity}:next-minor"] = h.next_minor(p.version)
    for r in sc.parse_requirements(sc.PY_REQUIREMENTS)[0]:
        values[f"{sc.pep503(r.name)}:version"] = r.version
        values[f"{sc.pep503(r.name)}:next-minor"] = h.next_minor(r.version)
    return values


def advisories(*ids) -> Path:
    """A folder holding the named fixtures, versions filled in from our real graph."""
    d = h.tmpdir("advisories")
    values = our_versions()
    for i in ids:
        text = h.fill_template(h.FIXTURES / "advisories" / f"{i}.json", values)
        (d / f"{i}.json").write_text(text)
    return d


SYSTEM = h.FIXTURES / "system-packages.json"


def audit(folder: Path, *extra, policy=None, ignore=None, env=None):
    """deps-audit with the real graph and pins, and the made-up Debian machine of the fixtures."""
    args = ["--advisories", folder, "--graph-json", h.real_graph_file(), "--system-packages", SYSTEM]
    if policy is not None:
        args += ["--policy", h.write_json(h.tmpdir("policy") / "policy.json", policy)]
    if ignore is not None:
        args += ["--ignore-file", h.write_json(h.tmpdir("ignore") / "ignore.json", {"ignore": ignore})]
    return h.run_tool("deps-audit", *args, *extra, env=env)


def version_of(identity: str) -> str:
    return h.real_graph().packages[identity].version


class RealAdvisories(unittest.TestCase):
    def test_real_advisories_folder_scans_clean(self):
        """What CI runs: the real graph and pinned Python packages against SupplyChain/advisories."""
        rc, out = h.run_tool("deps-audit", "--graph-json", h.real_graph_file())
        print("\n" + out.rstrip())
        self.assertEqual(rc, 0, out)

    def test_real_folder_holds_no_fixture(self):
        for p in sc.ADVISORIES_DIR.rglob("*.json"):
            self.assertNotIn("FIXTURE", p.read_text(), p)


class Matching(unittest.TestCase):
    def test_fixture_for_our_grdb_version_is_reported_and_fails(self):
        rc, out = audit(advisories("FIXTURE-SC-0001"))
        self.assertEqual(rc, 1, out)
        v = version_of("grdb.swift")
        self.assertIn(f"FAIL: grdb.swift {v} [SwiftURL]: FIXTURE-SC-0001", out)
        self.assertIn("severity HIGH (CVSS 7.5)", out)
        self.assertIn(f"fixed in: {h.next_minor(v)}", out)

    def test_transitive_package_matched_by_versions_list(self):
        rc, out = audit(advisories("FIXTURE-SC-0002"))
        self.assertEqual(rc, 1, out)
        self.assertIn(f"swift-asn1 {version_of('swift-asn1')} [SwiftURL]: FIXTURE-SC-0002 (FIXTURE-ALIAS-0002)", out)
        self.assertIn("severity MODERATE", out)
        self.assertIn("fixed in: no fixed version published", out)

    def test_advisory_for_versions_we_do_not_use_is_not_reported(self):
        rc, out = audit(advisories("FIXTURE-SC-0003"))
        self.assertEqual(rc, 0, out)
        self.assertNotIn("FIXTURE-SC-0003", out)
        self.assertIn("0 findings", out)

    def test_withdrawn_advisory_is_not_reported(self):
        rc, out = audit(advisories("FIXTURE-SC-0006"))
        self.assertEqual(rc, 0, out)
        self.assertNotIn("FIXTURE-SC-0006", out)

    def test_pypi_advisory_for_our_numpy_pin(self):
        rc, out = audit(advisories("FIXTURE-SC-0005"))
        self.assertEqual(rc, 1, out)
        self.assertIn("numpy", out)
        self.assertIn("[PyPI]: FIXTURE-SC-0005", out)
        self.assertIn("severity CRITICAL (CVSS 9.8)", out)
        rc, out = audit(advisories("FIXTURE-SC-0005"), "--no-python")
        self.assertEqual(rc, 0, out)

    def test_unreadable_advisory_fails_instead_of_being_skipped(self):
        d = advisories("FIXTURE-SC-0003")
        (d / "broken.json").write_text("{not json")
        rc, out = audit(d)
        self.assertEqual(rc, 1, out)
        self.assertIn("broken.json: not readable as JSON", out)


class DebianPackages(unittest.TestCase):
    def test_debian_advisory_for_our_source_package_is_reported_and_fails(self):
        rc, out = audit(advisories("FIXTURE-SC-0010"))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL: libsqlite3-0 (source sqlite3) 3.40.1-2+deb12u2 [Debian:12]: FIXTURE-SC-0010", out)
        self.assertIn("severity MODERATE", out)
        self.assertIn("fixed in: 3.40.1-2+deb12u3", out)
        self.assertIn("+ 2 Debian packages", out)

    def test_debian_versions_we_are_past_and_other_releases_are_not_reported(self):
        rc, out = audit(advisories("FIXTURE-SC-0011"))
        self.assertEqual(rc, 0, out)
        self.assertNotIn("FIXTURE-SC-0011", out)
        self.assertIn("0 findings", out)

    def test_this_machines_linked_libraries_are_found(self):
        """Without --system-packages: the Debian packages owning the libraries the build links."""
        if osv_release() != "debian":
            self.skipTest("not a Debian system: system packages are not scanned here")
        rc, out = h.run_tool("deps-audit", "--dump-system-packages", "--graph-json", h.real_graph_file())
        self.assertEqual(rc, 0, out)
        found = {p["name"]: p for p in json.loads(out[out.index("["):out.rindex("]") + 1])}
        self.assertTrue({"sqlite3", "libseccomp", "openblas"} <= set(found), out)
        for name, p in found.items():
            self.assertTrue(p["ecosystem"].startswith("Debian:"), p)
            sc.debian_key(p["version"])          # a valid Debian version
        rc, out = h.run_tool("deps-audit", "--advisories", advisories(), "--graph-json", h.real_graph_file())
        self.assertEqual(rc, 0, out)
        self.assertIn("system packages: ", out)
        self.assertIn(f"+ {len(found)} Debian packages", out)

    def test_debian_order_agrees_with_dpkg(self):
        if not shutil.which("dpkg"):
            self.skipTest("dpkg is missing")
        versions = ["1.0", "1.0~rc1", "1.0-1", "1.0-1~bpo1", "1:0.9", "0.9", "1.0+dfsg-1", "1.0.1", "1.0a",
                    "1.0-0", "3.40.1-2+deb12u2", "3.40.1-2+deb12u2~pre1", "2.5.4-1+b1", "1.0~~", "1.00", "9.10", "9.9"]
        for a in versions:
            for b in versions:
                ours = sc.debian_compare(a, b)
                lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
                eq = subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0
                self.assertEqual((ours > 0) - (ours < 0), -1 if lt else 0 if eq else 1, f"{a} vs {b}")

    def test_malformed_debian_versions_are_refused(self):
        for bad in ["", "a1.0", "1.0-", "x:1.0", "1.0 -1", "1.0-1_2"]:
            with self.assertRaises(sc.VersionError, msg=bad):
                sc.debian_key(bad)


def osv_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("ID="):
                return line[3:].strip().strip('"')
    except OSError:
        pass
    return ""


class Threshold(unittest.TestCase):
    def test_low_finding_is_reported_but_passes_the_default_threshold(self):
        rc, out = audit(advisories("FIXTURE-SC-0004"))
        self.assertEqual(rc, 0, out)
        self.assertIn("below threshold: swift-argument-parser", out)
        self.assertIn("FIXTURE-SC-0004", out)
        self.assertIn("severity LOW (CVSS 2.6)", out)

    def test_low_finding_fails_when_the_threshold_is_low(self):
        rc, out = audit(advisories("FIXTURE-SC-0004"), "--fail-on", "LOW")
        self.assertEqual(rc, 1, out)
        rc, out = audit(advisories("FIXTURE-SC-0004"), policy={"fail_on": "LOW"})
        self.assertEqual(rc, 1, out)

    def test_threshold_by_level_and_by_score(self):
        folder = advisories("FIXTURE-SC-0001")          # HIGH, CVSS 7.5
        self.assertEqual(audit(folder, "--fail-on", "CRITICAL")[0], 0)
        self.assertEqual(audit(folder, "--fail-on", "HIGH")[0], 1)
        self.assertEqual(audit(folder, "--fail-on", "7.5")[0], 1)
        self.assertEqual(audit(folder, "--fail-on", "7.6")[0], 0)
        folder = advisories("FIXTURE-SC-0002")          # MODERATE, no score
        self.assertEqual(audit(folder, "--fail-on", "HIGH")[0], 0)
        self.assertEqual(audit(folder, "--fail-on", "MODERATE")[0], 1)
        self.assertEqual(audit(folder, "--fail-on", "4.0")[0], 1)

    def test_bad_threshold_stops_the_scan(self):
        rc, out = audit(advisories(), "--fail-on", "SEVERE")
        self.assertEqual(rc, 2, out)

    def test_unknown_severity_counts_as_critical_by_default(self):
        rc, out = audit(advisories("FIXTURE-SC-0007"))
        self.assertEqual(rc, 1, out)
        self.assertIn("UNKNOWN (counted as CRITICAL)", out)
        rc, out = audit(advisories("FIXTURE-SC-0007"), policy={"fail_on": "MODERATE", "unknown_severity": "LOW"})
        self.assertEqual(rc, 0, out)

    def test_reviewed_exception_until_it_expires(self):
        folder = advisories("FIXTURE-SC-0001")
        ign = {"id": "FIXTURE-SC-0001", "package": "grdb.swift", "reason": "test", "reviewed_by": "tests",
               "expires": "2999-01-01"}
        rc, out = audit(folder, ignore=[ign])
        self.assertEqual(rc, 0, out)
        self.assertIn("ignored until 2999-01-01", out)
        rc, out = audit(folder, ignore=[dict(ign, expires="2000-01-01")])
        self.assertEqual(rc, 1, out)
        self.assertIn("expired on 2000-01-01", out)
        rc, out = audit(folder, ignore=[dict(ign, reason="")])
        self.assertEqual(rc, 2, out)


class Versions(unittest.TestCase):
    def test_cvss3_base_scores(self):
        cases = {
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H": 7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N": 5.3,
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N": 6.4,
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H": 7.8,
            "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N": 2.6,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
            "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N": 0.0,
        }
        for vector, score in cases.items():
            self.assertEqual(osv.cvss3_base_score(vector), score, vector)

    def test_cvss2_base_score(self):
        self.assertEqual(osv.cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5)
        self.assertEqual(osv.cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N"), 4.3)

    def test_semver_order(self):
        order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                 "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "2.101.3", "2.102.0", "10.0.0"]
        keys = [sc.semver_key(v) for v in order]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(sc.semver_key("v1.2.3"), sc.semver_key("1.2.3+build.5"))

    def test_pep440_order(self):
        order = ["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1",
                 "1.1", "2.4.0rc1", "2.4.6", "1!0.1"]
        keys = [sc.pep440_key(v) for v in order]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(sc.pep440_key("1.0.0"), sc.pep440_key("1.0"))

    def test_ranges(self):
        def affected(version, events, eco="SwiftURL", typ="SEMVER"):
            return osv.in_range(version, {"type": typ, "events": events}, eco)[0]
        self.assertTrue(affected("2.5.0", [{"introduced": "0"}, {"fixed": "2.6.0"}]))
        self.assertFalse(affected("2.6.0", [{"introduced": "0"}, {"fixed": "2.6.0"}]))
        self.assertTrue(affected("2.6.0", [{"introduced": "0"}, {"last_affected": "2.6.0"}]))
        self.assertFalse(affected("2.6.1", [{"introduced": "0"}, {"last_affected": "2.6.0"}]))
        self.assertFalse(affected("1.9.0", [{"introduced": "2.0.0"}, {"fixed": "2.1.0"}]))
        events = [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}, {"introduced": "2.0.0"}, {"fixed": "2.0.5"}]
        self.assertTrue(affected("1.1.9", events))
        self.assertFalse(affected("1.5.0", events))
        self.assertTrue(affected("2.0.4", events))
        self.assertFalse(affected("2.0.5", events))
        self.assertTrue(affected("3.0.0", [{"introduced": "0"}]))
        self.assertFalse(affected("3.0.0", [{"introduced": "0"}, {"limit": "2.0.0"}]))
        self.assertTrue(affected("2.4.6", [{"introduced": "2.4.0rc1"}, {"fixed": "2.5.0"}], "PyPI", "ECOSYSTEM"))
        self.assertFalse(affected("2.4.0b1", [{"introduced": "2.4.0rc1"}], "PyPI", "ECOSYSTEM"))
        self.assertEqual(osv.in_range("2.5.0", {"type": "GIT", "events": [{"introduced": "0"}]}, "SwiftURL"), (False, []))

    def test_repository_names_are_compared_normalised(self):
        for name in ("github.com/apple/swift-nio", "https://github.com/apple/swift-nio.git",
                     "git@github.com:apple/swift-nio.git", "HTTPS://GitHub.com/Apple/swift-nio/"):
            self.assertEqual(sc.normalize_url(name), "github.com/apple/swift-nio", name)
        self.assertEqual(sc.swift_purl("https://github.com/groue/GRDB.swift", "7.10.0"),
                         "pkg:swift/github.com/groue/GRDB.swift@7.10.0")


if __name__ == "__main__":
    unittest.main()
