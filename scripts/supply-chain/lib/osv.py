"""Offline matching of OSV advisories (https://ossf.github.io/osv-schema/) against our
packages, and their severity (CVSS v3.x / v2 base score, or the database's qualitative
severity)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import supplychain as sc

LEVELS = ["NONE", "LOW", "MODERATE", "HIGH", "CRITICAL"]
LEVEL_ALIASES = {"MEDIUM": "MODERATE", "IMPORTANT": "HIGH", "NEGLIGIBLE": "LOW", "UNIMPORTANT": "LOW"}
LEVEL_MIN_SCORE = {"NONE": 0.0, "LOW": 0.1, "MODERATE": 4.0, "HIGH": 7.0, "CRITICAL": 9.0}


def level_name(text: str) -> Optional[str]:
    t = str(text).strip().upper()
    t = LEVEL_ALIASES.get(t, t)
    return t if t in LEVELS else None


def level_of_score(score: float) -> str:
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MODERATE"
    if score > 0.0:
        return "LOW"
    return "NONE"


# --------------------------------------------------------------------------- CVSS

def _roundup(x: float) -> float:
    """CVSS v3.1 Roundup: the smallest number with one decimal that is >= x."""
    i = int(round(x * 100000))
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float:
    """Base score of a CVSS:3.0 or CVSS:3.1 vector (temporal/environmental parts ignored)."""
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith("CVSS:3"):
        raise ValueError(f"not a CVSS v3 vector: {vector}")
    m = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    try:
        scope_changed = m["S"] == "C"
        av = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
        ac = {"L": 0.77, "H": 0.44}[m["AC"]]
        pr = ({"N": 0.85, "L": 0.68, "H": 0.5} if scope_changed else {"N": 0.85, "L": 0.62, "H": 0.27})[m["PR"]]
        ui = {"N": 0.85, "R": 0.62}[m["UI"]]
        cia = {"H": 0.56, "L": 0.22, "N": 0.0}
        c, i, a = cia[m["C"]], cia[m["I"]], cia[m["A"]]
        if m["S"] not in ("U", "C"):
            raise KeyError("S")
    except KeyError as exc:
        raise ValueError(f"incomplete CVSS v3 vector ({exc}): {vector}") from exc
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    if scope_changed:
        return _roundup(min(1.08 * (impact + exploitability), 10))
    return _roundup(min(impact + exploitability, 10))


def cvss2_base_score(vector: str) -> float:
    v = vector.strip()
    if v.startswith("("):
        v = v.strip("()")
    m = dict(p.split(":", 1) for p in v.split("/") if ":" in p)
    try:
        av = {"L": 0.395, "A": 0.646, "N": 1.0}[m["AV"]]
        ac = {"H": 0.35, "M": 0.61, "L": 0.71}[m["AC"]]
        au = {"M": 0.45, "S": 0.56, "N": 0.704}[m["Au"]]
        cia = {"N": 0.0, "P": 0.275, "C": 0.660}
        c, i, a = cia[m["C"]], cia[m["I"]], cia[m["A"]]
    except KeyError as exc:
        raise ValueError(f"incomplete CVSS v2 vector ({exc}): {vector}") from exc
    impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a))
    exploitability = 20 * av * ac * au
    f = 0 if impact == 0 else 1.176
    return round(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f + 1e-9, 1)


@dataclass
class Severity:
    level: Optional[str]        # LOW..CRITICAL, None if unknown
    score: Optional[float]      # CVSS base score when one could be computed
    source: str                 # "CVSS_V3 9.8", "database_specific HIGH", "unknown"

    def text(self) -> str:
        if self.level is None:
            return "UNKNOWN"
        return f"{self.level}" + (f" (CVSS {self.score:.1f})" if self.score is not None else "")


def advisory_severity(adv: dict, affected: Optional[dict] = None) -> Severity:
    """The highest CVSS v3/v2 base score among severity[] (the advisory's, then the affected
    entry's); else the qualitative database_specific/ecosystem_specific severity; else unknown.
    CVSS v4 vectors are not scored here (their scoring needs tables this tool does not carry);
    an advisory with only a v4 vector falls back to the qualitative severity."""
    best: Optional[Tuple[float, str]] = None
    for sev in list(adv.get("severity") or []) + list((affected or {}).get("severity") or []):
        typ, score = str(sev.get("type", "")), str(sev.get("score", ""))
        value: Optional[float] = None
        try:
            if typ == "CVSS_V3" or score.startswith("CVSS:3"):
                value = cvss3_base_score(score)
            elif typ == "CVSS_V2":
                value = cvss2_base_score(score)
            elif typ in ("CVSS_V3", "CVSS_V2", "") and score.replace(".", "", 1).isdigit():
                value = float(score)
        except ValueError:
            value = None
        if value is not None and (best is None or value > best[0]):
            best = (value, f"{typ} {value:.1f}")
    if best is not None:
        return Severity(level_of_score(best[0]), best[0], best[1])
    for holder_name, holder in (("affected.ecosystem_specific", (affected or {}).get("ecosystem_specific")),
                                ("affected.database_specific", (affected or {}).get("database_specific")),
                                ("database_specific", adv.get("database_specific"))):
        # Debian's records give an urgency (low, medium, high, unimportant) instead.
        for key in ("severity", "urgency"):
            if isinstance(holder, dict) and holder.get(key):
                lv = level_name(holder[key])
                if lv:
                    return Severity(lv, None, f"{holder_name} {holder[key]}")
    return Severity(None, None, "unknown")


# --------------------------------------------------------------------------- packages

@dataclass
class Subject:
    """A package we use, as OSV names it."""
    ecosystem: str      # SwiftURL, PyPI or Debian:<release>
    name: str           # repository URL (SwiftURL), distribution name (PyPI) or source package (Debian)
    version: str
    label: str          # what we print: identity or distribution name

    def key(self) -> str:
        if self.ecosystem == "SwiftURL":
            return sc.normalize_url(self.name)
        return sc.pep503(self.name) if self.ecosystem == "PyPI" else self.name


def subjects_from(graph: Optional[sc.Graph], requirements: Iterable[sc.PyRequirement],
                  system: Iterable[Subject] = ()) -> List[Subject]:
    out: List[Subject] = []
    if graph is not None:
        for p in graph.sorted():
            out.append(Subject("SwiftURL", p.url, p.version, p.identity))
    for r in requirements:
        out.append(Subject("PyPI", r.name, r.version, r.name))
    out.extend(system)
    return out


def _affected_matches_subject(aff: dict, s: Subject) -> bool:
    pkg = aff.get("package") or {}
    eco = str(pkg.get("ecosystem", ""))
    name = str(pkg.get("name", ""))
    purl = str(pkg.get("purl", ""))
    if s.ecosystem == "SwiftURL":
        if eco == "SwiftURL" and name and sc.normalize_url(name) == s.key():
            return True
        if purl.startswith("pkg:swift/"):
            return sc.normalize_url(purl[len("pkg:swift/"):].split("@")[0]) == s.key()
        return False
    if s.ecosystem == "PyPI":
        if eco == "PyPI" and name and sc.pep503(name) == s.key():
            return True
        if purl.startswith("pkg:pypi/"):
            return sc.pep503(purl[len("pkg:pypi/"):].split("@")[0].split("?")[0]) == s.key()
    if s.ecosystem.startswith("Debian:"):
        # OSV names Debian packages by source package, per release ("Debian:12").
        return eco == s.ecosystem and name == s.name
    return False


# --------------------------------------------------------------------------- ranges

class Undecidable(Exception):
    """The advisory names our package but its versions cannot be compared with ours."""


def _event_version(evt: dict) -> Tuple[str, str]:
    for kind in ("introduced", "fixed", "last_affected", "limit"):
        if kind in evt:
            return kind, str(evt[kind])
    return "", ""


def in_range(version: str, rng: dict, ecosystem: str) -> Tuple[bool, List[str]]:
    """OSV range evaluation for SEMVER and ECOSYSTEM ranges. Returns (affected, fixed
    versions above `version`). GIT ranges cannot be evaluated without the repository's
    history and are skipped (returns False)."""
    rtype = str(rng.get("type", ""))
    if rtype not in ("SEMVER", "ECOSYSTEM"):
        return False, []
    key = lambda v: sc.version_key(ecosystem, rtype, v)  # noqa: E731
    try:
        ours = key(version)
        events = []
        for evt in rng.get("events") or []:
            kind, v = _event_version(evt)
            if not kind:
                continue
            if kind == "introduced" and v == "0":
                events.append(((0,), kind, v))
            else:
                events.append(((1, key(v)), kind, v))
    except sc.VersionError as exc:
        raise Undecidable(str(exc)) from exc
    # Sort by version; at equal versions an introduction comes first.
    order = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}
    events.sort(key=lambda e: (e[0], order[e[1]]))
    affected = False
    for sort_key, kind, v in events:
        if kind == "introduced":
            if v == "0" or ours >= key(v):
                affected = True
        elif kind == "fixed":
            if ours >= key(v):
                affected = False
        elif kind == "last_affected":
            if ours > key(v):
                affected = False
        elif kind == "limit":
            if ours >= key(v):
                affected = False
    fixed_above = [v for (_k, kind, v) in events if kind == "fixed" and key(v) > ours]
    return affected, fixed_above


def _strip_v(v: str) -> str:
    return v[1:] if v[:1] in ("v", "V") and v[1:2].isdigit() else v


@dataclass
class Finding:
    subject: Subject
    advisory_id: str
    aliases: List[str]
    summary: str
    severity: Severity
    fixed: List[str]
    source_file: str
    note: str = ""

    @property
    def fixed_text(self) -> str:
        return ", ".join(self.fixed) if self.fixed else "no fixed version published"


def match_advisory(adv: dict, subject: Subject, source_file: str = "") -> Optional[Finding]:
    if adv.get("withdrawn"):
        return None
    for aff in adv.get("affected") or []:
        if not _affected_matches_subject(aff, subject):
            continue
        hit = False
        fixed: List[str] = []
        note = ""
        versions = [str(v) for v in aff.get("versions") or []]
        if subject.version in versions or _strip_v(subject.version) in {_strip_v(v) for v in versions}:
            hit = True
        for rng in aff.get("ranges") or []:
            try:
                ok, fx = in_range(subject.version, rng, subject.ecosystem)
            except Undecidable as exc:
                ok, fx = True, []
                note = f"version not comparable ({exc}); reported to be safe"
            if rng.get("type") == "GIT" and not versions:
                note = note or "GIT range only: not evaluated offline"
            if ok:
                hit = True
                fixed.extend(fx)
            else:
                # Fixed versions are useful to print even when the match came from `versions`.
                fixed.extend(fx)
        if hit:
            seen = []
            for f in fixed:
                if f not in seen:
                    seen.append(f)
            return Finding(subject, str(adv.get("id", "?")), [str(a) for a in adv.get("aliases") or []],
                           str(adv.get("summary") or adv.get("details", "")[:100]).strip(),
                           advisory_severity(adv, aff), seen, source_file, note)
    return None


# --------------------------------------------------------------------------- loading

def load_advisories(folder: Path) -> Tuple[List[Tuple[str, dict]], List[str]]:
    """All OSV records (*.json, recursively). A file may hold one record or a list of them.
    Unreadable files are errors: an advisory must never be skipped silently."""
    records: List[Tuple[str, dict]] = []
    errors: List[str] = []
    if not folder.is_dir():
        return records, [f"advisories folder {folder} does not exist"]
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fn in sorted(filenames):
            if not fn.endswith(".json"):
                continue
            p = Path(dirpath) / fn
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                errors.append(f"{p}: not readable as JSON: {exc}")
                continue
            items = data if isinstance(data, list) else [data]
            for item in items:
                if not isinstance(item, dict) or "id" not in item:
                    errors.append(f"{p}: not an OSV record (no 'id')")
                    continue
                if not isinstance(item.get("affected", []), list):
                    errors.append(f"{p}: {item['id']}: 'affected' is not a list")
                    continue
                records.append((str(p), item))
    return records, errors


def load_policy(path: Path) -> dict:
    policy = {"fail_on": "MODERATE", "unknown_severity": "CRITICAL"}
    if path.is_file():
        policy.update(sc.load_json_file(path, "audit policy"))
    return policy


def load_ignores(path: Path) -> List[dict]:
    if not path.is_file():
        return []
    data = sc.load_json_file(path, "audit ignore list")
    items = data.get("ignore", []) if isinstance(data, dict) else data
    for i in items:
        for key in ("id", "package", "reason", "reviewed_by", "expires"):
            if not str(i.get(key, "")).strip():
                raise sc.SupplyChainError(f"{path}: every ignore needs id, package, reason, reviewed_by and "
                                          f"expires (YYYY-MM-DD); {i.get('id', '?')} lacks '{key}'")
    return items


def fails_threshold(sev: Severity, fail_on: str, unknown_as: str) -> bool:
    """True when the finding is at or above the threshold. `fail_on` is a level name
    (LOW, MODERATE, HIGH, CRITICAL) or a CVSS score (e.g. "7.0")."""
    level = sev.level or level_name(unknown_as) or "CRITICAL"
    try:
        min_score = float(fail_on)
    except (TypeError, ValueError):
        threshold = level_name(fail_on)
        if threshold is None:
            raise sc.SupplyChainError(f"unknown severity threshold {fail_on!r} "
                                      f"(LOW, MODERATE, HIGH, CRITICAL or a CVSS score)")
        return LEVELS.index(level) >= LEVELS.index(threshold)
    score = sev.score if sev.score is not None else LEVEL_MIN_SCORE[level]
    if sev.level is None:
        score = LEVEL_MIN_SCORE[level]
    return score >= min_score
