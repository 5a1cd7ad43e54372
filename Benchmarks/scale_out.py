#!/usr/bin/env python3
"""Scale-out: the 10-million-row encode of `--streaming`, as one CLI run and as shards on a
local Dask cluster of 1 and 2 workers (Cluster/fe_cluster), every merged output compared with
the single run's bytes.

Prints, per configuration: wall time (cluster start apart), the tasks' mean time, the overhead
per task (worker time not spent in a task, spread over the tasks: scheduling, imbalance), the
driver's merge (checking and concatenating the shards' files), the CLI's fixed cost per shard
(an empty one: start, model check, plugins; and one that counts the rows for --shard), and peak
memory per worker (the Dask worker process, and the largest CLI coordinator and encoder plugin
among its shards).
docs/SCALING.md projects 10 and 100 machines from these figures.

Usage: scripts/benchmark --scale-out [--rows N] [--shards-per-worker K]
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "Cluster"))

import streaming  # noqa: E402  (the 10M-row generator and the reference model)


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def cluster_run(binary, csv_path, model, out, workers, shards):
    from dask.distributed import Client, LocalCluster
    import psutil
    from fe_cluster import encode

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        start = time.perf_counter() - t0
        rss = {}

        def sample():
            for addr, kb in client.run(lambda: psutil.Process().memory_info().rss // 1024).items():
                rss[addr] = max(rss.get(addr, 0), kb)
        sample()
        t1 = time.perf_counter()
        r = encode(csv_path, model, out, shards=shards, binary=binary, client=client, cli_args=["--columns", "CLOSE"])
        wall = time.perf_counter() - t1
        sample()
    tasks = [s.seconds for s in r.shards]
    cli = [s.summary["execution_seconds"] for s in r.shards]
    return {
        "workers": workers, "shards": shards, "cluster_start_s": start, "wall_s": wall,
        "task_mean_s": sum(tasks) / len(tasks), "cli_mean_s": sum(cli) / len(cli),
        "overhead_per_task_s": ((wall - r.merge_seconds) * workers - sum(tasks)) / shards, "tasks": tasks,
        "worker_rss_mb": max(rss.values()) / 1024,
        "cli_rss_mb": max(s.summary["coordinator_peak_rss_kb"] for s in r.shards) / 1024,
        "encoder_rss_mb": max((s.summary["encoder"].get("peak_rss_kb") or 0) for s in r.shards) / 1024,
        "sha256": r.digests["features"], "abandoned": r.abandoned_attempts, "merge_s": r.merge_seconds,
        "output_mb": os.path.getsize(out) / 1e6,
    }


def store_contention(binary, csv_path, model, processes=8, runs=6):
    """Empty shards (`--rows 0:0`: start, model check, plugins, the run's audit and accounting
    writes) run by `processes` processes at once on one state store, as the workers of one
    machine share theirs: runs per second, and how many failed (a database held locked past
    its busy timeout would fail them with exit 74)."""
    import concurrent.futures

    def loop(_):
        failures = 0
        for _ in range(runs):
            r = subprocess.run([binary, csv_path, "--columns", "CLOSE", "--load-encoder", model, "--rows", "0:0",
                                "--output-file", os.devnull, "--quiet-mode"], capture_output=True)
            failures += r.returncode != 0
        return failures
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        failures = sum(pool.map(loop, range(processes)))
    wall = time.perf_counter() - t0
    return processes * runs / wall, failures


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--shards-per-worker", type=int, default=2)
    a = p.parse_args()
    try:
        import dask.distributed  # noqa: F401
    except ImportError as exc:
        sys.exit(f"scale-out: Dask distributed is not installed ({exc}): "
                 "python3 -m pip install --require-hashes --only-binary=:all: --no-deps -r SupplyChain/python-requirements.txt")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, model = os.path.join(tmp, "walk.csv"), os.path.join(tmp, "encoder.safetensors")
        t0 = time.perf_counter()
        streaming.generate(csv_path, a.rows)
        print(f"generated {a.rows:,} rows ({os.path.getsize(csv_path) / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        knobs = [arg for k in streaming.REFERENCE_MODEL for arg in ("--encoder-param", k, "--decoder-param", k)]
        subprocess.run([a.binary, streaming.SAMPLE, "--columns", "CLOSE", "--epochs", "2", "--save-encoder", model,
                        "--output-file", os.devnull, "--quiet-mode"] + knobs, check=True)
        single = os.path.join(tmp, "single.csv")
        ours = streaming.run_ours(a.binary, csv_path, model, single, os.path.join(tmp, "log.json"))
        reference = sha256(single)
        os.unlink(single)
        empty = json.loads(subprocess.run(
            [a.binary, csv_path, "--columns", "CLOSE", "--load-encoder", model, "--rows", "0:0", "--output-file",
             os.devnull, "--json", "--quiet-mode"], check=True, capture_output=True, text=True).stdout)
        t0 = time.perf_counter()
        subprocess.run([a.binary, csv_path, "--columns", "CLOSE", "--load-encoder", model, "--shard", "0/1000000",
                        "--output-file", os.devnull, "--quiet-mode"], check=True)
        counted = time.perf_counter() - t0
        print(f"single run: {ours['wall_s']:.1f} s, coordinator {ours['rss_coordinator_mb']:.0f} MB, "
              f"encoder {ours['rss_encoder_mb']:.0f} MB; an empty shard (--rows 0:0) {empty['execution_seconds']:.2f} s, "
              f"one with the row count (--shard 0/1000000) {counted:.2f} s")
        rate, failures = store_contention(a.binary, csv_path, model)
        print(f"state store: 8 processes running empty shards on one database: {rate:.1f} runs/s, {failures} failed")
        print(f"{'workers':>7} {'shards':>6} {'start s':>7} {'wall s':>7} {'speed-up':>8} {'task s':>7} {'cli s':>6} "
              f"{'overhead/task s':>15} {'merge s':>7} {'worker MB':>9} {'cli MB':>6} {'encoder MB':>10}  bytes")
        for workers in (1, 2):
            shards = workers * a.shards_per_worker
            r = cluster_run(a.binary, csv_path, model, os.path.join(tmp, f"merged-{workers}.csv"), workers, shards)
            same = "identical" if r["sha256"] == reference else "DIFFERENT"
            print(f"{workers:>7} {shards:>6} {r['cluster_start_s']:>7.1f} {r['wall_s']:>7.1f} "
                  f"{ours['wall_s'] / r['wall_s']:>7.2f}x {r['task_mean_s']:>7.1f} {r['cli_mean_s']:>6.1f} "
                  f"{r['overhead_per_task_s']:>15.2f} {r['merge_s']:>7.1f} {r['worker_rss_mb']:>9.0f} {r['cli_rss_mb']:>6.0f} "
                  f"{r['encoder_rss_mb']:>10.0f}  {same}")
            print(f"        merged output {r['output_mb']:.0f} MB; tasks {', '.join(f'{s:.1f}' for s in r['tasks'])} s")
            os.unlink(os.path.join(tmp, f"merged-{workers}.csv"))
            if same != "identical":
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
