#!/usr/bin/env python3
"""The sequence families on the original tool's shapes, beside Keras (issue 13 item 5).

The Python original (github.com/harveybc/feature-extractor, app/plugins/) built its cnn, lstm
and transformer plugins as Keras models over the raw window (128 steps of one channel). For each
family this section trains, on the same job (eurusd_1h_d1.csv CLOSE, the first MAX_STEPS rows,
validated on eurusd_1h_d2.csv; window 128, interface 4, batch 128, EPOCHS epochs, seed 42,
Adam lr 1e-3 eps 1e-7, MSE), the SAME model twice:

  ours          our plugin pair with the knobs that build the original's encoder and decoder
                layer for layer (OURS below; the parameter counts are printed and must agree)
  keras <b>     the original plugins' encoder + decoder in Keras (ORIGINAL below), once per
                installed backend (torch, jax), each in a process of its own (a backend is
                chosen at import)
  ratio         ours / keras, for each backend and against Keras at its best

Keras sees the batches of Benchmarks/reference_ann.py (one seeded permutation per epoch, one fit()
per epoch on the permuted windows, shuffle off) with 2 threads; it is timed over epochs 2..EPOCHS
(the first epoch traces or compiles; its figure is printed in brackets); a backend run that
takes longer than --keras-timeout seconds is reported as not finished. When Keras or a backend is
not installed its row says "skipped". Ours is the best of --repeats CLI runs over all epochs.
Validation MSE: normalised units (min-max of the training rows), every value of every window.

Usage: python3 Benchmarks/families_original.py --binary PATH [--repeats N] [--epochs N] [--json OUT]
       (scripts/benchmark --families-original-only runs it alone; the full benchmark includes it)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_ann  # noqa: E402  (data loading and windowing shared with the ANN reference)

WINDOW, INTERFACE, BATCH, SEED = 128, 4, 128, 42
EPOCHS = 2
# The first 4,223 training rows: 4,096 windows, 32 full batches. The original shapes run LSTMs and
# attention over 128 steps, ~100x the cost of our defaults; the whole d1 would take most of an hour.
MAX_STEPS = 4223
KERAS_THREADS = 2

# --------------------------------------------------------------------------- the shapes

# Where each original shape comes from. The plugins changed often; commit 4749f0e (the one our
# config fixtures come from) could not be looked up, so these are the stored versions named here.
ORIGINAL = {
    "cnn": {
        "source": "encoder_plugin_cnn.py @fcaab5b3, decoder_plugin_cnn.py @f7fbf30d",
        "encoder": "Conv1D(128,k5)+MaxPool2, Conv1D(68,k5)+MaxPool2, Conv1D(36,k3)+MaxPool2, Conv1D(20,k3)+MaxPool5, "
                   "Conv1D(4,k3)+MaxPool2 (relu, same; 128->64->32->16->3->1 steps), Flatten, Dense(4, tanh)",
        "decoder": "Dense(4, relu), Dense(8, relu), Reshape(8,1), [UpSampling1D(4), Conv1D(1,k3,relu)] x2, "
                   "Conv1D(1,k3,tanh), Reshape(128)",
    },
    "lstm": {
        "source": "encoder_plugin_lstm.py @02b703f4, decoder_plugin_lstm.py @08e0af6d",
        "encoder": "LSTM(128, sequences), LSTM(64, last state), Dense(4, tanh)",
        "decoder": "Dense(4, relu), RepeatVector(128), Bidirectional(LSTM(u, sequences)) for u in 4,8,16,32,64,128, "
                   "TimeDistributed(Dense(1, tanh))",
    },
    "transformer": {
        "source": "encoder_plugin_transformer.py @18146a3b, decoder_plugin_transformer.py @015d39ea",
        "encoder": "per width d in 128,68,4 (heads 8,4,2; ff d/2): Dense(d), MultiHeadAttention, LayerNorm, "
                   "x + FF(relu d/2 -> d), LayerNorm (post-norm, no positions), GlobalAveragePooling1D, Dense(4, tanh)",
        "decoder": "Dense(4, relu), Reshape(4,1), per size 68,128: Dense(64), x + MultiHeadAttention(8 heads, key 64), "
                   "LayerNorm, x + FF(relu size/2 -> 64), LayerNorm, Flatten, Dense(128)",
    },
}

# Our knobs that build the original's models (ORIGINAL), per role; every list is one value per block.
COMMON_KNOBS = {"spectral": "false", "linear_path": "false"}
OURS = {
    "cnn": {
        "both": {"pooling": "max", "activation": "relu", "interface_activation": "tanh", "output_activation": "tanh"},
        "encoder": {"filters": "128,68,36,20,4", "kernel_sizes": "5,5,3,3,3", "pool_sizes": "2,2,2,5,2"},
        "decoder": {"dense_sizes": "4,8", "filters": "1,1,1", "kernel_sizes": "3,3,3", "pool_sizes": "4,4,1"},
    },
    "lstm": {
        "both": {"patch_size": "1", "activation": "relu", "interface_activation": "tanh", "output_activation": "tanh"},
        "encoder": {"units": "128,64"},
        "decoder": {"units": "4,8,16,32,64,128", "bidirectional": "true", "repeat_vector": "true"},
    },
    "transformer": {
        "both": {"patch_size": "1", "activation": "relu", "norm": "post", "positional_encoding": "false"},
        "encoder": {"widths": "128,68,4", "head_counts": "8,4,2", "ff_sizes": "64,34,2", "attention_residual": "false",
                    "readout": "average", "interface_activation": "tanh"},
        "decoder": {"widths": "64,64", "head_counts": "8,8", "key_sizes": "64,64", "ff_sizes": "34,64",
                    "readout": "flatten", "sequence_length": "4"},
    },
}
# Where ours still differs from the original (nothing that changes a layer's shape or cost).
DIFFERS = {
    "cnn": "initialisation only (the original's he_normal encoder kernels; ours Glorot)",
    "lstm": "initialisation only (he_normal there)",
    "transformer": "none in shapes; the original's keras_multi_head also applied relu to the projections",
}
BACKENDS = ("torch", "jax")
KERAS_TIMEOUT = 600

# --------------------------------------------------------------------------- Keras models


def import_keras(backend):
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    if backend == "torch":
        import torch
        torch.set_num_threads(KERAS_THREADS)
    import keras  # ModuleNotFoundError -> skipped
    keras.utils.set_random_seed(SEED)
    return keras


def keras_original(keras, family):
    """The original plugins' encoder and decoder (dropout left out: 0 on both sides)."""
    L = keras.layers
    x_in = keras.Input(shape=(WINDOW,))
    if family == "cnn":
        x = L.Reshape((WINDOW, 1))(x_in)
        for filters, kernel, pool in ((128, 5, 2), (68, 5, 2), (36, 3, 2), (20, 3, 5), (4, 3, 2)):
            x = L.Conv1D(filters, kernel, activation="relu", padding="same", kernel_initializer="he_normal")(x)
            x = L.MaxPooling1D(pool)(x)
        z = L.Dense(INTERFACE, activation="tanh")(L.Flatten()(x))
        z_in = keras.Input(shape=(INTERFACE,))
        y = L.Dense(4, activation="relu")(z_in)
        y = L.Dense(8, activation="relu")(y)
        y = L.Reshape((8, 1))(y)
        for _ in range(2):
            y = L.UpSampling1D(4)(y)
            y = L.Conv1D(1, 3, padding="same", activation="relu")(y)
        y = L.Conv1D(1, 3, padding="same", activation="tanh")(y)
        y = L.Reshape((WINDOW,))(y)
    elif family == "lstm":
        x = L.Reshape((WINDOW, 1))(x_in)
        x = L.LSTM(128, return_sequences=True, kernel_initializer="he_normal")(x)
        x = L.LSTM(64, kernel_initializer="he_normal")(x)
        z = L.Dense(INTERFACE, activation="tanh")(x)
        z_in = keras.Input(shape=(INTERFACE,))
        y = L.Dense(INTERFACE, activation="relu", kernel_initializer="he_normal")(z_in)
        y = L.RepeatVector(WINDOW)(y)
        for units in (4, 8, 16, 32, 64, 128):
            y = L.Bidirectional(L.LSTM(units, return_sequences=True))(y)
        y = L.TimeDistributed(L.Dense(1, activation="tanh"))(y)
        y = L.Reshape((WINDOW,))(y)
    elif family == "transformer":
        # keras_multi_head's MultiHeadAttention(head_num) there: the same four d x d projections
        # with biases as keras.layers.MultiHeadAttention(heads, d / heads) (it also applied relu to them).
        x = L.Reshape((WINDOW, 1))(x_in)
        for d, heads in ((128, 8), (68, 4), (4, 2)):
            x = L.Dense(d)(x)
            x = L.MultiHeadAttention(num_heads=heads, key_dim=d // heads)(x, x)
            x = L.LayerNormalization(epsilon=1e-6)(x)
            f = L.Dense(d // 2, activation="relu")(x)
            x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, L.Dense(d)(f)]))
        z = L.Dense(INTERFACE, activation="tanh")(L.GlobalAveragePooling1D()(x))
        z_in = keras.Input(shape=(INTERFACE,))
        y = L.Reshape((INTERFACE, 1))(L.Dense(INTERFACE, activation="relu")(z_in))
        for size in (68, 128):
            y = L.Dense(64)(y)
            a = L.MultiHeadAttention(num_heads=8, key_dim=64)(y, y)
            y = L.LayerNormalization(epsilon=1e-6)(L.Add()([y, a]))
            f = L.Dense(64)(L.Dense(size // 2, activation="relu")(y))
            y = L.LayerNormalization(epsilon=1e-6)(L.Add()([y, f]))
        y = L.Dense(WINDOW)(L.Flatten()(y))
    else:
        raise ValueError(family)
    return keras.Model(x_in, z, name="encoder"), keras.Model(z_in, y, name="decoder")


def run_keras(keras, family, train, val, epochs):
    encoder, decoder = keras_original(keras, family)
    inputs = keras.Input(shape=(WINDOW,))
    model = keras.Model(inputs, decoder(encoder(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=reference_ann.ADAM_BETA1,
                                                  beta_2=reference_ann.ADAM_BETA2, epsilon=reference_ann.ADAM_EPSILON),
                  loss="mse")
    shuffle = np.random.default_rng(np.random.SeedSequence(SEED).spawn(1)[0])  # reference_ann's batch order
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = shuffle.permutation(len(train))
        x = train[order]
        model.fit(x, x, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        seconds.append(time.perf_counter() - t0)
    later = seconds[1:] or seconds
    return {
        "train_windows_per_s": len(train) * len(later) / sum(later),
        "first_epoch_windows_per_s": len(train) / seconds[0],
        "epoch_seconds": seconds,
        "validation_mse": reference_ann.reconstruction_mse(lambda v: model.predict(v, batch_size=4096, verbose=0), val),
        "parameters_encoder": int(encoder.count_params()),
        "parameters_decoder": int(decoder.count_params()),
    }


# --------------------------------------------------------------------------- ours


def our_args(family, sandbox=True):
    args = ([] if sandbox else ["--no-sandbox"]) + ["--encoder-plugin", family, "--decoder-plugin", family,
                                                    "--learning-rate", "0.001", "--max-steps", str(MAX_STEPS)]
    knobs = OURS[family]
    for role in ("encoder", "decoder"):
        for key, value in {**COMMON_KNOBS, **knobs["both"], **knobs[role]}.items():
            args += [f"--{role}-param", f"{key}={value}"]
    return args


def load_windows():
    """reference_ann's columns and windows, on the first MAX_STEPS training rows (as --max-steps)."""
    train_raw = reference_ann.read_column(reference_ann.DEFAULT_TRAIN, "CLOSE")[:MAX_STEPS]
    val_raw = reference_ann.read_column(reference_ann.DEFAULT_VALIDATION, "CLOSE")
    low, high = float(train_raw.min()), float(train_raw.max())
    scale = high - low if high > low else 1.0
    return (reference_ann.windows_of((train_raw - low) / scale, WINDOW),
            reference_ann.windows_of((val_raw - low) / scale, WINDOW))


def keras_worker(family, backend, epochs):
    """One Keras run in this process (the backend is fixed at import); prints its figures as JSON."""
    keras = import_keras(backend)
    train, val = load_windows()
    figures = run_keras(keras, family, train, val, epochs)
    figures["keras"] = f"keras {keras.__version__} ({keras.backend.backend()})"
    print(json.dumps(figures))


def run_keras_backend(family, backend, epochs, timeout):
    """The Keras original on `backend` in a child process: its figures, or why there are none."""
    import importlib.util
    import subprocess
    missing = [m for m in ("keras", backend) if importlib.util.find_spec(m) is None]
    if missing:
        return {"skipped": f"{missing[0]} is not installed (python3 -m pip install keras {backend})"}
    cmd = [sys.executable, os.path.abspath(__file__), "--keras-worker", family, "--backend", backend,
           "--epochs", str(epochs)]
    env = dict(os.environ, KERAS_BACKEND=backend)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        bound = epochs * MAX_STEPS / timeout
        return {"error": f"not finished in {timeout} s ({epochs} epochs: under {bound:,.0f} windows/s)"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_families_original(binary, repeats, epochs, families=("cnn", "lstm", "transformer"), sandbox=True,
                          backends=BACKENDS, timeout=KERAS_TIMEOUT):
    import benchmark  # run_ours: the CLI run and its --save-log figures

    train, val = load_windows()
    results = {"train_windows": len(train), "validation_windows": len(val), "epochs": epochs,
               "max_steps": MAX_STEPS, "sandbox": sandbox, "load_average": os.getloadavg(), "families": {}}
    for family in families:
        row = {"original": ORIGINAL[family], "ours_knobs": OURS[family], "differs": DIFFERS[family]}
        row["ours"] = benchmark.run_ours(binary, our_args(family, sandbox), repeats, epoch_count=epochs, interface=INTERFACE)
        row["keras"] = {b: run_keras_backend(family, b, epochs, timeout) for b in backends}
        results["families"][family] = row
    results["load_average_after"] = os.getloadavg()
    return results


def print_families_original(results):
    print()
    load = " ".join(f"{v:.2f}" for v in results["load_average"])
    print(f"Families on the original's shapes (the same model on both sides): window {WINDOW}, interface {INTERFACE}, "
          f"batch {BATCH}, {results['epochs']} epochs, seed {SEED}, the first {results['max_steps']} rows of d1 "
          f"({results['train_windows']} windows) validated on d2 ({results['validation_windows']}); load average "
          f"at start {load}" + ("" if results.get("sandbox", True) else "; ours with --no-sandbox"))
    print("ours: best of the repeats, all epochs; keras: epochs 2.. (first epoch, with tracing/compiling, in brackets)")
    print(f"{'family':12} {'model':22} {'train win/s':>16} {'val MSE':>10} {'params enc/dec':>16}  ratio ours/keras")
    for family, row in results["families"].items():
        ours = row["ours"]
        print(f"{family:12} {'ours':22} {ours['train_windows_per_s']:>16,.0f} {ours['validation_mse']:10.3e} "
              f"{ours['parameters_encoder']}/{ours['parameters_decoder']:>7}")
        best = None
        for backend, f in row["keras"].items():
            label = f"keras ({backend})"
            if "skipped" in f or "error" in f:
                print(f"{family:12} {label:22} {f.get('skipped') or f.get('error')}")
                continue
            rate = f"{f['train_windows_per_s']:,.0f} ({f['first_epoch_windows_per_s']:,.0f})"
            same = (f["parameters_encoder"], f["parameters_decoder"]) == (ours["parameters_encoder"],
                                                                         ours["parameters_decoder"])
            ratio = (f"{ours['train_windows_per_s'] / f['train_windows_per_s']:.2f}x" if same
                     else "n/a: parameter counts differ (a bug)")
            print(f"{family:12} {label:22} {rate:>16} {f['validation_mse']:10.3e} "
                  f"{f['parameters_encoder']}/{f['parameters_decoder']:>7}  {ratio}")
            if same and (best is None or f["train_windows_per_s"] > best[1]["train_windows_per_s"]):
                best = (backend, f)
        if best:
            print(f"{family:12} {'vs keras at its best':22} {best[0]:>16} "
                  f"{'':10} {'':>16}  {ours['train_windows_per_s'] / best[1]['train_windows_per_s']:.2f}x")
    for family, row in results["families"].items():
        print(f"{family}: original ({row['original']['source']})")
        print(f"    encoder: {row['original']['encoder']}")
        print(f"    decoder: {row['original']['decoder']}")
        for role in ("encoder", "decoder"):
            knobs = {**row["ours_knobs"]["both"], **row["ours_knobs"][role]}
            print(f"  ours {role}: {' '.join(f'{k}={v}' for k, v in knobs.items())} (+ spectral=false linear_path=false)")
        print(f"  differs: {row['differs']}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", help="the release feature-extractor, with its plugins installed")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--families", default="cnn,lstm,transformer")
    p.add_argument("--backends", default=",".join(BACKENDS), help="Keras backends to measure, each in its own process")
    p.add_argument("--keras-timeout", type=int, default=KERAS_TIMEOUT, help="seconds a Keras run may take")
    p.add_argument("--json", help="write the figures here too")
    p.add_argument("--no-sandbox", action="store_true", help="run our plugins unconfined (as the CLI option)")
    p.add_argument("--keras-worker", help=argparse.SUPPRESS)  # internal: one Keras run for one family
    p.add_argument("--backend", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.keras_worker:
        keras_worker(a.keras_worker, a.backend, a.epochs)
        return 0
    if not a.binary:
        p.error("--binary is required")
    results = run_families_original(a.binary, a.repeats, a.epochs, [f for f in a.families.split(",") if f],
                                    sandbox=not a.no_sandbox, backends=[b for b in a.backends.split(",") if b],
                                    timeout=a.keras_timeout)
    print_families_original(results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    errors = any("error" in k for r in results["families"].values() for k in r["keras"].values()
                 if "not finished" not in k.get("error", ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
