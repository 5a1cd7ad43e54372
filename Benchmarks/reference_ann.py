#!/usr/bin/env python3
"""Reference implementations of the project's default ANN autoencoder, for benchmarks.

The Swift project trains a fully connected autoencoder on stride-1 windows of one
time-series column. Throughput figures only mean something next to a reference
measured in the same run on the same machine, so this script trains the same
model with:

  numpy  hand-written forward/backward/Adam, float32 matmuls (always available)
  torch  PyTorch, if importable (otherwise reported as skipped)
  keras  Keras (Keras 3 with any backend, or tf.keras), if importable

Model (the Swift ANN encoder/decoder pair; --hidden lists the hidden widths from the window
side, 64 by default = the bundled ANN's default, 128,64,32,16 = the original tool's shape):
  encoder  Dense(window -> h1, act) -> ... -> Dense(hk -> interface, linear)
  decoder  Dense(interface -> hk, act) -> ... -> Dense(h1 -> window, linear)
Glorot-uniform weights, zero biases, float32; loss = mean squared error over every
value of the batch; Adam(lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7).

All implementations start from the SAME initial weights (drawn once with numpy) and
see the SAME batches in the SAME order (a fresh seeded shuffle generator each), so
their validation MSEs should agree closely; a large disagreement means a bug, not
noise.

Figures per implementation:
  train_windows_per_s             training windows / training seconds, all epochs
                                  (batch gathering and shuffling included, as in the
                                  Swift Trainer; validation excluded)
  train_windows_per_s_last_epoch  the same for the last epoch only (no one-off warm-up
                                  such as graph tracing; the Swift CLI prints this one)
  encode_windows_per_s            encoder forward only, every training window, batches
                                  of 4096; best of --encode-repeats passes after one
                                  untimed warm-up batch
  validation_mse                  after the last epoch, normalised units, mean over
                                  every value of every validation window
  seconds                         training seconds (all epochs)
The window-mean baseline (each validation window reconstructed by its own mean) is
computed once.

Usage:
  python3 Benchmarks/reference_ann.py [TRAIN.csv] [--validation VAL.csv] [--json OUT.json]
  python3 Benchmarks/reference_ann.py --check-gradients
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import sys
import time
import traceback
from typing import Callable

import numpy as np

_SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sample")
DEFAULT_TRAIN = os.path.normpath(os.path.join(_SAMPLES, "eurusd_1h_d1.csv"))
DEFAULT_VALIDATION = os.path.normpath(os.path.join(_SAMPLES, "eurusd_1h_d2.csv"))
INFERENCE_BATCH = 4096  # the Swift Trainer's inference batch
TORCH_THREADS = os.cpu_count() or 1  # every core, as numpy's OpenBLAS and our encode processes (benchmark.py)
ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON = 0.9, 0.999, 1e-7


# --------------------------------------------------------------------------- data

def read_column(path: str, column: str) -> np.ndarray:
    """One numeric column of a headed CSV, as float64 (csv module only)."""
    values: list[float] = []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise SystemExit(f"{path}: no column {column!r} (header: {reader.fieldnames})")
        for row in reader:  # DictReader skips blank lines
            try:
                values.append(float(row[column]))
            except (TypeError, ValueError):
                raise SystemExit(f"{path}:{reader.line_num}: {column} is not a number: {row[column]!r}")
    return np.asarray(values, dtype=np.float64)


def windows_of(series: np.ndarray, window: int) -> np.ndarray:
    """Stride-1 windows as one contiguous float32 [count, window] array.

    Materialised once (30k x 128 x 4 bytes is ~15 MB) so that gathering a shuffled
    batch is a single fancy-index copy, like the Swift WindowCatalog.fill.
    """
    if len(series) < window:
        raise SystemExit(f"series of {len(series)} values is shorter than the window ({window})")
    view = np.lib.stride_tricks.sliding_window_view(series, window)
    return np.ascontiguousarray(view, dtype=np.float32)


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, dict]:
    train_raw = read_column(args.train_csv, args.column)
    val_raw = read_column(args.validation, args.column)
    # Min-max statistics of the TRAINING file only, as the Swift NormalizationStats:
    # validation values may fall outside [0, 1]. A constant column gets scale 1.
    low, high = float(train_raw.min()), float(train_raw.max())
    scale = high - low if high > low else 1.0
    train = windows_of((train_raw - low) / scale, args.window)
    val = windows_of((val_raw - low) / scale, args.window)
    info = {"train_rows": len(train_raw), "validation_rows": len(val_raw),
            "train_windows": len(train), "validation_windows": len(val),
            "min": low, "max": high}
    return train, val, info


def window_mean_baseline(windows: np.ndarray) -> float:
    """MSE of reconstructing every window by its own mean (= mean per-window variance)."""
    w = windows.astype(np.float64)
    return float(np.mean((w - w.mean(axis=1, keepdims=True)) ** 2))


def reconstruction_mse(reconstruct: Callable[[np.ndarray], np.ndarray], windows: np.ndarray) -> float:
    """Mean squared error over every value, accumulated in float64 batch by batch."""
    total = 0.0
    for s in range(0, len(windows), INFERENCE_BATCH):
        x = windows[s:s + INFERENCE_BATCH]
        diff = np.asarray(reconstruct(x), dtype=np.float64) - x
        total += float(np.sum(diff * diff))
    return total / windows.size


# --------------------------------------------------------------------------- model

def layer_shapes(window: int, hidden: list[int], interface: int) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of every Dense layer: the encoder's, then the decoder's (its mirror)."""
    widths = [window] + hidden + [interface] + hidden[::-1] + [window]
    return list(zip(widths[:-1], widths[1:]))


ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def activate(name: str, x: np.ndarray) -> np.ndarray:
    """The hidden layers' activation, in place."""
    if name == "tanh":
        np.tanh(x, out=x)
    elif name == "relu":
        np.maximum(x, 0, out=x)
    elif name == "sigmoid":
        np.negative(x, out=x)
        np.exp(x, out=x)
        x += 1
        np.reciprocal(x, out=x)
    return x


def activation_derivative(name: str, y: np.ndarray) -> np.ndarray:
    """d act / d input, from the activation's output y (all four allow that)."""
    if name == "tanh":
        return 1 - y * y
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "sigmoid":
        return y * (1 - y)
    return np.ones_like(y)


def glorot_parameters(shapes: list[tuple[int, int]], rng: np.random.Generator) -> list[np.ndarray]:
    """[W0, b0, W1, b1, ...]: W [fan_in, fan_out] ~ U(-l, l), l = sqrt(6 / (fan_in + fan_out)); b = 0."""
    params = []
    for fan_in, fan_out in shapes:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, dtype=np.float32))
    return params


class NumpyAutoencoder:
    """Hand-written autoencoder and Keras-form Adam.

    Works in any float dtype: float32 for the benchmark, float64 for the gradient
    check, which therefore exercises exactly the code that trains.

    All parameters are views into one flat buffer (and all gradients into another),
    so Adam is a handful of vectorised operations over ~20k values instead of a
    Python loop over eight small arrays.
    """

    def __init__(self, params: list[np.ndarray], dtype=np.float32, learning_rate: float = 1e-3,
                 activation: str = "tanh"):
        self.dtype = np.dtype(dtype)
        self.activation = activation
        self.layers = len(params) // 2
        self.encoder_layers = self.layers // 2
        total = sum(p.size for p in params)
        self.flat = np.empty(total, dtype=self.dtype)
        self.grad_flat = np.zeros(total, dtype=self.dtype)
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        offset = 0
        for p in params:
            view = self.flat[offset:offset + p.size].reshape(p.shape)
            view[...] = p
            self.params.append(view)
            self.grads.append(self.grad_flat[offset:offset + p.size].reshape(p.shape))
            offset += p.size
        # Adam state and scratch buffers (preallocated: no allocation per step).
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self.scratch = np.empty_like(self.flat)
        self.learning_rate = learning_rate
        self.beta1_power = 1.0
        self.beta2_power = 1.0

    def _run(self, x: np.ndarray, first: int, last: int, keep: list | None = None) -> np.ndarray:
        """Layers first..<last; the last of each half (encoder, decoder) is linear."""
        for i in range(first, last):
            x = x @ self.params[2 * i] + self.params[2 * i + 1]
            if i != self.encoder_layers - 1 and i != self.layers - 1:
                activate(self.activation, x)
            if keep is not None:
                keep.append(x)
        return x

    def encode(self, x: np.ndarray) -> np.ndarray:
        return self._run(x, 0, self.encoder_layers)

    def decode(self, z: np.ndarray) -> np.ndarray:
        return self._run(z, self.encoder_layers, self.layers)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.decode(self.encode(x))

    def loss(self, x: np.ndarray) -> float:
        diff = self.reconstruct(x) - x
        return float(np.mean(diff * diff))

    def loss_and_gradients(self, x: np.ndarray) -> float:
        """MSE of the batch; writes dLoss/dParameter into self.grads."""
        # Forward, keeping every layer's output for the backward pass.
        outputs: list[np.ndarray] = []
        y = self._run(x, 0, self.layers, keep=outputs)
        d = y - x
        flat_d = d.reshape(-1)
        loss = float(flat_d @ flat_d) / d.size
        # dL/dy of mean((y - x)^2) over all values, in place.
        d *= self.dtype.type(2.0 / d.size)
        for i in range(self.layers - 1, -1, -1):
            if i != self.encoder_layers - 1 and i != self.layers - 1:
                d *= activation_derivative(self.activation, outputs[i])
            layer_input = outputs[i - 1] if i > 0 else x
            np.matmul(layer_input.T, d, out=self.grads[2 * i])
            np.sum(d, axis=0, out=self.grads[2 * i + 1])
            if i > 0:
                d = d @ self.params[2 * i].T
        return loss

    def adam_step(self) -> None:
        """Adam as Keras (and the Swift PluginKit Adam) implement it: the bias
        correction is folded into lr_t, so eps acts on the uncorrected sqrt(v)."""
        self.beta1_power *= ADAM_BETA1
        self.beta2_power *= ADAM_BETA2
        lr_t = self.learning_rate * math.sqrt(1 - self.beta2_power) / (1 - self.beta1_power)
        g, m, v, s = self.grad_flat, self.m, self.v, self.scratch
        m *= ADAM_BETA1
        np.multiply(g, 1 - ADAM_BETA1, out=s)
        m += s
        v *= ADAM_BETA2
        np.multiply(g, g, out=s)
        s *= 1 - ADAM_BETA2
        v += s
        np.sqrt(v, out=s)
        s += ADAM_EPSILON
        np.divide(m, s, out=s)
        s *= lr_t
        self.flat -= s


# --------------------------------------------------------------------------- implementations
#
# Each implementation offers train_epoch(windows, order, batch) -> training MSE,
# encode(x) and reconstruct(x) (numpy in, array-like out), plus name/version.

class NumpyImplementation:
    name = "numpy"

    def __init__(self, init: list[np.ndarray], args: argparse.Namespace):
        self.version = np.__version__
        self.model = NumpyAutoencoder(init, np.float32, args.learning_rate, args.activation)

    def train_epoch(self, windows: np.ndarray, order: np.ndarray, batch: int) -> float:
        total = 0.0
        for s in range(0, len(order), batch):
            xb = windows[order[s:s + batch]]
            total += self.model.loss_and_gradients(xb) * len(xb)
            self.model.adam_step()
        return total / len(order)

    def encode(self, x: np.ndarray) -> np.ndarray:
        return self.model.encode(x)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.model.reconstruct(x)


class TorchImplementation:
    name = "torch"

    def __init__(self, init: list[np.ndarray], args: argparse.Namespace):
        import torch  # ImportError -> "skipped (not installed)"
        from torch import nn

        self.torch = torch
        self.version = torch.__version__
        torch.set_num_threads(TORCH_THREADS)
        linears = [nn.Linear(w.shape[0], w.shape[1]) for w in init[0::2]]
        with torch.no_grad():
            for lin, w, b in zip(linears, init[0::2], init[1::2]):
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))  # torch stores [out, in]
                lin.bias.copy_(torch.from_numpy(b))
        act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}[args.activation]

        def stack(layers):
            out = []
            for i, lin in enumerate(layers):
                out.append(lin)
                if i < len(layers) - 1:
                    out.append(act())
            return nn.Sequential(*out)

        half = len(linears) // 2
        self.encoder = stack(linears[:half])
        self.decoder = stack(linears[half:])
        self.model = nn.Sequential(self.encoder, self.decoder)
        # torch's Adam applies eps to the bias-corrected sqrt(v_hat); the numpy/Keras
        # form applies it to sqrt(v). With eps = 1e-7 the difference is negligible.
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=args.learning_rate,
                                          betas=(ADAM_BETA1, ADAM_BETA2), eps=ADAM_EPSILON)

    def train_epoch(self, windows: np.ndarray, order: np.ndarray, batch: int) -> float:
        torch = self.torch
        x = torch.from_numpy(windows)  # shares memory, no copy
        idx = torch.from_numpy(order)
        total = 0.0
        self.model.train()
        for s in range(0, len(order), batch):
            xb = x.index_select(0, idx[s:s + batch])
            self.optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(self.model(xb), xb)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * xb.shape[0]
        return total / len(order)

    def encode(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.encoder(self.torch.from_numpy(x)).numpy()

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x)).numpy()


class KerasImplementation:
    name = "keras"

    def __init__(self, init: list[np.ndarray], args: argparse.Namespace):
        if "KERAS_BACKEND" not in os.environ:
            # Keras 3 defaults to TensorFlow; use whichever backend is installed.
            import importlib.util
            installed = [b for b in ("tensorflow", "jax", "torch") if importlib.util.find_spec(b)]
            if installed:
                os.environ["KERAS_BACKEND"] = installed[0]
        try:
            import keras  # Keras 3 (any backend) or standalone Keras 2
        except ModuleNotFoundError as e:
            if e.name != "keras":
                raise  # Keras is there but its backend is not
            from tensorflow import keras  # tf.keras; if absent too: skipped
        self.version = f"{getattr(keras, '__version__', '?')} ({keras.backend.backend()} backend)"
        layers = keras.layers
        shapes = [w.shape for w in init[0::2]]
        half = len(shapes) // 2

        def stack(part):
            out = [keras.Input(shape=(part[0][0],))]
            for i, (_, fan_out) in enumerate(part):
                out.append(layers.Dense(fan_out, activation=args.activation if i < len(part) - 1 else None))
            return keras.Sequential(out)

        window = shapes[0][0]
        self.encoder = stack(shapes[:half])
        self.decoder = stack(shapes[half:])
        dense = [l for l in self.encoder.layers + self.decoder.layers if isinstance(l, layers.Dense)]
        for d, w, b in zip(dense, init[0::2], init[1::2]):
            d.set_weights([w, b])  # Keras kernels are [in, out], like ours
        inputs = keras.Input(shape=(window,))
        self.model = keras.Model(inputs, self.decoder(self.encoder(inputs)))
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate, beta_1=ADAM_BETA1,
                                                           beta_2=ADAM_BETA2, epsilon=ADAM_EPSILON),
                           loss="mse")

    def train_epoch(self, windows: np.ndarray, order: np.ndarray, batch: int) -> float:
        # One fit() per epoch on pre-shuffled data, so that Keras sees our batch order;
        # the first call includes graph tracing (see train_windows_per_s_last_epoch).
        x = windows[order]
        history = self.model.fit(x, x, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        return float(history.history["loss"][-1])

    def encode(self, x: np.ndarray) -> np.ndarray:
        return self.encoder.predict(x, batch_size=INFERENCE_BATCH, verbose=0)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x, batch_size=INFERENCE_BATCH, verbose=0)


IMPLEMENTATIONS = {"numpy": NumpyImplementation, "torch": TorchImplementation, "keras": KerasImplementation}
# Top-level modules whose absence means "skipped (not installed)" rather than an error.
FRAMEWORK_MODULES = {"torch", "keras", "tensorflow"}


# --------------------------------------------------------------------------- benchmark

def benchmark(impl, train: np.ndarray, val: np.ndarray, args: argparse.Namespace) -> dict:
    shuffle = np.random.default_rng(args.shuffle_seed)  # fresh: every implementation sees the same order
    epoch_seconds, training_mse = [], []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        order = shuffle.permutation(len(train))
        training_mse.append(impl.train_epoch(train, order, args.batch))
        epoch_seconds.append(time.perf_counter() - t0)
    seconds = sum(epoch_seconds)

    validation_mse = reconstruction_mse(impl.reconstruct, val)

    impl.encode(train[:INFERENCE_BATCH])  # warm-up: first-call costs (tracing, allocator) are not throughput
    encode_seconds = math.inf
    for _ in range(args.encode_repeats):
        t0 = time.perf_counter()
        for s in range(0, len(train), INFERENCE_BATCH):
            impl.encode(train[s:s + INFERENCE_BATCH])
        encode_seconds = min(encode_seconds, time.perf_counter() - t0)

    return {
        "version": impl.version,
        "train_windows_per_s": len(train) * args.epochs / seconds,
        "train_windows_per_s_last_epoch": len(train) / epoch_seconds[-1],
        "encode_windows_per_s": len(train) / encode_seconds,
        "validation_mse": validation_mse,
        "seconds": seconds,
        "epoch_seconds": epoch_seconds,
        "training_mse": training_mse,
        "encode_seconds": encode_seconds,
    }


def environment() -> dict:
    # Reported, never changed: the machine may set these for OpenBLAS core detection.
    env = {
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        # Other work on a 2-core machine distorts every figure (OpenBLAS threads
        # especially); the load average at the end tells whether the run was quiet.
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        env["numpy_blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception as e:  # older numpy: no mode="dicts"; the figures matter more than this
        env["numpy_blas"] = f"unavailable ({type(e).__name__})"
    try:
        from threadpoolctl import threadpool_info
        env["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                              for p in threadpool_info()]
    except ImportError:
        env["threadpools"] = "threadpoolctl not installed"
    return env


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def print_table(result: dict, args: argparse.Namespace) -> None:
    d = result["data"]
    print(f"reference ANN autoencoder: window {args.window}, hidden {args.hidden}, interface {args.interface}, "
          f"batch {args.batch}, epochs {args.epochs}, seed {args.seed}, column {args.column}")
    print(f"training   {args.train_csv}: {d['train_windows']} windows")
    print(f"validation {args.validation}: {d['validation_windows']} windows")
    env = result["environment"]
    load = env["load_average"]
    print(f"numpy {env['numpy']}, OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, "
          f"OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE']}, cpus {env['cpu_count']}, "
          f"load average {' '.join(f'{x:.2f}' for x in load) if load else 'n/a'}")
    print()
    header = ("implementation", "train win/s", "last epoch win/s", "encode win/s", "validation MSE", "train s")
    rows = []
    for name, r in result["implementations"].items():
        if "skipped" in r:
            rows.append((name, f"skipped ({r['skipped']})"))
        elif "error" in r:
            rows.append((name, f"FAILED ({r['error']})"))
        else:
            rows.append((name, fmt_rate(r["train_windows_per_s"]), fmt_rate(r["train_windows_per_s_last_epoch"]),
                         fmt_rate(r["encode_windows_per_s"]), f"{r['validation_mse']:.6e}", f"{r['seconds']:.2f}"))
    rows.append(("window-mean baseline", "", "", "", f"{result['baseline_window_mean_mse']:.6e}", ""))
    widths = [max(len(r[i]) for r in [header] + [r for r in rows if len(r) == len(header)])
              for i in range(len(header))]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for r in rows:
        if len(r) != len(header):
            print(f"{r[0].ljust(widths[0])}  {r[1]}")
        else:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def run_implementation(name: str, init: list[np.ndarray], train: np.ndarray, val: np.ndarray,
                       args: argparse.Namespace) -> dict:
    """Figures of one implementation, {"skipped": ...} if its framework is absent,
    or {"error": ...} if it is present but fails (numpy errors propagate)."""
    try:
        # The model goes out of scope on return, so one framework's buffers are
        # released before the next one runs.
        return benchmark(IMPLEMENTATIONS[name](init, args), train, val, args)
    except Exception as e:
        if isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] in FRAMEWORK_MODULES:
            return {"skipped": "not installed"}
        if name == "numpy":
            raise
        # A broken optional framework must not cost the other figures, but it is
        # an error, not a skip: it is reported and fails the exit status.
        traceback.print_exc()
        return {"error": f"{type(e).__name__}: {e}"}


def run_benchmark(args: argparse.Namespace) -> int:
    train, val, data_info = load_data(args)
    baseline = window_mean_baseline(val)
    init = glorot_parameters(layer_shapes(args.window, args.hidden, args.interface),
                             np.random.default_rng(args.seed))
    results = {name: run_implementation(name, init, train, val, args) for name in args.implementations}
    status = 1 if any("error" in r for r in results.values()) else 0

    result = {
        "baseline_window_mean_mse": baseline,
        "implementations": results,
        "environment": environment(),
        "config": {k: getattr(args, k) for k in ("train_csv", "validation", "column", "window", "hidden", "activation",
                                                 "interface", "batch", "epochs", "seed", "learning_rate",
                                                 "encode_repeats")},
        "data": data_info,
    }
    print_table(result, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    return status


# --------------------------------------------------------------------------- gradient check

def check_gradients(args: argparse.Namespace) -> int:
    """Analytic gradients of every parameter vs central finite differences, float64.

    Uses a few real training windows. The biases get small random values first:
    with the zero biases of a fresh model, a backward pass that mishandled a bias
    (or a forward pass that ignored it) could still pass.
    """
    train, _, _ = load_data(args)
    rng = np.random.default_rng(args.seed)
    x = train[rng.choice(len(train), size=args.check_batch, replace=False)].astype(np.float64)
    params = [p.astype(np.float64) for p in
              glorot_parameters(layer_shapes(args.window, args.hidden, args.interface), rng)]
    for b in params[1::2]:
        b[...] = rng.uniform(-0.1, 0.1, size=b.shape)
    model = NumpyAutoencoder(params, np.float64, activation=args.activation)
    model.loss_and_gradients(x)
    analytic = model.grad_flat.copy()

    h = 1e-6  # truncation ~h^2, round-off ~1e-16 * loss / h: both far below the tolerance
    numeric = np.empty_like(analytic)
    for i in range(model.flat.size):
        saved = model.flat[i]
        model.flat[i] = saved + h
        plus = model.loss(x)
        model.flat[i] = saved - h
        minus = model.loss(x)
        model.flat[i] = saved
        numeric[i] = (plus - minus) / (2 * h)

    # Relative to each tensor's largest gradient: round-off of the differences is
    # ~1e-10 absolute, so an element-wise relative test would fail spuriously on
    # near-zero entries, while any real backward-pass bug is of the gradient's order.
    rtol = 1e-6
    half = len(model.params) // 4
    names = [f"{side}.{i}.{kind}" for side in ("encoder", "decoder") for i in range(half) for kind in ("weight", "bias")]
    failed = False
    offset = 0
    print(f"gradient check: batch {args.check_batch}, window {args.window}, hidden {args.hidden}, "
          f"interface {args.interface}, float64, h = {h:g}, pass: max |a - n| <= {rtol:g} max |n|")
    for name, p in zip(names, model.params):
        a, n = analytic[offset:offset + p.size], numeric[offset:offset + p.size]
        offset += p.size
        err, scale = float(np.abs(a - n).max()), float(np.abs(n).max())
        ok = scale > 0 and err <= rtol * scale  # scale 0: a dead gradient proves nothing
        print(f"  {name:18s} {str(p.shape):12s} max |a-n| {err:.2e}  max |n| {scale:.2e}  "
              f"ratio {err / max(scale, 1e-300):.2e}  {'ok' if ok else 'MISMATCH'}")
        failed |= not ok
    print("gradient check " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("train_csv", nargs="?", default=DEFAULT_TRAIN, help="training CSV (default: %(default)s)")
    p.add_argument("--validation", default=DEFAULT_VALIDATION, help="validation CSV (default: %(default)s)")
    p.add_argument("--column", default="CLOSE", help="column to window (default: %(default)s)")
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--hidden", default="64", help="hidden widths from the window side, e.g. 128,64,32,16")
    p.add_argument("--activation", default="tanh", choices=ACTIVATIONS, help="of the hidden layers")
    p.add_argument("--interface", type=int, default=32)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--encode-repeats", type=int, default=3, help="timed encode passes; the best counts")
    p.add_argument("--implementations", default="numpy,torch,keras",
                   help="comma-separated subset of: " + ", ".join(IMPLEMENTATIONS))
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--check-gradients", action="store_true",
                   help="verify the numpy backward pass against finite differences and exit")
    p.add_argument("--check-batch", type=int, default=4, help="windows in the gradient check (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        args.hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    except ValueError:
        p.error("--hidden takes widths separated by commas, e.g. 128,64,32,16")
    if not args.hidden or min(args.hidden) < 1:
        p.error("--hidden needs at least one width, each at least 1")
    for name in ("window", "interface", "batch", "epochs", "encode_repeats", "check_batch"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    args.implementations = [s.strip() for s in args.implementations.split(",") if s.strip()]
    unknown = [s for s in args.implementations if s not in IMPLEMENTATIONS]
    if unknown:
        p.error(f"unknown implementation(s): {', '.join(unknown)}")
    # Shuffling draws from its own stream, so changing the number of weights
    # (e.g. --hidden) does not change the batch order.
    args.shuffle_seed = np.random.SeedSequence(args.seed).spawn(1)[0]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return check_gradients(args) if args.check_gradients else run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
