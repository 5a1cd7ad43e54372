#!/usr/bin/env python3
"""Encoding a long series with a saved model: time and peak memory, ours beside numpy.

Generates a random-walk CSV (10 million hourly rows by default) in a temporary directory,
trains and saves an encoder on the sample data (the reference model: one hidden tanh layer,
no spectral layer, no PCA path, so that numpy computes exactly the same function), then
encodes the long file:

  ours   feature-extractor --load-encoder MODEL --output-file FEATURES (streamed: each block
         of windows is encoded while the previous one is written); the coordinator's peak RSS
         as it reports it, and the wall time, CSV reading and writing included
  numpy  np.loadtxt, the model's normalisation, stride-1 windows in batches of 4096, the same
         dense layers; peak RSS of that process; features kept in memory, not written

and checks that both computed the same features (a sample of rows, float32 tolerance).

Usage: scripts/benchmark --streaming [--rows N]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(HERE), "data", "sample", "eurusd_1h_d1.csv")
REFERENCE_MODEL = ["spectral=false", "linear_path=false", "intermediate_layers=1", "activation=tanh"]


def generate(path, rows, seed=7):
    """A random walk around 1.1 with hourly dates from 2000-01-01, written in chunks."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2000-01-01T00:00")
    level = 1.1
    with open(path, "w") as f:
        f.write("DATE_TIME,CLOSE\n")
        for first in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - first)
            steps = rng.normal(0, 0.0005, n)
            values = level + np.cumsum(steps)
            level = float(values[-1])
            dates = np.datetime_as_string(start + np.arange(first, first + n).astype("timedelta64[h]"), unit="s")
            dates = np.char.replace(dates, "T", " ")
            f.write("\n".join(f"{d},{v:.6f}" for d, v in zip(dates, values)))
            f.write("\n")


def run_ours(binary, csv_path, model, out, log):
    t0 = time.perf_counter()
    subprocess.run([binary, csv_path, "--columns", "CLOSE", "--load-encoder", model, "--output-file", out,
                    "--save-log", log, "--quiet-mode"], check=True)
    wall = time.perf_counter() - t0
    with open(log) as f:
        s = json.load(f)
    return {"wall_s": wall, "rss_coordinator_mb": s["coordinator_peak_rss_kb"] / 1024,
            "rss_encoder_mb": (s["encoder"].get("peak_rss_kb") or 0) / 1024,
            "windows": s["windows"], "windows_per_s": s["windows"] / wall}


NUMPY_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
from safetensors import safe_open
csv_path, model, sample_rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
with safe_open(model, "np") as f:
    meta = f.metadata()
    w = {k: f.get_tensor(k) for k in f.keys()}
norm = json.loads(meta["normalization"])
window = int(meta["window_size"])
series = np.loadtxt(csv_path, delimiter=",", skiprows=1, usecols=(1,), dtype=np.float64)
x = ((series - norm["offset"][0]) / norm["scale"][0]).astype(np.float32)
windows = np.lib.stride_tricks.sliding_window_view(x, window)
features = np.empty((len(windows), w["dense1.weight"].shape[1]), dtype=np.float32)
for s in range(0, len(windows), 4096):
    h = np.tanh(windows[s:s + 4096] @ w["dense0.weight"] + w["dense0.bias"])
    features[s:s + 4096] = h @ w["dense1.weight"] + w["dense1.bias"]
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "windows": len(windows), "windows_per_s": len(windows) / wall,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "sample": features[sample_rows].tolist()}))
"""


def run_numpy(csv_path, model, sample_rows):
    out = subprocess.run([sys.executable, "-c", NUMPY_SCRIPT, csv_path, model, json.dumps(sample_rows)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def read_rows(path, rows):
    wanted, found = set(rows), {}
    with open(path) as f:
        next(f)
        for i, line in enumerate(f):
            if i in wanted:
                found[i] = [float(v) for v in line.split(",")]
    return [found[i] for i in rows]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--rows", type=int, default=10_000_000)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, model = os.path.join(tmp, "walk.csv"), os.path.join(tmp, "encoder.safetensors")
        t0 = time.perf_counter()
        generate(csv_path, a.rows)
        print(f"generated {a.rows:,} rows ({os.path.getsize(csv_path) / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        knobs = [arg for k in REFERENCE_MODEL for arg in ("--encoder-param", k, "--decoder-param", k)]
        subprocess.run([a.binary, SAMPLE, "--columns", "CLOSE", "--epochs", "2", "--save-encoder", model,
                        "--output-file", os.path.join(tmp, "sample-features.csv"), "--quiet-mode"] + knobs, check=True)
        ours = run_ours(a.binary, csv_path, model, os.path.join(tmp, "features.csv"), os.path.join(tmp, "log.json"))
        sample_rows = sorted({0, 1, ours["windows"] // 2, ours["windows"] - 1})
        ref = run_numpy(csv_path, model, sample_rows)
        agree = np.allclose(np.array(read_rows(os.path.join(tmp, "features.csv"), sample_rows)),
                            np.array(ref["sample"]), rtol=1e-4, atol=1e-5)
    print(f"encoding {ours['windows']:,} windows of 128 with a saved ANN encoder (hidden 64, interface 32)")
    print(f"{'implementation':44} {'wall s':>7} {'windows/s':>11} {'peak RSS MB':>12}")
    print(f"{'feature-extractor (CSV read and written)':44} {ours['wall_s']:7.1f} {ours['windows_per_s']:11,.0f} "
          f"{ours['rss_coordinator_mb']:12.0f}  (coordinator; the encoder plugin: {ours['rss_encoder_mb']:.0f})")
    print(f"{'numpy (CSV read, features kept in memory)':44} {ref['wall_s']:7.1f} {ref['windows_per_s']:11,.0f} "
          f"{ref['rss_mb']:12.0f}")
    print(f"same features on sampled rows: {'yes' if agree else 'NO'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
