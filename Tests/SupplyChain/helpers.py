"""Shared by the supply-chain tests: paths, running the tools, the real graph (read once)."""

import atexit
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOOLS = REPO / "scripts" / "supply-chain"
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(TOOLS / "lib"))

import supplychain as sc  # noqa: E402

_TMP = Path(tempfile.mkdtemp(prefix="fe-supply-chain-tests-"))
atexit.register(shutil.rmtree, _TMP, True)
_cache = {}


def tmpdir(name: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=name + "-", dir=_TMP))
    return d


def run_tool(tool: str, *args, env=None, cwd=None):
    """Runs scripts/supply-chain/<tool>; returns (exit code, stdout + stderr)."""
    e = dict(os.environ)
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    if env:
        e.update(env)
    p = subprocess.run([sys.executable, str(TOOLS / tool), *map(str, args)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=e, cwd=str(cwd or REPO))
    return p.returncode, p.stdout


def real_graph_file() -> Path:
    """`swift package show-dependencies --format json` of this repository, run once."""
    if "graph" not in _cache:
        out = sc.run_command(["swift", "package", "show-dependencies", "--format", "json"], REPO, "graph")
        data = sc._json_from_tool_output(out, "show-dependencies")
        p = _TMP / "graph.json"
        p.write_text(json.dumps(data))
        _cache["graph"] = p
    return _cache["graph"]


def real_manifest_file() -> Path:
    if "manifest" not in _cache:
        out = sc.run_command(["swift", "package", "dump-package"], REPO, "manifest")
        p = _TMP / "manifest.json"
        p.write_text(json.dumps(sc._json_from_tool_output(out, "dump-package")))
        _cache["manifest"] = p
    return _cache["manifest"]


def real_graph() -> sc.Graph:
    return sc.load_graph(REPO, real_graph_file())


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def load_json(path: Path):
    return json.loads(Path(path).read_text())


def graph_with(mutate) -> Path:
    """A copy of the real show-dependencies JSON changed by mutate(data)."""
    data = copy.deepcopy(load_json(real_graph_file()))
    mutate(data)
    return write_json(tmpdir("graph") / "graph.json", data)


def find_node(tree: dict, identity: str):
    for c in tree.get("dependencies", []):
        if c["identity"] == identity:
            return c
        found = find_node(c, identity)
        if found:
            return found
    return None


def next_minor(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"{major}.{int(minor) + 1}.0"


def fill_template(path: Path, values: dict) -> str:
    text = Path(path).read_text()
    for k, v in values.items():
        text = text.replace("{{" + k + "}}", v)
    assert "{{" not in text, f"unfilled placeholder in {path}"
    return text
