"""Encoding one input as N shards, one task each, merged into the single run's bytes."""

import dataclasses
import os
import shutil
import tempfile
import time

from . import tasks
from .cluster import connect
from .errors import ShardFailed, ShardRefused
from .verify import check_report, merge, sha256_file, _remove

OUTPUT_NAMES = {"features": "features.csv", "reconstruction": "reconstruction.csv"}


@dataclasses.dataclass
class ShardResult:
    """One shard as a task returned it: where its files are and the CLI's summary."""
    index: int
    attempt: str
    files: dict
    summary: dict
    seconds: float
    worker: str

    def as_task_result(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class EncodeResult:
    outputs: dict  # kind -> destination path
    digests: dict  # kind -> sha256 of the merged file
    shards: list  # ShardResult, in order
    abandoned_attempts: int  # attempt directories of killed or failed tries, removed
    seconds: float
    merge_seconds: float  # checking and concatenating the shards' files, on the driver


def model_digest(path):
    return sha256_file(path)[0]


def run_shards(client, *, binary, input, encoder, shards, staging, decoder=None, reconstruction=False,
               cli_args=(), retries=2, indices=None, timeout=None, events=None):
    """Submits one task per shard (or per index in `indices`) and waits for them. A task that
    raises (a crash, a killed CLI) is retried `retries` times by the engine, and one whose
    worker dies is moved to another worker by the scheduler; a permanent failure (bad input,
    refused model) stops everything with ShardFailed. Returns the ShardResults in index order."""
    if not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a whole number of at least 1, got {shards!r}")
    outputs = {"features": OUTPUT_NAMES["features"]}
    if reconstruction:
        if not decoder:
            raise ValueError("a reconstruction needs the decoder model (decoder=...)")
        outputs["reconstruction"] = OUTPUT_NAMES["reconstruction"]
    specs = [{
        "binary": binary, "input": os.path.abspath(input), "encoder": os.path.abspath(encoder),
        "decoder": os.path.abspath(decoder) if decoder else None, "index": i, "count": shards,
        "staging": staging, "outputs": outputs, "cli_args": list(cli_args), "timeout": timeout,
    } for i in (range(shards) if indices is None else indices)]
    futures = [client.submit(tasks.run_shard, spec, retries=retries, pure=False, key=f"fe-shard-{spec['index']}-{os.urandom(6).hex()}")
               for spec in specs]
    try:
        results = client.gather(futures)
    except Exception as exc:
        client.cancel(futures)
        raise ShardFailed(f"a shard failed after {retries} retries: {exc}") from exc
    out = []
    for r in results:
        summary = r.get("summary") or {}
        if "error" in summary:
            client.cancel(futures)
            e = summary["error"]
            raise ShardFailed(f"{e['what']}: exit {e['exit']} ({e['kind']}), not retried: {e['message']}")
        out.append(ShardResult(**r))
        if events:
            events("shard.finish", {"index": r["index"], "seconds": round(r["seconds"], 3), "worker": r["worker"]})
    return sorted(out, key=lambda r: r.index)


def merge_shards(results, count, destinations, expected_models):
    """Checks every shard's report against the models sent and the shard before it, merges
    each output kind hashing the bytes it copies, and only then renames the merged files into
    place: on any refusal nothing is written. Returns kind -> sha256 of the merged file."""
    results = sorted((r if isinstance(r, dict) else r.as_task_result() for r in results), key=lambda r: r["index"])
    if [r["index"] for r in results] != list(range(count)):
        raise ShardRefused(f"expected shards 0 to {count - 1}, got {[r['index'] for r in results]}")
    reports, end = {}, 0
    for r in results:
        rows, reports[r["index"]] = check_report(r, count, expected_models, end)
        end = rows[1]
    total = results[-1]["summary"]["shard"].get("total_rows")
    if total != end:
        raise ShardRefused(f"the shards end at row {end}, but the input has {total} rows")
    temps, digests = {}, {}
    try:
        for kind, destination in destinations.items():
            temps[kind], digests[kind] = merge(results, kind, destination, reports)
        for kind, destination in destinations.items():
            os.replace(temps.pop(kind), destination)
    finally:
        for temp in temps.values():
            _remove(temp)
    return digests


def encode(input, encoder, output, *, shards, binary=None, decoder=None, reconstruction=None, address=None,
           workers=2, cli_args=(), retries=2, timeout=None, staging_dir=None, client=None, remote_log=None):
    """Encodes `input` with the signed `encoder` model as `shards` tasks and writes the merged
    features to `output` (and, with `decoder` and `reconstruction`, the merged reconstruction),
    byte for byte what one `feature-extractor INPUT --load-encoder ENCODER` would write.

    The cluster: `client` (a dask.distributed.Client), else the scheduler at `address`, else a
    local cluster of `workers` processes started and stopped here. The staging directory
    (default: beside `output`) must be writable by every worker at the same path: the same
    machine, or a shared file system. `remote_log`: a fe_cluster.remote_log.RemoteLog for the
    driver's own events."""
    started = time.perf_counter()
    if not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a whole number of at least 1, got {shards!r}")
    binary = binary or shutil.which("feature-extractor")
    if not binary:
        raise ShardFailed("feature-extractor is not on PATH: pass binary=PATH (the workers' path to the CLI)")
    expected = {"encoder": model_digest(encoder)}
    if decoder:
        expected["decoder"] = model_digest(decoder)
    destinations = {"features": output}
    if reconstruction:
        destinations["reconstruction"] = reconstruction
    # Private to this user (0700): workers run as the same user, here or on a shared file system.
    staging = tempfile.mkdtemp(prefix=".fe-shards-", dir=staging_dir or os.path.dirname(os.path.abspath(output)))
    log = remote_log.log if remote_log else None
    if log:
        log("cluster.start", {"input": os.path.basename(input), "shards": shards, "encoder_sha256": expected["encoder"]})
    try:
        with connect(client=client, address=address, workers=workers) as c:
            results = run_shards(
                c, binary=binary, input=input, encoder=encoder, decoder=decoder, shards=shards, staging=staging,
                reconstruction=bool(reconstruction), cli_args=cli_args, retries=retries, timeout=timeout, events=log)
        merging = time.perf_counter()
        digests = merge_shards(results, shards, destinations, expected)
        merge_seconds = time.perf_counter() - merging
        kept = {os.path.basename(r.attempt) for r in results}
        abandoned = sum(1 for name in os.listdir(staging) if name not in kept)
        if log:
            log("cluster.finish", {"outcome": "success", "shards": shards, "digests": digests,
                                   "abandoned_attempts": abandoned})
        return EncodeResult(destinations, digests, results, abandoned, time.perf_counter() - started, merge_seconds)
    except BaseException as exc:
        if log:
            log("cluster.finish", {"outcome": "failure", "error": str(exc)[:500]})
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if remote_log:
            remote_log.flush()
