"""The pin check: Package.swift pins every package with `exact:`, the resolved graph holds
only reviewed packages at reviewed versions, and Python is pinned with hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import supplychain as sc


def check_swift(manifest: dict, graph: sc.Graph, allow: dict) -> Tuple[List[str], List[str]]:
    problems: List[str] = []
    warnings: List[str] = []

    # 1. Every package named in Package.swift is pinned with `exact:`.
    mdeps = sc.manifest_dependencies(manifest)
    exact_versions: Dict[str, str] = {}
    for d in mdeps:
        if d.requirement_kind == "exact":
            exact_versions[d.identity] = d.requirement.split(": ", 1)[1]
        elif d.requirement_kind == "local":
            problems.append(f"Package.swift: {d.identity} is a local path dependency ({d.location}); "
                            f"it cannot be pinned or reviewed as a version: use a repository URL with exact:")
        else:
            problems.append(f"Package.swift: {d.identity} ({d.location}) is required with "
                            f"`{d.requirement}`, not `exact:` - pin it: .package(url: ..., exact: \"X.Y.Z\")")

    # 2. Every package of the resolved graph (transitive ones included) is in the allow-list
    #    with the same identity, repository and version.
    by_identity: Dict[str, List[dict]] = {}
    for e in allow["swift"]:
        by_identity.setdefault(str(e.get("identity", "")).lower(), []).append(e)
    for pkg in graph.sorted():
        entries = by_identity.get(pkg.identity.lower(), [])
        via = ", ".join("Package.swift" if p == "root" else p for p in pkg.parents) or "?"
        if not entries:
            problems.append(f"new dependency: {pkg.identity} {pkg.version} ({pkg.url}), pulled in by "
                            f"{via}, is not in the allow-list {sc.rel(sc.ALLOWLIST)}: review it and add "
                            f"an entry (scripts/supply-chain/check-pins --propose prints one)")
            continue
        same_url = [e for e in entries if sc.normalize_url(str(e.get("url", ""))) == sc.normalize_url(pkg.url)]
        if not same_url:
            listed = ", ".join(sorted({str(e.get('url')) for e in entries}))
            problems.append(f"{pkg.identity}: the graph fetches it from {pkg.url}, the allow-list reviewed "
                            f"{listed}: a different repository is a different package")
            continue
        if not any(str(e.get("version")) == pkg.version for e in same_url):
            listed = ", ".join(sorted({str(e.get('version')) for e in same_url}))
            problems.append(f"{pkg.identity}: the graph resolves version {pkg.version} (via {via}), "
                            f"the allow-list has {listed}: review the new version and update the entry")
        revs = [e for e in same_url if str(e.get("version")) == pkg.version and e.get("revision")]
        if revs and pkg.revision and not any(e["revision"] == pkg.revision for e in revs):
            problems.append(f"{pkg.identity} {pkg.version}: resolved at commit {pkg.revision}, the "
                            f"allow-list pins {revs[0]['revision']}: the tag was moved")

    # 3. The direct dependencies resolve to the versions Package.swift pins (SwiftPM guarantees
    #    this; a mismatch means the graph is stale or from elsewhere).
    for ident, version in exact_versions.items():
        pkg = graph.packages.get(ident)
        if pkg is None:
            problems.append(f"Package.swift pins {ident} {version} but the resolved graph has no "
                            f"{ident} ({graph.source}): resolve again (swift package resolve)")
        elif pkg.version != version:
            problems.append(f"Package.swift pins {ident} exact: {version} but the graph resolved "
                            f"{pkg.version}: resolve again (swift package resolve)")

    # 4. Entries nobody uses any more (not an error: a removal needs no review).
    for e in allow["swift"]:
        pkg = graph.packages.get(str(e.get("identity", "")).lower())
        if pkg is None or str(e.get("version")) != pkg.version:
            warnings.append(f"allow-list entry {e.get('identity')} {e.get('version')} is not in the "
                                f"resolved graph any more; remove it when that is intended")
    return problems, warnings


def check_python(allow: dict, requirements: Path, repo: Optional[Path]) -> Tuple[List[str], List[str], int]:
    problems: List[str] = []
    warnings: List[str] = []
    reqs, req_problems = sc.parse_requirements(requirements)
    problems.extend(req_problems)
    allowed = {sc.pep503(str(e.get("name", ""))): e for e in allow["python"]}
    pinned = {sc.pep503(r.name): r for r in reqs}
    for key, r in sorted(pinned.items()):
        e = allowed.get(key)
        if e is None:
            problems.append(f"{requirements.name}: {r.name}=={r.version} is not in the allow-list "
                            f"{sc.rel(sc.ALLOWLIST)} (python)")
        elif str(e.get("version")) != r.version:
            problems.append(f"{requirements.name}: {r.name}=={r.version} but the allow-list reviewed "
                            f"{e.get('version')}")
    for key, e in sorted(allowed.items()):
        if key not in pinned:
            problems.append(f"allow-list Python package {e.get('name')} {e.get('version')} is not pinned "
                            f"in {requirements.name}")

    if repo is not None:
        # Every third-party module the repository's Python imports is pinned above, or
        # listed as optional (imported only when installed, never installed by our scripts).
        import_names: Dict[str, str] = {}
        for e in allow["python"]:
            for mod in e.get("imports", [e.get("name", "")]):
                import_names[mod] = e.get("name", "")
        optional = {o.get("module"): o for o in allow.get("python_optional_imports", [])}
        for mod, where in sorted(sc.third_party_imports(repo).items()):
            if mod in import_names:
                if sc.pep503(import_names[mod]) not in pinned:
                    problems.append(f"{mod} is imported ({where[0]}) but {import_names[mod]} is not pinned")
                continue
            if mod in optional:
                continue
            problems.append(f"new Python dependency: `{mod}` is imported at {', '.join(where[:3])} but is "
                            f"neither pinned in {requirements.name} nor listed in the allow-list")
    return problems, warnings, len(reqs)


def propose(graph: sc.Graph, allow: dict) -> List[dict]:
    """Allow-list entries for the graph's packages that have none (reviewed_by left empty:
    the check refuses them until a person fills it in)."""
    have = {(str(e.get("identity", "")).lower(), sc.normalize_url(str(e.get("url", ""))), str(e.get("version")))
            for e in allow["swift"]}
    out = []
    for pkg in graph.sorted():
        if (pkg.identity.lower(), sc.normalize_url(pkg.url), pkg.version) in have:
            continue
        via = ", ".join("Package.swift" if p == "root" else p for p in pkg.parents)
        out.append({"identity": pkg.identity, "url": pkg.url, "version": pkg.version,
                    "license": "", "reviewed_by": "", "reviewed_on": "",
                    "note": f"needed by {via}; WHY: ...; CHECKED: release notes, advisories, licence"})
    return out
