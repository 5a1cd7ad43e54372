"""Shared code of the supply-chain tools (standard library only).

The tools (scripts/supply-chain/check-pins, deps-audit, sbom, refresh-advisories) and the
tests in Tests/SupplyChain import this module. It knows how to read:

- the manifest, through `swift package dump-package` (which requirement each package has);
- the resolved graph, through `swift package show-dependencies --format json` (a tree with
  every transitive package) or a Package.resolved file (flat);
- the reviewed allow-list SupplyChain/allowlist.json;
- the hashed Python requirements SupplyChain/python-requirements.txt.
"""

from __future__ import annotations

import ast
import datetime as _dt
import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[3]
SUPPLY_CHAIN_DIR = REPO / "SupplyChain"
ALLOWLIST = SUPPLY_CHAIN_DIR / "allowlist.json"
PY_REQUIREMENTS = SUPPLY_CHAIN_DIR / "python-requirements.txt"
ADVISORIES_DIR = SUPPLY_CHAIN_DIR / "advisories"
AUDIT_POLICY = SUPPLY_CHAIN_DIR / "audit-policy.json"
AUDIT_IGNORE = SUPPLY_CHAIN_DIR / "audit-ignore.json"
SCHEMA_DIR = SUPPLY_CHAIN_DIR / "schema"

# Reviewer values that mean "nobody reviewed this yet".
UNREVIEWED = {"", "unreviewed", "todo", "tbd", "fixme", "?"}


class SupplyChainError(Exception):
    """A problem that stops a tool (bad input, a command that failed)."""


# --------------------------------------------------------------------------- commands

def run_command(args: Sequence[str], cwd: Path, what: str) -> str:
    """Runs a command and returns its stdout; raises SupplyChainError with its stderr."""
    try:
        proc = subprocess.run(list(args), cwd=str(cwd), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    except FileNotFoundError as exc:
        raise SupplyChainError(f"{what}: cannot run {args[0]!r}: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise SupplyChainError(f"{what}: `{' '.join(args)}` exited {proc.returncode}\n{tail}")
    return proc.stdout


def load_json_file(path: Path, what: str):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise SupplyChainError(f"{what}: {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise SupplyChainError(f"{what}: {path} is not valid JSON: {exc}") from exc


def _json_from_tool_output(text: str, what: str):
    """SwiftPM may print progress lines ("Fetching ...") before the JSON on stdout."""
    start = text.find("{")
    if start < 0:
        raise SupplyChainError(f"{what}: no JSON in the output:\n{text[:500]}")
    try:
        return json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise SupplyChainError(f"{what}: output is not valid JSON: {exc}\n{text[:500]}") from exc


# --------------------------------------------------------------------------- URLs, names

def normalize_url(url: str) -> str:
    """A repository URL reduced to host/path, lower case, without scheme, user or `.git`:
    https://github.com/apple/swift-nio.git, git@github.com:apple/swift-nio and
    github.com/Apple/swift-nio all become github.com/apple/swift-nio."""
    u = url.strip()
    u = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", u)      # scheme
    u = re.sub(r"^[^@/]+@", "", u)                         # user@
    m = re.match(r"^([^/:]+):(?!\d+/)(.*)$", u)            # scp-like host:path
    if m:
        u = f"{m.group(1)}/{m.group(2)}"
    u = u.rstrip("/")
    if u.lower().endswith(".git"):
        u = u[:-4]
    return u.rstrip("/").lower()


def repo_path(url: str) -> str:
    """host/owner/name with the original case (for purls and OSV names)."""
    u = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url.strip())
    u = re.sub(r"^[^@/]+@", "", u)
    m = re.match(r"^([^/:]+):(?!\d+/)(.*)$", u)
    if m:
        u = f"{m.group(1)}/{m.group(2)}"
    u = u.rstrip("/")
    if u.lower().endswith(".git"):
        u = u[:-4]
    return u


def swift_purl(url: str, version: str) -> str:
    """pkg:swift/github.com/owner/name@version (purl spec, type swift)."""
    path = repo_path(url)
    return f"pkg:swift/{_purl_quote(path, keep='/')}@{_purl_quote(version)}"


def _purl_quote(text: str, keep: str = "") -> str:
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-._~" or ch in keep:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- the Swift graph

@dataclass
class SwiftPackage:
    identity: str
    name: str
    url: str
    version: str
    path: str = ""
    dependencies: List[str] = field(default_factory=list)   # identities
    parents: List[str] = field(default_factory=list)        # identities ("root" for direct)
    revision: str = ""

    @property
    def purl(self) -> str:
        return swift_purl(self.url, self.version)


@dataclass
class Graph:
    root_name: str
    packages: Dict[str, SwiftPackage]      # identity -> package
    direct: List[str]                      # identities the root depends on
    source: str                            # where the graph came from

    def sorted(self) -> List[SwiftPackage]:
        return [self.packages[k] for k in sorted(self.packages)]


def graph_from_show_dependencies(data: dict, source: str) -> Graph:
    packages: Dict[str, SwiftPackage] = {}

    def walk(node: dict, parent: str) -> None:
        for child in node.get("dependencies", []) or []:
            ident = child["identity"]
            pkg = packages.get(ident)
            if pkg is None:
                pkg = SwiftPackage(identity=ident, name=child.get("name", ident),
                                   url=child.get("url", ""), version=str(child.get("version", "")),
                                   path=child.get("path", ""))
                packages[ident] = pkg
                walk(child, ident)
            if parent not in pkg.parents:
                pkg.parents.append(parent)
            if parent != "root":
                deps = packages[parent].dependencies
                if ident not in deps:
                    deps.append(ident)

    walk(data, "root")
    direct = [c["identity"] for c in data.get("dependencies", []) or []]
    return Graph(root_name=data.get("name", ""), packages=packages, direct=direct, source=source)


def graph_from_package_resolved(data: dict, source: str) -> Graph:
    """Package.resolved (v1, v2 or v3) is flat: no parents, no direct/transitive split."""
    pins = data.get("pins")
    if pins is None:
        pins = data.get("object", {}).get("pins", [])           # version 1
    packages: Dict[str, SwiftPackage] = {}
    for pin in pins:
        url = pin.get("location") or pin.get("repositoryURL") or ""
        ident = pin.get("identity") or normalize_url(url).rsplit("/", 1)[-1]
        state = pin.get("state", {})
        packages[ident] = SwiftPackage(identity=ident, name=pin.get("package", ident), url=url,
                                       version=str(state.get("version") or ""),
                                       revision=state.get("revision", ""))
        if not state.get("version"):
            packages[ident].version = ("branch:" + state["branch"]) if state.get("branch") else \
                ("revision:" + state.get("revision", "?"))
    return Graph(root_name="", packages=packages, direct=[], source=source)


def load_graph(repo: Path = REPO, graph_file: Optional[Path] = None) -> Graph:
    """The resolved graph: from a saved file (show-dependencies JSON or Package.resolved) or
    from `swift package show-dependencies --format json` run in the repository (which
    resolves the packages first when needed, from the local mirror)."""
    if graph_file is not None:
        data = load_json_file(Path(graph_file), "resolved graph")
        if "pins" in data or "object" in data:
            return graph_from_package_resolved(data, str(graph_file))
        return graph_from_show_dependencies(data, str(graph_file))
    out = run_command(["swift", "package", "show-dependencies", "--format", "json"], repo,
                      "resolved graph")
    return graph_from_show_dependencies(_json_from_tool_output(out, "show-dependencies"),
                                        "swift package show-dependencies --format json")


def load_manifest(repo: Path = REPO, manifest_file: Optional[Path] = None) -> dict:
    """The manifest as `swift package dump-package` prints it."""
    if manifest_file is not None:
        return load_json_file(Path(manifest_file), "manifest dump")
    out = run_command(["swift", "package", "dump-package"], repo, "manifest")
    return _json_from_tool_output(out, "dump-package")


@dataclass
class ManifestDependency:
    identity: str
    kind: str            # sourceControl, fileSystem, registry
    location: str
    requirement_kind: str  # exact, range, branch, revision, local
    requirement: str     # human text


def manifest_dependencies(manifest: dict) -> List[ManifestDependency]:
    deps: List[ManifestDependency] = []
    for entry in manifest.get("dependencies", []):
        for kind, values in entry.items():
            for dep in values:
                ident = dep.get("identity", "?")
                if kind == "fileSystem":
                    deps.append(ManifestDependency(ident, kind, dep.get("path", ""), "local",
                                                   f"path: {dep.get('path', '')}"))
                    continue
                loc = dep.get("location", {})
                if isinstance(loc, dict):
                    if "remote" in loc:
                        r = loc["remote"][0]
                        location = r.get("urlString") if isinstance(r, dict) else str(r)
                    elif "local" in loc:
                        location = str(loc["local"][0])
                    else:
                        location = json.dumps(loc)
                else:
                    location = str(loc) if loc else dep.get("url", "")
                req = dep.get("requirement", {})
                rkind = next(iter(req), "unknown")
                rval = req.get(rkind)
                if rkind == "exact":
                    text = f"exact: {rval[0]}"
                elif rkind == "range":
                    r0 = rval[0] if rval else {}
                    text = f"range {r0.get('lowerBound')}..<{r0.get('upperBound')}"
                elif rkind == "branch":
                    text = f"branch: {rval[0]}"
                elif rkind == "revision":
                    text = f"revision: {rval[0]}"
                else:
                    text = f"{rkind}: {rval}"
                deps.append(ManifestDependency(ident, kind, location, rkind, text))
    return deps


# --------------------------------------------------------------------------- allow-list

def load_allowlist(path: Path = ALLOWLIST) -> dict:
    data = load_json_file(path, "allow-list")
    for key in ("swift", "python"):
        if not isinstance(data.get(key), list):
            raise SupplyChainError(f"allow-list {path}: '{key}' must be a list")
    return data


def allowlist_problems(allow: dict) -> List[str]:
    """Entries that are incomplete or not reviewed."""
    problems = []
    for e in allow["swift"]:
        label = e.get("identity", "?")
        for key in ("identity", "url", "version", "reviewed_by", "note"):
            if not str(e.get(key, "")).strip():
                problems.append(f"allow-list: Swift package {label}: '{key}' is missing or empty")
        if str(e.get("reviewed_by", "")).strip().lower() in UNREVIEWED and e.get("reviewed_by"):
            problems.append(f"allow-list: Swift package {label}: reviewed_by is "
                            f"{e['reviewed_by']!r}; a person must review it first")
    for e in allow["python"]:
        label = e.get("name", "?")
        for key in ("name", "version", "reviewed_by", "note"):
            if not str(e.get(key, "")).strip():
                problems.append(f"allow-list: Python package {label}: '{key}' is missing or empty")
        if str(e.get("reviewed_by", "")).strip().lower() in UNREVIEWED and e.get("reviewed_by"):
            problems.append(f"allow-list: Python package {label}: reviewed_by is "
                            f"{e['reviewed_by']!r}; a person must review it first")
    return problems


# --------------------------------------------------------------------------- Python requirements

@dataclass
class PyRequirement:
    name: str
    version: str
    hashes: List[str]
    line: int


_REQ_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(==|===|>=|<=|~=|!=|>|<)?\s*([^\s;\\]*)")


def parse_requirements(path: Path = PY_REQUIREMENTS) -> Tuple[List[PyRequirement], List[str]]:
    """Returns (requirements, problems). Every requirement must be `name==version` with at
    least one `--hash=sha256:...`; nothing else but comments is allowed (no -r, -e, URLs)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [f"{path}: missing"]
    # Join continuation lines, keeping the number of the first line.
    logical: List[Tuple[int, str]] = []
    buf, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)      # pip: '#' at the start or after a space
        if not buf:
            start = no
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        if buf.strip():
            logical.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        logical.append((start, buf.strip()))

    reqs: List[PyRequirement] = []
    problems: List[str] = []
    for no, line in logical:
        if line.startswith("-"):
            problems.append(f"{path.name}:{no}: option lines are not allowed here: {line[:60]}")
            continue
        hashes = re.findall(r"--hash[= ]sha256:([0-9a-fA-F]+)", line)
        bad_hash = [h for h in hashes if len(h) != 64]
        other_hash = re.findall(r"--hash[= ](?!sha256:)(\S+)", line)
        spec = re.sub(r"--hash[= ]\S+", "", line).strip()
        m = _REQ_RE.match(spec)
        if not m or "://" in spec or spec.startswith((".", "/")):
            problems.append(f"{path.name}:{no}: not a `name==version` requirement: {spec[:60]}")
            continue
        name, op, version = m.group(1), m.group(3), m.group(4)
        if op != "==" or not version or "*" in version:
            problems.append(f"{path.name}:{no}: {name} is not pinned with `==VERSION` ({spec})")
        if not hashes:
            problems.append(f"{path.name}:{no}: {name} has no --hash=sha256:... (pip --require-hashes needs one per file)")
        if bad_hash or other_hash:
            problems.append(f"{path.name}:{no}: {name} has a malformed or non-sha256 hash")
        reqs.append(PyRequirement(name=name, version=version or "", hashes=hashes, line=no))
    return reqs, problems


# --------------------------------------------------------------------------- Python imports

SKIP_DIRS = {".git", ".build", "__pycache__", "node_modules", "out", ".swiftpm"}


def python_files(repo: Path) -> List[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith((".build-", ".build_"))]
        for fn in filenames:
            p = Path(dirpath) / fn
            if fn.endswith(".py"):
                files.append(p)
            elif "." not in fn and os.access(p, os.X_OK):
                try:
                    with open(p, "rb") as fh:
                        first = fh.readline(200)
                    if first.startswith(b"#!") and b"python" in first:
                        files.append(p)
                except OSError:
                    pass
    return sorted(files)


def third_party_imports(repo: Path) -> Dict[str, List[str]]:
    """Top-level modules imported by the repository's Python files that are neither in the
    standard library nor the repository's own modules: {module: [file:line, ...]}."""
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}
    if not stdlib or len(stdlib) < 10:
        raise SupplyChainError("this Python has no sys.stdlib_module_names (need Python >= 3.10)")
    files = python_files(repo)
    local = {p.stem for p in files}
    for p in files:                                   # packages (directories with __init__.py)
        if p.name == "__init__.py":
            local.add(p.parent.name)
    found: Dict[str, List[str]] = {}
    for p in files:
        try:
            tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise SupplyChainError(f"cannot parse {p}: {exc}") from exc
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                top = n.split(".")[0]
                if top in stdlib or top in local:
                    continue
                found.setdefault(top, []).append(f"{p.relative_to(repo)}:{node.lineno}")
    return found


# --------------------------------------------------------------------------- versions

class VersionError(ValueError):
    pass


_SEMVER_RE = re.compile(
    r"^v?(0|[1-9]\d*|\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


def semver_key(version: str):
    """Sort key for SemVer 2.0 (lenient: a leading v, missing minor/patch and a fourth
    number are accepted). Build metadata is ignored, pre-releases sort before the release."""
    m = _SEMVER_RE.match(version.strip())
    if not m:
        raise VersionError(f"not a semantic version: {version!r}")
    nums = tuple(int(x) if x is not None else 0 for x in m.group(1, 2, 3, 4))
    pre = m.group(5)
    if pre is None:
        pre_key: tuple = (1,)
    else:
        parts = []
        for ident in pre.split("."):
            parts.append((0, int(ident), "") if ident.isdigit() else (1, 0, ident))
        pre_key = (0, tuple(parts))
    return (nums, pre_key)


_PEP440_RE = re.compile(r"""
    ^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?
    (?:(?:-(?P<post_n1>\d+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?))?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""", re.VERBOSE | re.IGNORECASE)


def pep440_key(version: str):
    """Sort key following PEP 440 (epoch, release, pre, post, dev, local)."""
    m = _PEP440_RE.match(version)
    if not m:
        raise VersionError(f"not a PEP 440 version: {version!r}")
    epoch = int(m.group("epoch") or 0)
    release = [int(x) for x in m.group("release").split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre_l = (m.group("pre_l") or "").lower()
    pre_l = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}.get(pre_l, pre_l)
    post = m.group("post_n1") or m.group("post_n2")
    has_post = m.group("post_n1") is not None or m.group("post_l") is not None
    has_dev = m.group("dev_l") is not None
    inf = float("inf")
    if pre_l:
        pre = ({"a": 0, "b": 1, "rc": 2}[pre_l], int(m.group("pre_n") or 0))
    elif has_dev and not has_post:
        pre = (-inf, 0)          # 1.0.dev1 sorts before 1.0a1
    else:
        pre = (inf, 0)
    post_k = (int(post or 0),) if has_post else (-inf,)
    dev_k = (int(m.group("dev_n") or 0),) if has_dev else (inf,)
    local = m.group("local")
    local_k = tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower())
                    for p in re.split(r"[-_.]", local)) if local else ()
    return (epoch, tuple(release), pre, post_k, dev_k, local_k)


_DEB_UPSTREAM_RE = re.compile(r"^[0-9][A-Za-z0-9.+~:-]*$")
_DEB_REVISION_RE = re.compile(r"^[A-Za-z0-9.+~]*$")


def _deb_parts(version: str) -> tuple:
    """(epoch, upstream, revision) of a Debian version, checked against Debian policy's syntax."""
    v = version.strip()
    epoch = 0
    head, sep, rest = v.partition(":")
    if sep:
        if not head.isdigit() or not head.isascii():
            raise VersionError(f"not a Debian version (epoch): {version!r}")
        epoch, v = int(head), rest
    upstream, sep, revision = v.rpartition("-")
    if not sep:
        upstream, revision = v, ""
    elif not revision:
        raise VersionError(f"not a Debian version (empty revision): {version!r}")
    if not (upstream.isascii() and _DEB_UPSTREAM_RE.match(upstream)) or not (revision.isascii() and _DEB_REVISION_RE.match(revision)):
        raise VersionError(f"not a Debian version: {version!r}")
    return epoch, upstream, revision


def _deb_verrevcmp(a: str, b: str) -> int:
    """dpkg's verrevcmp: alternating non-digit parts (by character, `~` before everything, even
    the end; letters before other characters) and digit parts (numerically)."""
    def at(s: str, k: int) -> str:
        return s[k] if k < len(s) else ""

    def order(c: str) -> int:
        if c == "" or c.isdigit():
            return 0
        if c.isalpha():
            return ord(c)
        if c == "~":
            return -1
        return ord(c) + 256

    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac, bc = order(at(a, i)), order(at(b, j))
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while at(a, i) == "0":
            i += 1
        while at(b, j) == "0":
            j += 1
        while at(a, i).isdigit() and at(b, j).isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if at(a, i).isdigit():
            return 1
        if at(b, j).isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def debian_compare(a: str, b: str) -> int:
    """Negative, zero or positive as Debian version `a` sorts before, with or after `b`
    (the order of `dpkg --compare-versions`)."""
    ea, ua, ra = _deb_parts(a)
    eb, ub, rb = _deb_parts(b)
    if ea != eb:
        return ea - eb
    return _deb_verrevcmp(ua, ub) or _deb_verrevcmp(ra, rb)


def debian_key(version: str):
    """Sort key for Debian versions (no total tuple encoding exists because of `~`)."""
    _deb_parts(version)
    return functools.cmp_to_key(debian_compare)(version)


def version_key(ecosystem: str, range_type: str, version: str):
    if range_type == "SEMVER":
        return semver_key(version)
    if ecosystem == "PyPI":
        return pep440_key(version)
    if ecosystem.startswith("Debian"):
        return debian_key(version)
    return semver_key(version)   # SwiftURL tags are semantic versions


# --------------------------------------------------------------------------- misc

def today() -> _dt.date:
    override = os.environ.get("FE_SUPPLY_CHAIN_TODAY")       # tests only
    return _dt.date.fromisoformat(override) if override else _dt.date.today()


def rel(path: Path, repo: Path = REPO) -> str:
    try:
        return str(Path(path).resolve().relative_to(repo))
    except ValueError:
        return str(path)


def eprint(*args) -> None:
    print(*args, file=sys.stderr)
