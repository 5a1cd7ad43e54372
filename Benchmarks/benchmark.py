#!/usr/bin/env python3
"""The project's training benchmark, with its baselines measured in the same run.

Runs feature-extractor (release build, bundled ANN plugins) on eurusd_1h_d1.csv CLOSE
with window 128, interface 32, batch 128, 5 epochs, seed 42, validating on
eurusd_1h_d2.csv, and reports wall time, training and encode windows/s, validation
MSE (normalised) and the peak RSS of the coordinator and of each plugin. The same
job then runs in the reference implementations of Benchmarks/reference_ann.py
(numpy always; torch and keras when installed), and the window-mean baseline MSE is
printed beside them.

Speed is compared on the SAME model only, for two shapes (SHAPES below): the bundled ANN's
default (hidden 64, interface 32) and the original tool's ANN (hidden 128-64-32-16, tanh,
interface 4, its default). For each, our run is configured to be exactly the references' model
(no spectral layer, no PCA path, lr 1e-3, tanh) and the table prints ours / PyTorch and
ours / numpy. Our defaults (spectral input and the fitted PCA path: a different, larger model)
are measured too, for information, never as a ratio. Then each sequence family (cnn, lstm,
transformer: encoder and decoder of the same family, defaults) runs the same job with 3
epochs, next to its speed target (--families-only runs just that). Last, each family on the
original Keras plugins' shapes beside Keras (Benchmarks/families_original.py; Keras skipped with a
message where it is not installed; --families-original-only runs just that, --skip-families-original
leaves it out).

Usage: scripts/benchmark [--repeats N]   (the best of N runs counts for speed)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import families_original

HERE = os.path.dirname(os.path.abspath(__file__))
# The references' threads (reference_ann.TORCH_THREADS; numpy's OpenBLAS uses every core): our
# encode figure for the comparison uses as many plugin processes.
CORES = os.cpu_count() or 1
REPO = os.path.dirname(HERE)
SAMPLE = os.path.join(REPO, "data", "sample")


def run_ours(binary, extra, repeats, epoch_count=5, interface=32):
    """Best-of-N run of the CLI; returns the figures of the fastest run."""
    best = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "log.json")
            args = [binary, os.path.join(SAMPLE, "eurusd_1h_d1.csv"),
                    "--validation-file", os.path.join(SAMPLE, "eurusd_1h_d2.csv"), "--columns", "CLOSE",
                    "--window-size", "128", "--initial-size", str(interface), "--batch-size", "128", "--epochs", str(epoch_count),
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


# The shapes compared on the same model: hidden widths from the window side, interface size,
# and our plugin knobs that build exactly that model (the references' model: no spectral layer,
# no PCA path, tanh, Adam lr 1e-3, Glorot weights, zero biases).
SHAPES = [
    ("default ANN", [64], 32, {"intermediate_layers": 1, "initial_layer_size": 0, "layer_size_divisor": 2}),
    ("original ANN", [128, 64, 32, 16], 4, {"intermediate_layers": 4, "initial_layer_size": 128, "layer_size_divisor": 2}),
]
SAME_MODEL = {"spectral": "false", "linear_path": "false", "activation": "tanh"}


def same_model_args(knobs):
    args = ["--learning-rate", "0.001"]
    for key, value in list(knobs.items()) + list(SAME_MODEL.items()):
        args += ["--encoder-param", f"{key}={value}", "--decoder-param", f"{key}={value}"]
    return args


def run_throughput(binary, knobs, interface, processes=1, dense=False):
    """Our encoder's forward alone through sandboxed processes (`plugin throughput`), batches of 4096
    like the references' encode figure: windows/s. The batches are stride-1 windows of a series,
    sent as `run` sends them (as their stretch of the series; every row's values with `dense`); the
    references get their windows ready-made. `processes` copies take the batches as they free up, as
    `run` does for long inputs (one per core), to set beside the references using every core. A
    million windows a pass (0.2 s here): shorter passes mostly measure how the scheduler places
    three processes on two cores in their first milliseconds."""
    args = [binary, "plugin", "throughput", "encoder", "ann", "--window", "128", "--interface", str(interface),
            "--batch", "4096", "--windows", "1000000", "--processes", str(processes)] + (["--dense"] if dense else [])
    for key, value in list(knobs.items()) + list(SAME_MODEL.items()):
        args += ["--param", f"{key}={value}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def run_references(hidden, interface):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ref.json")
        subprocess.run([sys.executable, os.path.join(HERE, "reference_ann.py"), "--json", out,
                        "--hidden", ",".join(map(str, hidden)), "--interface", str(interface)],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def print_shape(label, hidden, interface, ours, ref):
    print()
    print(f"{label}: window 128, hidden {'-'.join(map(str, hidden))}, interface {interface}, tanh, batch 128, "
          f"5 epochs, seed 42 (same model, same initialisation scheme, same batches)")
    print(f"{'implementation':38} {'train win/s':>12} {'encode win/s':>13} {'val MSE':>10}  params enc/dec")
    print(f"{'feature-extractor (encode: + CSV written)':38} {ours['train_windows_per_s']:12,.0f} {ours['encode_windows_per_s']:13,.0f} "
          f"{ours['validation_mse']:10.3e}  {ours['parameters_encoder']}/{ours['parameters_decoder']}")
    print(f"{'feature-extractor encoder forward, 1 proc':38} {'':>12} {ours['forward_windows_per_s']:13,.0f}")
    print(f"{'feature-extractor encoder forward, ' + str(CORES) + ' proc':38} {'':>12} "
          f"{ours['forward_windows_per_s_all_cores']:13,.0f}")
    print(f"{'  the same, every row sent (--dense)':38} {'':>12} "
          f"{ours['forward_windows_per_s_all_cores_dense']:13,.0f}")
    for name, f in ref["implementations"].items():
        if "skipped" in f or "error" in f:
            print(f"{'reference ' + name:38} {f.get('skipped') or f.get('error')}")
            continue
        print(f"{'reference ' + name:38} {f['train_windows_per_s']:12,.0f} {f['encode_windows_per_s']:13,.0f} "
              f"{f['validation_mse']:10.3e}")
    for name in ("torch", "numpy"):
        f = ref["implementations"].get(name, {})
        if "train_windows_per_s" in f:
            print(f"  ours / {name}: training {ratio(ours['train_windows_per_s'], f['train_windows_per_s'])}, "
                  f"encode {ratio(ours['forward_windows_per_s_all_cores'], f['encode_windows_per_s'])} (encoder forward "
                  f"only, {CORES} processes as the reference uses {CORES} threads; one process "
                  f"{ratio(ours['forward_windows_per_s'], f['encode_windows_per_s'])}; `run` with the CSV written "
                  f"{ratio(ours['encode_windows_per_s'], f['encode_windows_per_s'])})")
        else:
            print(f"  ours / {name}: n/a ({f.get('skipped') or f.get('error') or 'not run'})")


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
    p.add_argument("--families-original-only", action="store_true",
                   help="only the families on the original's shapes beside Keras (Benchmarks/families_original.py)")
    p.add_argument("--skip-families-original", action="store_true",
                   help="leave out the families on the original's shapes")
    a = p.parse_args()

    if a.families_original_only:
        # Two runs of ours suffice here: these shapes are slow (LSTM and attention over 128 steps).
        original = families_original.run_families_original(a.binary, min(a.repeats, 2), families_original.EPOCHS)
        families_original.print_families_original(original)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"families_original": original}, f, indent=2)
        return

    if a.families_only:
        families = run_families(a.binary, a.repeats)
        print_families(families)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"families": families}, f, indent=2)
        return

    shapes = {}
    for label, hidden, interface, knobs in SHAPES:
        ours_run = run_ours(a.binary, same_model_args(knobs), a.repeats, interface=interface)
        ours_run["forward_windows_per_s"] = run_throughput(a.binary, knobs, interface)
        ours_run["forward_windows_per_s_all_cores"] = run_throughput(a.binary, knobs, interface, processes=CORES)
        ours_run["forward_windows_per_s_all_cores_dense"] = run_throughput(
            a.binary, knobs, interface, processes=CORES, dense=True)
        shapes[label] = {"hidden": hidden, "interface": interface, "ours": ours_run,
                         "reference": run_references(hidden, interface)}
    ours = {
        "feature-extractor (defaults)": run_ours(a.binary, [], a.repeats),
        "feature-extractor (defaults, no sandbox)": run_ours(a.binary, ["--no-sandbox"], a.repeats),
    }
    startup = {}
    for label, extra in (("sandboxed", []), ("no sandbox", ["--no-sandbox"])):
        out = subprocess.run([a.binary, "plugin", "startup-time", "encoder", "ann", "--repeat", "30"] + extra,
                             check=True, capture_output=True, text=True).stdout.strip()
        startup[label] = out

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores")
    print("ANN autoencoders on eurusd_1h_d1.csv CLOSE, validated on eurusd_1h_d2.csv")
    for label, shape in shapes.items():
        print_shape(label, shape["hidden"], shape["interface"], shape["ours"], shape["reference"])
    print()
    print("Our defaults (spectral input and a fitted PCA path beside the network: another model, no ratio)")
    print(f"{'run':38} {'train win/s':>12} {'encode win/s':>13} {'val MSE':>10} {'wall s':>7}  peak RSS MB (coord/enc/dec)")
    for name, f in ours.items():
        print(f"{name:38} {f['train_windows_per_s']:12,.0f} {f['encode_windows_per_s']:13,.0f} {f['validation_mse']:10.3e} "
              f"{f['wall_s']:7.2f}  {f['rss_coordinator_mb']:.0f}/{f['rss_encoder_mb']:.0f}/{f['rss_decoder_mb']:.0f}")
    sandboxed, bare = ours["feature-extractor (defaults)"], ours["feature-extractor (defaults, no sandbox)"]
    cost = (bare["train_windows_per_s"] / sandboxed["train_windows_per_s"] - 1) * 100
    print(f"sandbox cost on training throughput: {cost:+.1f}% (best of {a.repeats} each)")
    for label, line in startup.items():
        print(f"plugin start-up (spawn to handshake), {label}: {line}")
    ref = {"shapes": {k: v["reference"] for k, v in shapes.items()}}
    families = {} if a.skip_families else run_families(a.binary, a.repeats)
    if families:
        print_families(families)
    original = {} if a.skip_families_original else families_original.run_families_original(
        a.binary, min(a.repeats, 2), families_original.EPOCHS)
    if original:
        families_original.print_families_original(original)
    print("figures from the same machine, same run; speeds are the best of the repeats")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"shapes": shapes, "ours": ours, "reference": ref, "startup": startup, "families": families,
                       "families_original": original}, f, indent=2)


if __name__ == "__main__":
    main()
