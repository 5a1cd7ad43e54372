"""The pin check (scripts/supply-chain/check-pins): the real repository passes; every way of
not pinning or not reviewing a dependency fails."""

import copy
import json
import unittest
from pathlib import Path

import helpers as h
from helpers import sc


def manifest_with(mutate) -> Path:
    data = copy.deepcopy(h.load_json(h.real_manifest_file()))
    mutate(data)
    return h.write_json(h.tmpdir("manifest") / "manifest.json", data)


def first_dep(data: dict) -> dict:
    return data["dependencies"][0]["sourceControl"][0]


def check(*extra, manifest=None, graph=None):
    return h.run_tool("check-pins", "--manifest-json", manifest or h.real_manifest_file(),
                      "--graph-json", graph or h.real_graph_file(), *extra)


class RealRepository(unittest.TestCase):
    def test_real_repository_is_pinned_and_reviewed(self):
        """The check CI runs: the real Package.swift, its resolved graph (SwiftPM is run
        here), the allow-list and the Python requirements."""
        rc, out = h.run_tool("check-pins")
        print("\n" + out.rstrip())
        self.assertEqual(rc, 0, out)
        self.assertIn(": OK", out)

    def test_every_direct_dependency_uses_exact(self):
        deps = sc.manifest_dependencies(h.load_json(h.real_manifest_file()))
        self.assertTrue(deps)
        for d in deps:
            self.assertEqual(d.requirement_kind, "exact", f"{d.identity}: {d.requirement}")


class Wrapper(unittest.TestCase):
    def test_check_fails_loudly_without_python3(self):
        import subprocess
        p = subprocess.run(["/bin/bash", str(h.TOOLS / "check")], env={"PATH": "/nonexistent"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("python3 is not installed", p.stdout)
        self.assertIn("supply-chain: 0 passed, 1 failed", p.stdout)


class ManifestRequirements(unittest.TestCase):
    def assertFailsWith(self, manifest, text):
        rc, out = check(manifest=manifest)
        self.assertEqual(rc, 1, out)
        self.assertIn(text, out)

    def test_from_requirement_fails(self):
        def m(d):
            first_dep(d)["requirement"] = {"range": [{"lowerBound": "1.8.2", "upperBound": "2.0.0"}]}
        self.assertFailsWith(manifest_with(m), "not `exact:`")

    def test_branch_requirement_fails(self):
        def m(d):
            first_dep(d)["requirement"] = {"branch": ["main"]}
        self.assertFailsWith(manifest_with(m), "`branch: main`, not `exact:`")

    def test_revision_requirement_fails(self):
        def m(d):
            first_dep(d)["requirement"] = {"revision": ["0123456789abcdef0123456789abcdef01234567"]}
        self.assertFailsWith(manifest_with(m), "not `exact:`")

    def test_local_path_dependency_fails(self):
        def m(d):
            d["dependencies"].append({"fileSystem": [{"identity": "local-thing", "path": "/tmp/local-thing",
                                                      "productFilter": None}]})
        self.assertFailsWith(manifest_with(m), "local path dependency")

    def test_exact_pin_that_the_graph_does_not_honour_fails(self):
        def m(d):
            first_dep(d)["requirement"] = {"exact": ["0.0.1"]}
        self.assertFailsWith(manifest_with(m), "exact: 0.0.1 but the graph resolved")


class ResolvedGraph(unittest.TestCase):
    def test_new_transitive_dependency_fails(self):
        def g(data):
            node = h.find_node(data, "swift-asn1") or data["dependencies"][0]
            node["dependencies"].append({"identity": "left-pad-swift", "name": "left-pad-swift",
                                         "url": "https://github.com/example/left-pad-swift.git",
                                         "version": "1.0.0", "path": "/nowhere", "dependencies": []})
        rc, out = check(graph=h.graph_with(g))
        self.assertEqual(rc, 1, out)
        self.assertIn("new dependency: left-pad-swift 1.0.0", out)
        self.assertIn("not in the allow-list", out)

    def test_new_version_of_a_listed_package_fails(self):
        def g(data):
            h.find_node(data, "grdb.swift")["version"] = "7.99.0"
        rc, out = check(graph=h.graph_with(g))
        self.assertEqual(rc, 1, out)
        self.assertIn("grdb.swift: the graph resolves version 7.99.0", out)

    def test_transitive_version_change_fails(self):
        def g(data):
            def walk(n):
                for c in n.get("dependencies", []):
                    if c["identity"] == "swift-asn1":
                        c["version"] = "1.99.0"
                    walk(c)
            walk(data)
        rc, out = check(graph=h.graph_with(g))
        self.assertEqual(rc, 1, out)
        self.assertIn("swift-asn1: the graph resolves version 1.99.0", out)

    def test_same_identity_from_another_repository_fails(self):
        def g(data):
            h.find_node(data, "grdb.swift")["url"] = "https://github.com/someone-else/GRDB.swift"
        rc, out = check(graph=h.graph_with(g))
        self.assertEqual(rc, 1, out)
        self.assertIn("a different repository is a different package", out)

    def test_package_resolved_is_accepted_as_the_graph(self):
        graph = h.real_graph()
        pins = [{"identity": p.identity, "kind": "remoteSourceControl", "location": p.url,
                 "state": {"revision": "0" * 40, "version": p.version}} for p in graph.sorted()]
        resolved = h.write_json(h.tmpdir("resolved") / "Package.resolved", {"pins": pins, "version": 3})
        rc, out = check(graph=resolved)
        self.assertEqual(rc, 0, out)
        pins.append({"identity": "extra", "kind": "remoteSourceControl",
                     "location": "https://github.com/example/extra", "state": {"revision": "1" * 40, "version": "0.1.0"}})
        h.write_json(resolved, {"pins": pins, "version": 3})
        rc, out = check(graph=resolved)
        self.assertEqual(rc, 1, out)
        self.assertIn("new dependency: extra 0.1.0", out)

    def test_propose_prints_an_unreviewed_entry(self):
        def g(data):
            data["dependencies"].append({"identity": "newpkg", "name": "newpkg", "url": "https://github.com/example/newpkg",
                                         "version": "2.0.0", "path": "/nowhere", "dependencies": []})
        rc, out = h.run_tool("check-pins", "--propose", "--manifest-json", h.real_manifest_file(),
                             "--graph-json", h.graph_with(g))
        self.assertEqual(rc, 0, out)
        entries = json.loads(out)
        self.assertEqual([e["identity"] for e in entries], ["newpkg"])
        self.assertEqual(entries[0]["reviewed_by"], "")


class AllowList(unittest.TestCase):
    def allowlist_with(self, mutate) -> Path:
        data = h.load_json(sc.ALLOWLIST)
        mutate(data)
        return h.write_json(h.tmpdir("allow") / "allowlist.json", data)

    def test_entry_without_reviewer_fails(self):
        def m(d):
            d["swift"][0]["reviewed_by"] = ""
        rc, out = check("--allowlist", self.allowlist_with(m))
        self.assertEqual(rc, 1, out)
        self.assertIn("'reviewed_by' is missing or empty", out)

    def test_placeholder_reviewer_fails(self):
        def m(d):
            d["swift"][0]["reviewed_by"] = "TODO"
        rc, out = check("--allowlist", self.allowlist_with(m))
        self.assertEqual(rc, 1, out)
        self.assertIn("a person must review it first", out)

    def test_removed_entry_fails(self):
        def m(d):
            d["swift"] = [e for e in d["swift"] if e["identity"] != "swift-asn1"]
        rc, out = check("--allowlist", self.allowlist_with(m))
        self.assertEqual(rc, 1, out)
        self.assertIn("new dependency: swift-asn1", out)

    def test_entry_no_longer_in_the_graph_is_only_a_warning(self):
        def m(d):
            d["swift"].append(dict(d["swift"][0], identity="gone-package", url="https://github.com/example/gone",
                                   version="1.0.0"))
        rc, out = check("--allowlist", self.allowlist_with(m))
        self.assertEqual(rc, 0, out)
        self.assertIn("warning: allow-list entry gone-package 1.0.0 is not in the resolved graph", out)

    def test_every_entry_has_the_required_fields(self):
        data = h.load_json(sc.ALLOWLIST)
        for e in data["swift"]:
            for key in ("identity", "url", "version", "reviewed_by", "note", "license"):
                self.assertTrue(str(e.get(key, "")).strip(), f"{e.get('identity')}: {key}")


class PythonPins(unittest.TestCase):
    def req(self, text: str) -> Path:
        p = h.tmpdir("req") / "requirements.txt"
        p.write_text(text)
        return p

    HASH = "--hash=sha256:" + "a" * 64

    def test_real_requirements_are_pinned_with_hashes(self):
        reqs, problems = sc.parse_requirements(sc.PY_REQUIREMENTS)
        self.assertEqual(problems, [])
        pinned = sorted(sc.pep503(r.name) for r in reqs)
        self.assertEqual(pinned, sorted(sc.pep503(e["name"]) for e in sc.load_allowlist(sc.ALLOWLIST)["python"]))
        for name in ("numpy", "safetensors", "distributed", "dask"):  # interop tests, benchmark, cluster driver
            self.assertIn(name, pinned)
        for r in reqs:
            self.assertTrue(r.hashes, r.name)

    def test_unpinned_requirement_fails(self):
        p = self.req(f"numpy>=2.0 {self.HASH}\nsafetensors==0.8.0 {self.HASH}\n")
        rc, out = check("--requirements", p)
        self.assertEqual(rc, 1, out)
        self.assertIn("numpy is not pinned with `==VERSION`", out)

    def test_requirement_without_hash_fails(self):
        reqs = sc.parse_requirements(sc.PY_REQUIREMENTS)[0]
        lines = [f"{r.name}=={r.version}" + ("" if r.name == "numpy" else f" {self.HASH}") for r in reqs]
        rc, out = check("--requirements", self.req("\n".join(lines) + "\n"))
        self.assertEqual(rc, 1, out)
        self.assertIn("numpy has no --hash", out)

    def test_version_other_than_reviewed_fails(self):
        p = self.req(f"numpy==1.26.4 {self.HASH}\nsafetensors==0.8.0 {self.HASH}\n")
        rc, out = check("--requirements", p)
        self.assertEqual(rc, 1, out)
        self.assertIn("numpy==1.26.4 but the allow-list reviewed", out)

    def test_new_python_import_fails(self):
        repo = h.tmpdir("pyrepo")
        (repo / "tool.py").write_text("import json\nimport numpy\nimport requests  # new!\nfrom . import x\n")
        rc, out = check("--repo", repo, "--allowlist", sc.ALLOWLIST, "--requirements", sc.PY_REQUIREMENTS)
        self.assertEqual(rc, 1, out)
        self.assertIn("new Python dependency: `requests`", out)
        self.assertNotIn("`numpy`", out)
        self.assertNotIn("`json`", out)


if __name__ == "__main__":
    unittest.main()
