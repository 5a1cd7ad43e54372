"""The cluster tests' set-up, done as a user does it: the built CLI, a home with a signing key
trusted in its database, the bundled ann plugins installed signed, and the sandbox policy."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Cluster"))
SAMPLE = REPO / "data" / "sample" / "eurusd_1h_d1.csv"

try:
    import dask.distributed  # noqa: F401
    import psutil  # noqa: F401
    ENGINE_MISSING = None
except ImportError as exc:
    ENGINE_MISSING = (f"Dask distributed cannot be imported ({exc}); install the pinned packages: python3 -m pip "
                      "install --require-hashes --only-binary=:all: --no-deps -r SupplyChain/python-requirements.txt")


def binary_dir():
    built = Path(os.environ.get("FE_BUILD_DIR", REPO / ".build" / "debug"))
    if not (built / "feature-extractor").exists():
        raise RuntimeError(f"{built}/feature-extractor is not built: run `swift build --build-tests` first")
    return built


class Environment:
    """A scratch FEATURE_EXTRACTOR_HOME and plugin directory, exported to this process's
    environment so that the local cluster's workers, started after, inherit them."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="fe-cluster-test-"))
        self.bin = binary_dir()
        self.cli = str(self.bin / "feature-extractor")
        self.saved = {k: os.environ.get(k) for k in ("FEATURE_EXTRACTOR_HOME", "FEATURE_EXTRACTOR_PLUGINS",
                                                      "FEATURE_EXTRACTOR_POLICY", "FEATURE_EXTRACTOR_DB")}
        os.environ["FEATURE_EXTRACTOR_HOME"] = str(self.root / "home")
        os.environ["FEATURE_EXTRACTOR_PLUGINS"] = str(self.root / "plugins")
        os.environ["FEATURE_EXTRACTOR_POLICY"] = str(REPO / "Policies")
        os.environ.pop("FEATURE_EXTRACTOR_DB", None)
        self.run(["keys", "generate", "--name", "local", "--trust"])
        key = self.root / "home" / "keys" / "local.key"
        for role in ("Encoders", "Decoders"):
            manifest = REPO / "Plugins" / role / "ANN" / "plugin.json"
            executable = "fe-encoder-ann" if role == "Encoders" else "fe-decoder-ann"
            self.run(["plugin", "install", "--manifest", str(manifest), "--executable", str(self.bin / executable),
                      "--into", str(self.root / "plugins"), "--sign-with", str(key)])

    def run(self, args, check=True):
        r = subprocess.run([self.cli] + list(args), capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError(f"feature-extractor {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
        return r

    def path(self, name):
        return str(self.root / name)

    def train(self, name, *extra):
        """A signed encoder/decoder pair trained on the sample's first rows."""
        enc, dec = self.path(f"{name}.enc.safetensors"), self.path(f"{name}.dec.safetensors")
        self.run([str(SAMPLE), "--columns", "CLOSE", "--max-steps", "3000", "--window-size", "64", "--initial-size", "8",
                  "--epochs", "1", "--save-encoder", enc, "--save-decoder", dec, "--output-file", os.devnull,
                  "--quiet-mode"] + list(extra))
        return enc, dec

    def close(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.root, ignore_errors=True)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def random_walk(path, rows, seed=3):
    """A dated random walk, written with the standard library (no numpy needed)."""
    import datetime
    import random
    rng = random.Random(seed)
    t, level = datetime.datetime(2000, 1, 1), 1.1
    with open(path, "w") as f:
        f.write("DATE_TIME,CLOSE\n")
        for _ in range(rows):
            level += rng.gauss(0, 0.0005)
            f.write(f"{t:%Y-%m-%d %H:%M:%S},{level:.6f}\n")
            t += datetime.timedelta(hours=1)
