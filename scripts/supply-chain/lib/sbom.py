"""CycloneDX 1.5 JSON SBOM of the build: our products and targets, every Swift package of the
resolved graph, the system libraries the products link (with their Debian package versions),
the Swift runtime, and (scope "excluded") the pinned Python packages used by tests only."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import supplychain as sc
from bundled_plugins import bundled_plugins

PRODUCT_PREFIX = "product:"
TARGET_PREFIX = "target:"
APP_REF = "app:feature-extractor"


def _run(args: List[str]) -> Tuple[int, str]:
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return p.returncode, p.stdout
    except FileNotFoundError:
        return 127, ""


# --------------------------------------------------------------------------- system libraries

class SystemLibraries:
    """Maps shared libraries to the Debian packages that own them (dpkg-query)."""

    def __init__(self) -> None:
        self._ldconfig: Optional[List[Tuple[str, str, str]]] = None
        self.have_dpkg = shutil.which("dpkg-query") is not None
        self._owner_cache: Dict[str, Optional[Tuple[str, str]]] = {}

    def ldconfig(self) -> List[Tuple[str, str, str]]:
        if self._ldconfig is None:
            self._ldconfig = []
            for cmd in (["ldconfig", "-p"], ["/sbin/ldconfig", "-p"]):
                rc, out = _run(cmd)
                if rc == 0:
                    for line in out.splitlines()[1:]:
                        m = re.match(r"\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)", line)
                        if m:
                            self._ldconfig.append((m.group(1), m.group(2), m.group(3)))
                    break
        return self._ldconfig

    def find_link_name(self, link: str) -> Optional[str]:
        """The runtime file of `-l<link>`: libX.so.N preferred over the dev symlink libX.so."""
        machine = platform.machine()
        flag = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(machine, "")
        cands = [(so, path) for so, flags, path in self.ldconfig()
                 if (so == f"lib{link}.so" or so.startswith(f"lib{link}.so.")) and (not flag or flag in flags)]
        cands.sort(key=lambda c: (c[0] == f"lib{link}.so", c[0]))
        return cands[0][1] if cands else None

    def owner(self, path: str) -> Optional[Tuple[str, str]]:
        """(package, architecture) owning the file, trying the merged-/usr aliases."""
        if not self.have_dpkg:
            return None
        if path in self._owner_cache:
            return self._owner_cache[path]
        tries = []
        for p in (path, os.path.realpath(path)):
            tries.append(p)
            if p.startswith("/usr/lib/"):
                tries.append(p[4:])
            elif p.startswith("/lib/") or p.startswith("/lib64/"):
                tries.append("/usr" + p)
        result = None
        for p in dict.fromkeys(tries):
            rc, out = _run(["dpkg-query", "-S", p])
            if rc == 0 and out.strip():
                first = out.strip().splitlines()[0]
                pkgs = first.rsplit(": ", 1)[0]
                pkg = pkgs.split(",")[0].strip()
                name, _, arch = pkg.partition(":")
                result = (name, arch)
                break
        self._owner_cache[path] = result
        return result

    def version(self, package: str, arch: str = "") -> Optional[str]:
        if not self.have_dpkg:
            return None
        rc, out = _run(["dpkg-query", "-W", "-f", "${Version}", f"{package}:{arch}" if arch else package])
        if rc != 0 or not out.strip():
            rc, out = _run(["dpkg-query", "-W", "-f", "${Version}", package])
        return out.strip() if rc == 0 and out.strip() else None


def ldd(binary: Path) -> List[Tuple[str, Optional[str]]]:
    """(soname, resolved path or None) of every library the binary loads (the closure)."""
    rc, out = _run(["ldd", str(binary)])
    libs = []
    if rc != 0:
        return libs
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"(\S+)\s+=>\s+(not found|\S+)", line)
        if m:
            libs.append((m.group(1), None if m.group(2) == "not found" else m.group(2)))
            continue
        m = re.match(r"(/\S+)\s+\(0x", line)          # the loader
        if m:
            libs.append((os.path.basename(m.group(1)), m.group(1)))
    return [l for l in libs if not l[0].startswith("linux-vdso") and not l[0].startswith("linux-gate")]


def os_release() -> Tuple[str, str]:
    ident, version = "linux", ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            k, _, v = line.partition("=")
            v = v.strip().strip('"')
            if k == "ID":
                ident = v
            elif k == "VERSION_ID":
                version = v
    except OSError:
        pass
    return ident, version


def deb_purl(name: str, version: str, arch: str) -> str:
    distro_id, distro_version = os_release()
    q = [f"arch={arch}"] if arch else []
    if distro_version:
        q.append(f"distro={distro_id}-{distro_version}")
    return f"pkg:deb/{distro_id}/{sc._purl_quote(name)}@{sc._purl_quote(version)}" + ("?" + "&".join(q) if q else "")


def swift_toolchain() -> Tuple[Optional[str], Optional[Path]]:
    swift = shutil.which("swift")
    if not swift:
        return None, None
    rc, out = _run([swift, "--version"])
    m = re.search(r"Swift version (\S+)", out)
    libdir = Path(os.path.realpath(swift)).parent.parent / "lib" / "swift" / "linux"
    return (m.group(1) if m else None), (libdir if libdir.is_dir() else None)


# --------------------------------------------------------------------------- the BOM

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _prop(name: str, value: str) -> dict:
    return {"name": name, "value": value}


def declared_links(repo: Path, manifest: dict, graph: sc.Graph) -> Dict[str, Set[str]]:
    """{link name: {bom-ref that declares it}} from our targets' linkerSettings and system
    library module maps, and the module maps of the Swift packages in the graph."""
    found: Dict[str, Set[str]] = {}
    for t in manifest.get("targets", []):
        ref = TARGET_PREFIX + t["name"]
        for s in t.get("settings", []):
            kind = s.get("kind", {})
            if "linkedLibrary" in kind:
                found.setdefault(kind["linkedLibrary"].get("_0", ""), set()).add(ref)
        if t.get("type") == "system":
            mm = repo / (t.get("path") or f"Sources/{t['name']}") / "module.modulemap"
            if mm.is_file():
                for link in re.findall(r'^\s*link\s+"([^"]+)"', mm.read_text(), re.M):
                    found.setdefault(link, set()).add(ref)
    for pkg in graph.sorted():
        if not pkg.path or not Path(pkg.path).is_dir():
            continue
        for mm in sorted(Path(pkg.path).glob("Sources/**/module.modulemap")):
            for link in re.findall(r'^\s*link\s+"([^"]+)"', mm.read_text(errors="replace"), re.M):
                found.setdefault(link, set()).add(pkg.purl)
    found.pop("", None)
    return found


def product_binaries(repo: Path, manifest: dict, bin_path: Optional[Path]) -> Tuple[Optional[Path], Dict[str, Path]]:
    candidates = [bin_path] if bin_path else [repo / ".build" / "release", repo / ".build" / "debug"]
    for d in candidates:
        if d and d.is_dir():
            found = {}
            for p in manifest.get("products", []):
                if "executable" in p.get("type", {}):
                    b = d / p["name"]
                    if b.is_file() and os.access(b, os.X_OK):
                        found[p["name"]] = b
            if found:
                return d, found
    return None, {}


def mark_plugin_products(repo: Path, components: List[dict]) -> List[str]:
    """Marks each product that a bundled plugin's manifest names as its executable with the
    plugin's identity (role, name, version, manifest); returns notes for manifests naming no product."""
    products = {c["name"]: c for c in components if c["bom-ref"].startswith(PRODUCT_PREFIX)}
    notes = []
    for plugin in bundled_plugins(repo):
        comp = products.get(plugin.executable)
        if comp is None:
            notes.append(f"{sc.rel(plugin.manifest, repo)} names the executable {plugin.executable}, "
                         f"which Package.swift has no product for")
            continue
        comp["description"] = f"feature-extractor {plugin.role} plugin '{plugin.name}' {plugin.version}"
        comp["properties"] += [_prop("fe:plugin-role", plugin.role), _prop("fe:plugin-name", plugin.name),
                               _prop("fe:plugin-version", plugin.version),
                               _prop("fe:plugin-manifest", sc.rel(plugin.manifest, repo))]
    return notes


def build_sbom(repo: Path, manifest: dict, graph: sc.Graph, allow: dict,
               requirements: List[sc.PyRequirement], bin_path: Optional[Path] = None,
               app_version: Optional[str] = None, timestamp: Optional[str] = None,
               inspect_binaries: bool = True) -> Tuple[dict, List[str]]:
    notes: List[str] = []
    components: List[dict] = []
    deps: Dict[str, List[str]] = {}

    def depend(ref: str, on: str) -> None:
        lst = deps.setdefault(ref, [])
        if on not in lst and on != ref:
            lst.append(on)

    license_of = {str(e.get("identity", "")).lower(): e.get("license") for e in allow.get("swift", [])}

    # Our products and targets.
    targets = {t["name"]: t for t in manifest.get("targets", [])}
    products = manifest.get("products", [])
    shipped: Set[str] = set()
    stack = [n for p in products for n in p.get("targets", [])]
    while stack:
        n = stack.pop()
        if n in shipped or n not in targets:
            continue
        shipped.add(n)
        for d in targets[n].get("dependencies", []):
            kind, val = next(iter(d.items()))
            if kind in ("byName", "target") and val[0] in targets:
                stack.append(val[0])

    bin_dir, binaries = (None, {})
    if inspect_binaries:
        bin_dir, binaries = product_binaries(repo, manifest, bin_path)
    if not binaries:
        notes.append("no built products found (.build/release or .build/debug): system libraries are the "
                     "declared ones (module maps, linkerSettings), not read from binaries")

    for p in products:
        ref = PRODUCT_PREFIX + p["name"]
        ptype = next(iter(p.get("type", {"library": None})))
        comp = {"type": "application" if ptype == "executable" else "library", "bom-ref": ref,
                "name": p["name"], "description": f"Swift {ptype} product of {manifest.get('name')}",
                "properties": [_prop("fe:kind", "swift-product"), _prop("fe:targets", ", ".join(p.get("targets", [])))]}
        if app_version:
            comp["version"] = app_version
        if p["name"] in binaries:
            b = binaries[p["name"]]
            comp["hashes"] = [{"alg": "SHA-256", "content": _sha256(b)}]
            comp["properties"].append(_prop("fe:binary", sc.rel(b, repo)))
        components.append(comp)
        depend(APP_REF, ref)
        for t in p.get("targets", []):
            depend(ref, TARGET_PREFIX + t)
    notes += mark_plugin_products(repo, components)

    pkg_by_name = {}
    for pkg in graph.sorted():
        pkg_by_name[pkg.identity.lower()] = pkg
        pkg_by_name[pkg.name.lower()] = pkg
    for name, t in sorted(targets.items()):
        ref = TARGET_PREFIX + name
        ttype = t.get("type", "regular")
        comp = {"type": "application" if ttype == "executable" else "library", "bom-ref": ref, "name": name,
                "scope": "required" if name in shipped else "excluded",
                "description": f"Swift {ttype} target" + ("" if name in shipped else " (tests only, not shipped)"),
                "properties": [_prop("fe:kind", "swift-target"), _prop("fe:target-type", ttype),
                               _prop("fe:path", t.get("path") or (f"Tests/{name}" if ttype == "test" else f"Sources/{name}"))]}
        if app_version:
            comp["version"] = app_version
        components.append(comp)
        for d in t.get("dependencies", []):
            kind, val = next(iter(d.items()))
            if kind in ("byName", "target") and val[0] in targets:
                depend(ref, TARGET_PREFIX + val[0])
            elif kind == "product" and len(val) > 1 and val[1] and val[1].lower() in pkg_by_name:
                depend(ref, pkg_by_name[val[1].lower()].purl)
            elif kind == "byName" and val[0].lower() in pkg_by_name:
                depend(ref, pkg_by_name[val[0].lower()].purl)
            else:
                notes.append(f"target {name}: dependency {val} not found in the graph")
        # A build-tool plugin generates part of the target's code (ManifestIdentity: its identity).
        for u in t.get("pluginUsages") or []:
            plugin = (u.get("plugin") or [None])[0]
            if plugin in targets:
                depend(ref, TARGET_PREFIX + plugin)

    # Swift packages.
    for pkg in graph.sorted():
        comp = {"type": "library", "bom-ref": pkg.purl, "name": pkg.name, "version": pkg.version,
                "purl": pkg.purl, "scope": "required",
                "externalReferences": [{"type": "vcs", "url": pkg.url}],
                "properties": [_prop("fe:kind", "swift-package"), _prop("fe:identity", pkg.identity),
                               _prop("fe:required-by", ", ".join("Package.swift" if p == "root" else p for p in pkg.parents))]}
        lic = license_of.get(pkg.identity.lower())
        if lic:
            comp["licenses"] = [{"license": {"id": lic}}]
        components.append(comp)
        for child in pkg.dependencies:
            depend(pkg.purl, graph.packages[child].purl)

    # System libraries: declared, then observed in the binaries.
    syslibs = SystemLibraries()
    deb_components: Dict[str, dict] = {}

    def deb_component(path: str, soname: str) -> Optional[str]:
        owner = syslibs.owner(path)
        if owner is None:
            return None
        name, arch = owner
        ref_key = f"{name}:{arch}"
        if ref_key not in deb_components:
            version = syslibs.version(name, arch) or ""
            purl = deb_purl(name, version, arch)
            deb_components[ref_key] = {
                "type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl,
                "scope": "required", "description": f"Debian package {name} ({arch})",
                "properties": [_prop("fe:kind", "debian-package")], "_sonames": [], "_declared": set(), "_linked": set()}
        c = deb_components[ref_key]
        if soname not in c["_sonames"]:
            c["_sonames"].append(soname)
        return c["bom-ref"]

    for link, refs in sorted(declared_links(repo, manifest, graph).items()):
        path = syslibs.find_link_name(link)
        ref = deb_component(path, os.path.basename(path)) if path else None
        if ref is None:
            notes.append(f"declared library -l{link} ({', '.join(sorted(refs))}) was not found on this machine "
                         f"or is not from a Debian package")
            continue
        deb = next(c for c in deb_components.values() if c["bom-ref"] == ref)
        deb["_declared"].add(f"-l{link} ({', '.join(sorted(refs))})")
        for r in refs:
            depend(r, ref)

    swift_version, swift_libdir = swift_toolchain()
    runtime_ref = None
    runtime_libs: List[str] = []
    for pname, binary in sorted(binaries.items()):
        pref = PRODUCT_PREFIX + pname
        for soname, path in ldd(binary):
            if path is None:
                notes.append(f"{pname}: {soname} not found by the loader")
                continue
            real = os.path.realpath(path)
            if (swift_libdir and real.startswith(str(swift_libdir.resolve()) + os.sep)) or "/lib/swift/linux/" in real:
                if runtime_ref is None:
                    runtime_ref = f"swift-runtime@{swift_version or 'unknown'}"
                if soname not in runtime_libs:
                    runtime_libs.append(soname)
                depend(pref, runtime_ref)
                continue
            ref = deb_component(path, soname)
            if ref is None:
                notes.append(f"{pname}: {soname} ({real}) belongs to no Debian package")
                continue
            deb = next(c for c in deb_components.values() if c["bom-ref"] == ref)
            deb["_linked"].add(pname)
            depend(pref, ref)

    for c in sorted(deb_components.values(), key=lambda c: c["name"]):
        c["properties"].append(_prop("fe:libraries", ", ".join(sorted(c.pop("_sonames")))))
        declared, linked = sorted(c.pop("_declared")), sorted(c.pop("_linked"))
        evidence = ([f"declared: {', '.join(declared)}"] if declared else []) + \
                   ([f"linked by: {', '.join(linked)}"] if linked else [])
        c["properties"].append(_prop("fe:evidence", "; ".join(evidence)))
        components.append(c)
    if runtime_ref:
        components.append({
            "type": "library", "bom-ref": runtime_ref, "name": "swift-runtime",
            "version": swift_version or "unknown", "scope": "required",
            "description": "Swift runtime libraries of the toolchain used for the build (swift.org toolchain, not a Debian package)",
            "licenses": [{"license": {"id": "Apache-2.0"}}],
            "properties": [_prop("fe:kind", "swift-toolchain-runtime"),
                           _prop("fe:libraries", ", ".join(sorted(runtime_libs))),
                           _prop("fe:path", str(swift_libdir) if swift_libdir else "")]})

    # Python packages: tests and benchmarks only.
    for r in requirements:
        purl = f"pkg:pypi/{sc.pep503(r.name)}@{sc._purl_quote(r.version)}"
        components.append({"type": "library", "bom-ref": purl, "name": r.name, "version": r.version,
                           "purl": purl, "scope": "excluded",
                           "description": "Python package for interoperability tests and benchmarks; not part of the build",
                           "properties": [_prop("fe:kind", "python-package"),
                                          _prop("fe:pinned-in", "SupplyChain/python-requirements.txt"),
                                          _prop("fe:allowed-file-hashes", str(len(r.hashes)))]})

    refs = {APP_REF} | {c["bom-ref"] for c in components}
    for ref, on in sorted(deps.items()):
        missing = [x for x in [ref] + on if x not in refs]
        if missing:
            notes.append(f"dependency refs without a component: {missing}")

    app = {"type": "application", "bom-ref": APP_REF, "name": manifest.get("name", "feature-extractor"),
           "description": "Trains autoencoders on time series and writes each window's features; plugins run sandboxed"}
    if app_version:
        app["version"] = app_version
    if timestamp is None:
        sde = os.environ.get("SOURCE_DATE_EPOCH")
        moment = _dt.datetime.fromtimestamp(int(sde), _dt.timezone.utc) if sde else _dt.datetime.now(_dt.timezone.utc)
        timestamp = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    props = [_prop("fe:resolved-graph", graph.source), _prop("fe:swift-version", swift_version or "unknown")]
    if bin_dir:
        props.append(_prop("fe:binaries", sc.rel(bin_dir, repo)))
    for n in notes:
        props.append(_prop("fe:note", n))
    bom = {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{"type": "application", "name": "scripts/supply-chain/sbom",
                                      "description": "feature-extractor's SBOM generator (standard library Python)"}]},
            "component": app,
            "properties": props,
        },
        "components": components,
        "dependencies": [{"ref": ref, "dependsOn": sorted(on)} for ref, on in sorted(deps.items())],
    }
    # A serial number that depends on the content only (same inputs, same document).
    content = json.dumps({k: v for k, v in bom.items() if k != "serialNumber"} | {"metadata": {**bom["metadata"], "timestamp": ""}},
                         sort_keys=True).encode()
    bom["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "sha256:" + hashlib.sha256(content).hexdigest()))
    return bom, notes
