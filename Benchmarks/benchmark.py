#!/usr/bin/env python3
"""The project's training benchmark, with its baselines measured in the same run.

Runs feature-extractor (release build, bundled ANN plugins) on eurusd_1h_d1.csv CLOSE
with window 128, interface 32, batch 128, 5 epochs, seed 42, validating on
eurusd_1h_d2.csv, and reports wall time, training and encode windows/s, validation
MSE (normalised) and the peak RSS of the coordinator and of each plugin. The same
job then runs in the reference implementations of Benchmarks/reference_ann.py
(numpy always; torch and keras when installed), and the window-mean baseline MSE is
printed beside them.

Two configurations of ours are measured: the defaults (spectral input, lr 3e-3) and
the model identical to the references (no spectral layer, lr 1e-3). Then each sequence
family (cnn, lstm, transformer: encoder and decoder of the same family, defaults) runs
the same job with 3 epochs, next to its speed target (--families-only runs just that).

Usage: scripts/benchmark [--repeats N]   (the best of N runs counts for speed)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SAMPLE = os.path.join(REPO, "data", "sample")


def run_ours(binary, extra, repeats, epoch_count=5):
    """Best-of-N run of the CLI; returns the figures of the fastest run."""
    best = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "log.json")
            args = [binary, os.path.join(SAMPLE, "eurusd_1h_d1.csv"),
                    "--validation-file", os.path.join(SAMPLE, "eurusd_1h_d2.csv"), "--columns", "CLOSE",
                    "--window-size", "128", "--initial-size", "32", "--batch-size", "128", "--epochs", str(epoch_count),
                    "--seed", "42", "--early-stopping-patience", "0",
                    "--output-file", os.path.join(tmp, "features.csv"), "--save-log", log, "--quiet-mode"] + extra
            t0 = time.perf_counter()
            subprocess.run(args, check=True)
            wall = time.perf_counter() - t0
            with open(log) as f:
                s = json.load(f)
        t = s["training"][-1]
        epochs = t["epochs"]
        seconds = sum(e["seconds"] for e in epochs)
        figures = {
            "wall_s": wall,
            "train_windows_per_s": t["training_windows"] * len(epochs) / seconds,
            "encode_windows_per_s": s.get("encode_windows_per_second"),
            "validation_mse": epochs[-1]["validation_mse"],
            "rss_coordinator_mb": s["coordinator_peak_rss_kb"] / 1024,
            "rss_encoder_mb": (s["encoder"].get("peak_rss_kb") or 0) / 1024,
            "rss_decoder_mb": ((s.get("decoder") or {}).get("peak_rss_kb") or 0) / 1024,
            "baseline_window_mean_mse": s["metrics"][0]["baseline_window_mean_mse"],
            "epoch_windows_per_s": [e["windows_per_second"] for e in epochs],
            "validation_mse_by_epoch": [e["validation_mse"] for e in epochs],
            "parameters_encoder": s["encoder"].get("parameter_count"),
            "parameters_decoder": (s.get("decoder") or {}).get("parameter_count"),
        }
        if best is None or figures["train_windows_per_s"] > best["train_windows_per_s"]:
            best = figures
    return best


# The sequence families, each as encoder and decoder with its defaults, on the same job with 3 epochs.
# Targets: ten times the original Keras plugins on the reference machine (training windows/s).
FAMILIES = [("cnn", 36_000), ("lstm", 26_000), ("transformer", 7_000)]
FAMILY_EPOCHS = 3


def run_families(binary, repeats):
    """Each family's encoder + decoder pair with its defaults; the figures of the fastest of `repeats` runs."""
    return {name: dict(run_ours(binary, ["--encoder-plugin", name, "--decoder-plugin", name], repeats, epoch_count=FAMILY_EPOCHS),
                       target_train_windows_per_s=target)
            for name, target in FAMILIES}


def print_families(families):
    print()
    print(f"Sequence families (encoder + decoder of one family, defaults), same job, {FAMILY_EPOCHS} epochs")
    print(f"{'family':12} {'train win/s':>12} {'target':>8} {'encode win/s':>13} {'val MSE':>10} {'baseline':>10} "
          f"{'params enc/dec':>15}  peak RSS MB (coord/enc/dec)")
    for name, f in families.items():
        print(f"{name:12} {f['train_windows_per_s']:12,.0f} {f['target_train_windows_per_s']:8,} {f['encode_windows_per_s']:13,.0f} "
              f"{f['validation_mse']:10.3e} {f['baseline_window_mean_mse']:10.3e} "
              f"{str(f['parameters_encoder']) + '/' + str(f['parameters_decoder']):>15}  "
              f"{f['rss_coordinator_mb']:.0f}/{f['rss_encoder_mb']:.0f}/{f['rss_decoder_mb']:.0f}")
        print(f"{'':12} per epoch: windows/s " + ", ".join(f"{w:,.0f}" for w in f["epoch_windows_per_s"])
              + "; validation MSE " + ", ".join(f"{m:.3e}" for m in f["validation_mse_by_epoch"]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True, help="the release feature-extractor, with its plugins installed")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", help="write all figures here too")
    p.add_argument("--families-only", action="store_true", help="only the CNN, LSTM and transformer section")
    p.add_argument("--skip-families", action="store_true", help="leave out the CNN, LSTM and transformer section")
    a = p.parse_args()

    if a.families_only:
        families = run_families(a.binary, a.repeats)
        print_families(families)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"families": families}, f, indent=2)
        return

    ours = {
        "feature-extractor (defaults)": run_ours(a.binary, [], a.repeats),
        "feature-extractor (no sandbox)": run_ours(a.binary, ["--no-sandbox"], a.repeats),
        "feature-extractor (reference model)": run_ours(
            a.binary, ["--learning-rate", "0.001", "--encoder-param", "spectral=false", "--decoder-param", "spectral=false"], a.repeats),
    }
    startup = {}
    for label, extra in (("sandboxed", []), ("no sandbox", ["--no-sandbox"])):
        out = subprocess.run([a.binary, "plugin", "startup-time", "encoder", "ann", "--repeat", "30"] + extra,
                             check=True, capture_output=True, text=True).stdout.strip()
        startup[label] = out
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ref.json")
        subprocess.run([sys.executable, os.path.join(HERE, "reference_ann.py"), "--json", out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            ref = json.load(f)

    print("ANN autoencoder, eurusd_1h_d1.csv CLOSE, window 128, interface 32, batch 128, 5 epochs, seed 42")
    print(f"{'implementation':38} {'train win/s':>12} {'encode win/s':>13} {'val MSE':>10} {'wall s':>7}  peak RSS MB (coord/enc/dec)")
    for name, f in ours.items():
        print(f"{name:38} {f['train_windows_per_s']:12,.0f} {f['encode_windows_per_s']:13,.0f} {f['validation_mse']:10.3e} "
              f"{f['wall_s']:7.2f}  {f['rss_coordinator_mb']:.0f}/{f['rss_encoder_mb']:.0f}/{f['rss_decoder_mb']:.0f}")
    for name, f in ref["implementations"].items():
        if "skipped" in f or "error" in f:
            print(f"{'reference ' + name:38} {f.get('skipped') or f.get('error')}")
            continue
        print(f"{'reference ' + name:38} {f['train_windows_per_s']:12,.0f} {f['encode_windows_per_s']:13,.0f} "
              f"{f['validation_mse']:10.3e} {f['seconds']:7.2f}  (training seconds)")
    print(f"{'window-mean baseline':38} {'':12} {'':13} {ref['baseline_window_mean_mse']:10.3e}")
    sandboxed, bare = ours["feature-extractor (defaults)"], ours["feature-extractor (no sandbox)"]
    cost = (bare["train_windows_per_s"] / sandboxed["train_windows_per_s"] - 1) * 100
    print(f"sandbox cost on training throughput: {cost:+.1f}% (best of {a.repeats} each)")
    for label, line in startup.items():
        print(f"plugin start-up (spawn to handshake), {label}: {line}")
    families = {} if a.skip_families else run_families(a.binary, a.repeats)
    if families:
        print_families(families)
    print("figures from the same machine, same run; speeds are the best of the repeats")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"ours": ours, "reference": ref, "startup": startup, "families": families}, f, indent=2)


if __name__ == "__main__":
    main()
