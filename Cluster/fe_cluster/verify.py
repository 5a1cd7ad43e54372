"""Checks a shard's report (untrusted: it comes back from a worker) and merges the shards'
files, hashing the very bytes that are merged."""

import hashlib
import os
import re

from .errors import ShardRefused

HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_OUTPUT_BYTES = 1 << 40  # a shard's file; more is not an output of this tool
MAX_ROWS = 1 << 40
CHUNK = 1 << 20


def sha256_file(path, limit=MAX_OUTPUT_BYTES):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ShardRefused(f"{path}: larger than {limit} bytes")
            digest.update(chunk)
    return digest.hexdigest(), size


def _field(obj, key, kind, where):
    value = obj.get(key) if isinstance(obj, dict) else None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ROWS):
        raise ShardRefused(f"{where}: '{key}' must be a whole number from 0 to {MAX_ROWS}, got {str(value)[:40]!r}")
    if kind is str and (not isinstance(value, str) or len(value) > 4096):
        raise ShardRefused(f"{where}: '{key}' must be a string of at most 4096 characters")
    if kind is bool and not isinstance(value, bool):
        raise ShardRefused(f"{where}: '{key}' must be true or false")
    return value


def check_report(result, count, expected_models, previous_end):
    """The shard report of `result` (one task's return), checked field by field against what
    the driver asked: its place among `count` shards, contiguous with the shard before it
    (`previous_end`), the models the driver sent (`expected_models`: role -> sha256), and one
    digest per file the driver asked for. Returns the report's outputs by file path."""
    index = result["index"]
    where = f"shard {index}/{count}"
    summary = result.get("summary")
    if not isinstance(summary, dict) or not isinstance(summary.get("shard"), dict):
        raise ShardRefused(f"{where}: the run's summary has no shard report (is the CLI too old for --shard?)")
    report = summary["shard"]
    if _field(report, "selection", str, where) != f"shard {index}/{count}":
        raise ShardRefused(f"{where}: the report is for {report['selection'][:40]!r}")
    rows = report.get("rows")
    if not (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, int) and not isinstance(r, bool) for r in rows)
            and 0 <= rows[0] <= rows[1] <= MAX_ROWS):
        raise ShardRefused(f"{where}: 'rows' must be [start, end] with 0 <= start <= end")
    if rows[0] != previous_end:
        raise ShardRefused(f"{where}: starts at row {rows[0]}, but the shard before it ended at {previous_end}")
    if _field(report, "header", bool, where) != (index == 0):
        raise ShardRefused(f"{where}: only shard 0 writes the header")
    _field(report, "windows", int, where)
    for role, expected in expected_models.items():
        got = report.get(f"{role}_sha256")
        if got != expected:
            raise ShardRefused(
                f"{where}: made with another {role} model (sha256 {str(got)[:64]}, sent {expected}); refused")
    outputs = report.get("outputs")
    if not isinstance(outputs, list) or len(outputs) > 16:
        raise ShardRefused(f"{where}: 'outputs' must be a short list")
    by_path = {}
    for o in outputs:
        path = _field(o, "path", str, where)
        if not HEX64.fullmatch(_field(o, "sha256", str, where)):
            raise ShardRefused(f"{where}: the digest of {path} is not 64 lower-case hex digits")
        if _field(o, "bytes", int, where) > MAX_OUTPUT_BYTES:
            raise ShardRefused(f"{where}: {path} claims {o['bytes']} bytes, more than {MAX_OUTPUT_BYTES}")
        by_path[path] = o
    for kind, path in result["files"].items():
        if path not in by_path:
            raise ShardRefused(f"{where}: the report has no digest for its {kind} output")
    return rows, by_path


def merge(results, kind, destination, reports):
    """Concatenates every shard's `kind` file into a temporary file beside `destination`,
    hashing each shard's bytes as they are copied and refusing any that do not match its
    report. Returns the temporary file (the caller renames it into place) and its digest."""
    directory = os.path.dirname(os.path.abspath(destination))
    temp = os.path.join(directory, f".{os.path.basename(destination)}.merging-{os.getpid()}")
    whole = hashlib.sha256()
    try:
        with open(temp, "wb") as out:
            for result in results:
                path = result["files"][kind]
                claimed = reports[result["index"]][path]
                digest, size = hashlib.sha256(), 0
                with open(path, "rb") as f:
                    while chunk := f.read(CHUNK):
                        size += len(chunk)
                        if size > claimed["bytes"]:
                            break
                        digest.update(chunk)
                        whole.update(chunk)
                        out.write(chunk)
                if size != claimed["bytes"] or digest.hexdigest() != claimed["sha256"]:
                    raise ShardRefused(
                        f"shard {result['index']}: its {kind} output does not match the digest it reported "
                        f"({size} bytes, sha256 {digest.hexdigest()[:16]}..., reported {claimed['bytes']} bytes, "
                        f"{claimed['sha256'][:16]}...): altered or truncated after the run; nothing was written")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _remove(temp)
        raise
    return temp, whole.hexdigest()


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
