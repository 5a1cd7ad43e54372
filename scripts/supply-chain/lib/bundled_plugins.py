"""The bundled plugins, found by their manifests: every Plugins/Encoders/*/plugin.json and
Plugins/Decoders/*/plugin.json. The manifests are the one list of plugins, so a new family's
folder is all the SBOM (and every other tool reading this) needs to see it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

import supplychain as sc

# Where the bundled plugins live, relative to the repository (scripts/lib/common.sh globs the same).
MANIFEST_GLOBS = ("Plugins/Encoders/*/plugin.json", "Plugins/Decoders/*/plugin.json")
# The identity fields every tool relies on; the host validates the rest at install.
FIELDS = ("name", "role", "version", "executable")


@dataclass(frozen=True)
class BundledPlugin:
    name: str
    role: str
    version: str
    executable: str   # the SwiftPM product that builds it
    manifest: Path


def bundled_plugins(repo: Path = sc.REPO) -> List[BundledPlugin]:
    """Every bundled plugin in manifest order (encoders, then decoders, each by folder name)."""
    found = []
    for pattern in MANIFEST_GLOBS:
        for path in sorted(repo.glob(pattern)):
            data = sc.load_json_file(path, "plugin manifest")
            if not isinstance(data, dict):
                raise sc.SupplyChainError(f"{sc.rel(path, repo)}: a plugin manifest must be a JSON object")
            for f in FIELDS:
                if not isinstance(data.get(f), str) or not data[f]:
                    raise sc.SupplyChainError(f"{sc.rel(path, repo)}: field '{f}' is missing or not a string")
            found.append(BundledPlugin(data["name"], data["role"], data["version"], data["executable"], path))
    return found
