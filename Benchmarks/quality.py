#!/usr/bin/env python3
"""Reconstruction quality against PCA of the same size, on several splits.

Every bundled family (each name with an encoder and a decoder manifest under Plugins/) runs
with its defaults (ann 5 epochs, other trained families 3; pca and jumps are fitted in closed
form) on CLOSE, window 128, interface 32, batch 128, seed 42. Each run reports the validation
window MSE (normalised units, mean over every value of every validation window) and PCA-32
fitted on the same training windows and evaluated on the same validation windows; the ratio is
ours / PCA (below 1 beats PCA).

Splits, all made from the bundled sample: d1 -> d2 (the demo's), d2 -> d1, and the first
70% of d1 -> its last 30%.

Usage: scripts/benchmark --quality [--families ann,pca,...] [--json FILE]
"""

import argparse
import csv
import glob
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(HERE), "data", "sample")
PLUGINS = os.path.join(os.path.dirname(HERE), "Plugins")
# Epochs a family trains for when it is not the default; the closed-form ones fit and need none.
EPOCHS = {"ann": 5, "pca": 0, "jumps": 0}
DEFAULT_EPOCHS = 3


def bundled_families():
    """Names that have both an encoder and a decoder manifest: found, not listed, so a new family counts."""
    def names(role_folder):
        found = set()
        for path in glob.glob(os.path.join(PLUGINS, role_folder, "*", "plugin.json")):
            with open(path) as f:
                found.add(json.load(f)["name"])
        return found
    return sorted(names("Encoders") & names("Decoders"))


def splits(tmp):
    d1, d2 = os.path.join(SAMPLE, "eurusd_1h_d1.csv"), os.path.join(SAMPLE, "eurusd_1h_d2.csv")
    with open(d1) as f:
        rows = list(csv.reader(f))
    cut = 1 + int((len(rows) - 1) * 0.7)
    head, tail = os.path.join(tmp, "d1_first70.csv"), os.path.join(tmp, "d1_last30.csv")
    for path, part in ((head, rows[1:cut]), (tail, rows[cut:])):
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([rows[0]] + part)
    return [("d1 -> d2", d1, d2), ("d2 -> d1", d2, d1), ("d1 70% -> 30%", head, tail)]


def run(binary, family, train, validation, tmp):
    log = os.path.join(tmp, f"log-{family}.json")
    args = [binary, train, "--validation-file", validation, "--columns", "CLOSE", "--window-size", "128",
            "--initial-size", "32", "--batch-size", "128", "--epochs", str(EPOCHS.get(family, DEFAULT_EPOCHS)), "--seed", "42",
            "--encoder-plugin", family, "--decoder-plugin", family,
            "--output-file", os.path.join(tmp, "features.csv"), "--save-log", log, "--quiet-mode"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    with open(log) as f:
        s = json.load(f)
    m, t = s["metrics"][0], s["training"][-1]
    seconds = sum(e["seconds"] for e in t["epochs"])
    return {
        "window_mse": m["window_mse"], "pca_mse": m["baseline_pca_mse"], "ratio": m["pca_ratio"],
        "epochs_run": len(t["epochs"]), "initial_mse": t.get("initial_validation_mse"),
        "best_epoch_mse": min((e["validation_mse"] for e in t["epochs"]), default=None),
        "train_windows_per_s": t["training_windows"] * len(t["epochs"]) / seconds if seconds > 0 else None,
        "wall_s": s["execution_seconds"],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True, help="the release feature-extractor, with its plugins installed")
    p.add_argument("--families", help="comma-separated plugin names (default: every bundled family, "
                                       "found by its manifests under Plugins/)")
    p.add_argument("--json", help="write all figures here too")
    a = p.parse_args()
    families = a.families.split(",") if a.families else bundled_families()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, train, validation in splits(tmp):
            print(f"\n{name}: CLOSE, window 128, interface 32, batch 128, seed 42, defaults")
            print(f"{'family':12} {'epochs':>6} {'val window MSE':>15} {'PCA-32':>10} {'ratio':>7} {'best epoch / PCA':>17} {'train win/s':>12}")
            for family in families:
                r = run(a.binary, family, train, validation, tmp)
                results.setdefault(name, {})[family] = r
                best = f"{r['best_epoch_mse'] / r['pca_mse']:.4f}" if r["best_epoch_mse"] else "-"
                rate = f"{r['train_windows_per_s']:,.0f}" if r["train_windows_per_s"] else "closed form"
                print(f"{family:12} {r['epochs_run']:6} {r['window_mse']:15.4e} {r['pca_mse']:10.4e} {r['ratio']:7.4f} {best:>17} {rate:>12}")
    print("\nratio = validation window MSE / PCA-32's on the same windows; 'best epoch / PCA' is the best trained epoch "
          "before early stopping restores the starting point (PCA) when no epoch beats it")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
