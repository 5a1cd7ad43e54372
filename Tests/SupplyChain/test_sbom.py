"""The SBOM (scripts/supply-chain/sbom): a valid CycloneDX 1.5 document (checked against the
vendored schema, with the SPDX and JSF schemas it references resolved locally) that lists our
products, every Swift package with its purl, and the system libraries with Debian versions."""

import copy
import json
import shutil
import subprocess
import unittest

import helpers as h
from helpers import sc
import jsonschema_lite
import sbom
from bundled_plugins import bundled_plugins

SCHEMA = "bom-1.5.SNAPSHOT.schema.json"
_bom = {}


def generate(*extra, env=None):
    rc, out = h.run_tool("sbom", "--manifest-json", h.real_manifest_file(), "--graph-json", h.real_graph_file(),
                         "-o", h.tmpdir("sbom") / "sbom.json", *extra, env=env)
    return rc, out


def real_bom() -> dict:
    if "bom" not in _bom:
        path = h.tmpdir("sbom") / "sbom.json"
        rc, out = h.run_tool("sbom", "--manifest-json", h.real_manifest_file(), "--graph-json",
                             h.real_graph_file(), "-o", path)
        assert rc == 0, out
        _bom["bom"] = json.loads(path.read_text())
        _bom["log"] = out
    return _bom["bom"]


def validator():
    return jsonschema_lite.Validator(sc.SCHEMA_DIR, SCHEMA)


def dpkg_version(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


class SchemaValidation(unittest.TestCase):
    def test_sbom_is_valid_cyclonedx_1_5(self):
        bom = real_bom()
        errors = validator().errors(bom)
        self.assertEqual(errors, [], "\n".join(errors))
        self.assertEqual(bom["specVersion"], "1.5")
        self.assertEqual(bom["bomFormat"], "CycloneDX")

    def test_one_command_writes_it_to_stdout(self):
        p = subprocess.run(f"'{h.TOOLS / 'sbom'}' --validate > '{h.tmpdir('cmd') / 'sbom.json'}'",
                           shell=True, cwd=str(h.REPO), stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("valid CycloneDX 1.5", p.stderr)

    def test_same_result_with_the_jsonschema_package_when_installed(self):
        try:
            import jsonschema
            import referencing
        except ImportError:
            self.skipTest("the jsonschema package is not installed (the standard-library validator above is the check)")
        resources = []
        for p in sorted(sc.SCHEMA_DIR.glob("*.json")):
            doc = json.loads(p.read_text())
            res = referencing.Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT7)
            resources += [(doc["$id"], res), ("http://cyclonedx.org/schema/" + p.name, res)]
        registry = referencing.Registry().with_resources(resources)
        schema = json.loads((sc.SCHEMA_DIR / SCHEMA).read_text())
        v = jsonschema.Draft7Validator(schema, registry=registry)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(real_bom())]
        self.assertEqual(errors, [], "\n".join(errors[:10]))
        bad = copy.deepcopy(real_bom())
        bad["components"][0]["licenses"] = [{"license": {"id": "Not-A-Real-License"}}]
        self.assertTrue(list(v.iter_errors(bad)))
        self.assertTrue(validator().errors(bad))

    def test_invalid_documents_are_rejected(self):
        v = validator()
        good = real_bom()
        cases = {
            "no bomFormat": lambda b: b.pop("bomFormat"),
            "unknown top-level property": lambda b: b.update(surprise=1),
            "bad component type": lambda b: b["components"][0].update(type="gadget"),
            "bad serial number": lambda b: b.update(serialNumber="not-a-urn"),
            "bad hash": lambda b: b["components"][0].update(hashes=[{"alg": "SHA-256", "content": "xyz"}]),
            # Needs spdx.SNAPSHOT.schema.json, resolved from the local folder:
            "unknown SPDX licence id": lambda b: b["components"][0].update(licenses=[{"license": {"id": "Nope-1.0"}}]),
            # Needs jsf-0.82.SNAPSHOT.schema.json, resolved from the local folder:
            "malformed signature": lambda b: b.update(signature={"algorithm": "RS256"}),
            "bad timestamp": lambda b: b["metadata"].update(timestamp="yesterday"),
        }
        for name, mutate in cases.items():
            bad = copy.deepcopy(good)
            mutate(bad)
            self.assertTrue(v.errors(bad), f"{name}: accepted")

    def test_schema_references_resolve_locally(self):
        v = validator()
        uri, node = v.store.resolve(v.root_uri, "spdx.SNAPSHOT.schema.json")
        self.assertIn("Apache-2.0", node["enum"])
        uri, node = v.store.resolve(v.root_uri, "jsf-0.82.SNAPSHOT.schema.json#/definitions/signature")
        self.assertIn("oneOf", node)

    def test_unknown_schema_keyword_is_an_error_not_a_pass(self):
        folder = h.tmpdir("schema")
        h.write_json(folder / "s.json", {"$schema": "http://json-schema.org/draft-07/schema#",
                                         "$id": "http://example.invalid/s.json", "type": "object",
                                         "unevaluatedProperties": False})
        with self.assertRaises(jsonschema_lite.UnsupportedKeyword):
            jsonschema_lite.Validator(folder, "s.json").errors({})


class Contents(unittest.TestCase):
    def components(self):
        return real_bom()["components"]

    def test_every_swift_package_with_version_and_purl(self):
        graph = h.real_graph()
        by_purl = {c.get("purl"): c for c in self.components()}
        for pkg in graph.sorted():
            path = sc.repo_path(pkg.url)
            purl = f"pkg:swift/{path}@{pkg.version}"
            self.assertIn(purl, by_purl, pkg.identity)
            c = by_purl[purl]
            self.assertEqual(c["version"], pkg.version)
            self.assertEqual(c["externalReferences"][0]["url"], pkg.url)
            self.assertTrue(c.get("licenses"), pkg.identity)
        self.assertIn("pkg:swift/github.com/groue/GRDB.swift@" + graph.packages["grdb.swift"].version, by_purl)

    def test_products_and_targets(self):
        names = {c["bom-ref"] for c in self.components()}
        for p in ("feature-extractor", "fe-sandbox", "PluginKit", "PluginProtocol", "ManifestIdentity"):
            self.assertIn("product:" + p, names)
        for t in ("Coordinator", "PluginHost", "PluginKit", "StateStore", "SandboxLauncher"):
            self.assertIn("target:" + t, names)

    def test_every_bundled_plugin_product_carries_its_manifest_identity(self):
        plugins = bundled_plugins()
        # Both roles of every family the folders hold, not a list kept here.
        self.assertEqual({p.manifest.parent.name for p in plugins if p.role == "encoder"},
                         {d.name for d in (h.REPO / "Plugins" / "Encoders").iterdir() if (d / "plugin.json").is_file()})
        self.assertIn("decoder", {p.role for p in plugins})
        products = {c["name"]: c for c in self.components() if c["bom-ref"].startswith("product:")}
        deps = {d["ref"]: d["dependsOn"] for d in real_bom()["dependencies"]}
        for plugin in plugins:
            self.assertIn(plugin.executable, products, f"{plugin.manifest} names a product the SBOM lacks")
            props = {p["name"]: p["value"] for p in products[plugin.executable]["properties"]}
            self.assertEqual((props.get("fe:plugin-role"), props.get("fe:plugin-name"), props.get("fe:plugin-version")),
                             (plugin.role, plugin.name, plugin.version), plugin.executable)
            self.assertEqual(props.get("fe:plugin-manifest"), sc.rel(plugin.manifest, h.REPO))
            # Its target is built with the build plugin that reads that manifest.
            self.assertIn("target:ManifestIdentity", deps["target:" + props["fe:targets"]], plugin.executable)
        self.assertNotIn("fe:plugin-name", {p["name"] for p in products["feature-extractor"]["properties"]})

    def test_a_manifest_naming_no_product_is_noted(self):
        repo = h.tmpdir("plugins")
        h.write_json(repo / "Plugins" / "Encoders" / "Extra" / "plugin.json",
                     {"name": "extra", "role": "encoder", "version": "1.0.0", "executable": "fe-encoder-extra"})
        manifest = h.load_json(h.real_manifest_file())
        bom, notes = sbom.build_sbom(repo, manifest, h.real_graph(), {}, [], inspect_binaries=False)
        self.assertTrue(any("Plugins/Encoders/Extra/plugin.json" in n and "fe-encoder-extra" in n for n in notes), notes)
        self.assertIn("fe-encoder-extra", json.dumps(bom["metadata"]["properties"]))

    def test_a_manifest_without_its_identity_stops_the_sbom(self):
        repo = h.tmpdir("plugins")
        h.write_json(repo / "Plugins" / "Decoders" / "Broken" / "plugin.json", {"name": "broken", "role": "decoder"})
        with self.assertRaisesRegex(sc.SupplyChainError, r"Plugins/Decoders/Broken/plugin.json: field 'version'"):
            bundled_plugins(repo)

    @unittest.skipUnless(shutil.which("dpkg-query"), "not a Debian system")
    def test_system_libraries_with_debian_versions(self):
        debs = {c["name"]: c for c in self.components() if c.get("purl", "").startswith("pkg:deb/")}
        for pkg in ("libsqlite3-0", "libseccomp2", "libopenblas0-serial"):
            self.assertIn(pkg, debs, f"{pkg} missing; have {sorted(debs)}")
            self.assertEqual(debs[pkg]["version"], dpkg_version(pkg), pkg)
            self.assertIn(f"@{debs[pkg]['version'].replace('+', '%2B')}", debs[pkg]["purl"])
        # OpenSSL is listed exactly when a product links it.
        linked = any("libssl" in p["value"] for c in debs.values() for p in c["properties"] if p["name"] == "fe:libraries")
        self.assertEqual("libssl3" in debs, linked)

    def test_dependencies_reference_existing_components(self):
        bom = real_bom()
        refs = {c["bom-ref"] for c in bom["components"]} | {bom["metadata"]["component"]["bom-ref"]}
        self.assertTrue(bom["dependencies"])
        for d in bom["dependencies"]:
            self.assertIn(d["ref"], refs)
            for x in d["dependsOn"]:
                self.assertIn(x, refs)
        deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
        grdb = next(c["bom-ref"] for c in bom["components"] if c["name"] == "GRDB")
        self.assertIn(grdb, deps["target:StateStore"])

    def test_declared_libraries_without_a_build(self):
        rc, out = generate("--no-binaries", "--validate")
        self.assertEqual(rc, 0, out)

    def test_same_inputs_same_document(self):
        a = h.tmpdir("det") / "a.json"
        b = h.tmpdir("det") / "b.json"
        for p in (a, b):
            rc, out = h.run_tool("sbom", "--manifest-json", h.real_manifest_file(), "--graph-json",
                                 h.real_graph_file(), "--no-binaries", "-o", p, env={"SOURCE_DATE_EPOCH": "1700000000"})
            self.assertEqual(rc, 0, out)
        self.assertEqual(a.read_text(), b.read_text())
        self.assertEqual(json.loads(a.read_text())["metadata"]["timestamp"], "2023-11-14T22:13:20Z")


if __name__ == "__main__":
    unittest.main()
