"""The Debian packages behind the system libraries our build links (SQLite, libseccomp,
OpenBLAS, ...), named as OSV names them (ecosystem `Debian:<release>`, the *source* package and
its version), so that deps-audit scans them offline like the Swift and Python packages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Tuple

import supplychain as sc
import sbom
from osv import Subject


def ecosystem() -> Optional[str]:
    """`Debian:12` on Debian 12; None elsewhere (other systems' packages are not scanned)."""
    ident, version = sbom.os_release()
    if ident != "debian" or not version:
        return None
    return f"Debian:{version.split('.')[0]}"


def source_of(package: str, arch: str) -> Optional[Tuple[str, str]]:
    """(source package, source version) of an installed binary package."""
    for name in ([f"{package}:{arch}"] if arch else []) + [package]:
        rc, out = sbom._run(["dpkg-query", "-W", "-f", "${source:Package}\t${source:Version}", name])
        if rc == 0 and "\t" in out:
            source, version = out.strip().split("\t", 1)
            if source and version:
                return source, version
    return None


def installed_subjects(repo: Path, manifest: dict, graph: sc.Graph) -> Tuple[List[Subject], List[str]]:
    """One subject per Debian package owning a library the build declares it links
    (`linkedLibrary`, system-library module maps, the packages' module maps), and notes
    on what could not be resolved (printed, never silently dropped)."""
    eco = ecosystem()
    if eco is None:
        return [], ["not a Debian system: system packages not scanned"]
    libs = sbom.SystemLibraries()
    if not libs.have_dpkg:
        return [], ["dpkg-query is missing: system packages not scanned"]
    subjects: List[Subject] = []
    notes: List[str] = []
    seen = set()
    for link in sorted(sbom.declared_links(repo, manifest, graph)):
        path = libs.find_link_name(link)
        owner = libs.owner(path) if path else None
        source = source_of(*owner) if owner else None
        if source is None:
            notes.append(f"-l{link}: no installed Debian package found, not scanned")
            continue
        if source in seen:
            continue
        seen.add(source)
        subjects.append(Subject(eco, source[0], source[1], f"{owner[0]} (source {source[0]})"))
    return subjects, notes


def load_subjects(path: Path) -> List[Subject]:
    """Subjects from a file (`[{"ecosystem", "name", "version", "label"}]`): another machine's
    packages, or a test's."""
    data = sc.load_json_file(path, "system packages")
    if not isinstance(data, list):
        raise sc.SupplyChainError(f"{path}: expected a JSON list of packages")
    out = []
    for i, item in enumerate(data):
        try:
            eco, name, version = str(item["ecosystem"]), str(item["name"]), str(item["version"])
        except (KeyError, TypeError) as exc:
            raise sc.SupplyChainError(f"{path}: package {i} needs ecosystem, name and version") from exc
        if not eco.startswith("Debian:"):
            raise sc.SupplyChainError(f"{path}: package {i}: ecosystem must be Debian:<release>, got {eco!r}")
        sc.debian_key(version)
        out.append(Subject(eco, name, version, str(item.get("label") or name)))
    return out


def dump(subjects: List[Subject]) -> str:
    return json.dumps([{"ecosystem": s.ecosystem, "name": s.name, "version": s.version, "label": s.label}
                       for s in subjects], indent=2)
