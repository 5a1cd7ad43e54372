"""What runs on a worker: the feature-extractor CLI, with the worker's own sandbox policy,
plugins, trust store and signing key (its environment: FEATURE_EXTRACTOR_HOME, ...).

Standard library only: the driver ships this module to the workers by value, so a worker
needs Python, Dask and the CLI, not this package.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import uuid

# Exit codes (README "Exit codes") that the same command would give again: retrying is useless.
PERMANENT_EXITS = {64: "usage or configuration", 65: "bad input data or model", 77: "authentication or role"}
# The CLI's --json summary of a shard is a few kilobytes; anything far larger is not one.
MAX_SUMMARY_BYTES = 1 << 20
MAX_STDERR_BYTES = 64 << 10


class TaskError(RuntimeError):
    """A failure that may pass on another try (a plugin crash, a killed process, a full disk):
    raised, so the engine retries the task."""


def _die_with_parent():
    """The CLI (and, through it, its plugins) dies with the worker thread that started it:
    a killed worker leaves no orphan writing into the staging directory."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_cli(binary, args, timeout=None):
    """Runs the CLI with --json; returns (exit code, parsed summary or None, stderr tail)."""
    process = subprocess.run(
        [binary] + list(args) + ["--json", "--quiet-mode"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=_die_with_parent, timeout=timeout, check=False)
    stderr = process.stderr[-MAX_STDERR_BYTES:].decode("utf-8", "replace").strip()
    summary = None
    if process.returncode == 0:
        if len(process.stdout) > MAX_SUMMARY_BYTES:
            raise TaskError(f"the CLI's summary is {len(process.stdout)} bytes, more than {MAX_SUMMARY_BYTES}")
        try:
            summary = json.loads(process.stdout)
        except ValueError as exc:
            raise TaskError(f"the CLI's summary is not JSON: {exc}") from None
    return process.returncode, summary, stderr


def _outcome(code, summary, stderr, what):
    """A result for the driver, or TaskError (retried) for a failure a retry may fix."""
    if code == 0:
        return summary
    if code in PERMANENT_EXITS:
        # Returned, not raised: the engine must not retry a bad input three times.
        return {"error": {"exit": code, "kind": PERMANENT_EXITS[code], "message": stderr[-2000:], "what": what}}
    if code < 0:
        raise TaskError(f"{what}: the CLI was killed by signal {-code}")
    raise TaskError(f"{what}: the CLI exited {code}: {stderr[-2000:]}")


def run_shard(spec):
    """One shard: `feature-extractor INPUT --load-encoder M --shard I/N ...` into a directory
    of its own under the staging directory (a retried attempt never writes over another)."""
    attempt = os.path.join(spec["staging"], f"shard-{spec['index']:05d}-{uuid.uuid4().hex[:12]}")
    os.mkdir(attempt, 0o700)
    outputs = {kind: os.path.join(attempt, name) for kind, name in spec["outputs"].items()}
    args = [spec["input"], "--load-encoder", spec["encoder"], "--shard", f"{spec['index']}/{spec['count']}"]
    if spec.get("decoder"):
        args += ["--load-decoder", spec["decoder"]]
    args += ["--output-file", outputs["features"]]
    if "reconstruction" in outputs:
        args += ["--evaluate-decoder", outputs["reconstruction"]]
    args += spec.get("cli_args", [])
    started = time.time()
    code, summary, stderr = run_cli(spec["binary"], args, timeout=spec.get("timeout"))
    summary = _outcome(code, summary, stderr, f"shard {spec['index']}/{spec['count']}")
    return {
        "index": spec["index"], "attempt": attempt, "files": outputs, "summary": summary,
        "seconds": time.time() - started, "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


def run_configuration(spec):
    """One configuration of a search: trains one interface size with the configuration's
    options and returns the CLI's summary (its validation window MSE decides)."""
    args = [spec["input"], "--initial-size", str(spec["interface_size"]), "--output-file", os.devnull]
    args += spec.get("cli_args", []) + spec.get("options", [])
    started = time.time()
    code, summary, stderr = run_cli(spec["binary"], args, timeout=spec.get("timeout"))
    summary = _outcome(code, summary, stderr, f"configuration {spec['label']}")
    return {"label": spec["label"], "interface_size": spec["interface_size"], "summary": summary,
            "seconds": time.time() - started, "worker": f"{socket.gethostname()}:{os.getpid()}"}
