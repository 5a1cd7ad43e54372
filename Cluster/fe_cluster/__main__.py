"""python3 -m fe_cluster encode|search ... (see --help): the driver from the shell.

Exit codes as the CLI's: 64 usage, 65 a shard refused (digest or model mismatch), 69 a task
failed after its retries or for good, 0 success.
"""

import argparse
import json
import os
import shlex
import sys

from .errors import ShardFailed, ShardRefused

EPILOG = """examples:
  python3 -m fe_cluster encode data.csv --load-encoder enc.safetensors --output-file features.csv --shards 8
  python3 -m fe_cluster encode data.csv --load-encoder enc.safetensors --load-decoder dec.safetensors \\
      --output-file f.csv --evaluate-decoder r.csv --shards 8 --scheduler tcp://10.0.0.5:8786 -- --columns CLOSE
  python3 -m fe_cluster search data.csv --initial-size 4 --step-size 4 --threshold-error 1e-4 \\
      --config relu='--encoder-param activation=relu' --config tanh='' -- --epochs 5

Options after -- go to every feature-extractor run unchanged (--columns, --force-date, --plugins-dir, ...).
Without --scheduler a local cluster of --workers processes runs on this machine."""


def parser():
    p = argparse.ArgumentParser(prog="python3 -m fe_cluster", description=__doc__.split("\n\n")[0], epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("input", help="the CSV file (at the same path on every worker)")
    common.add_argument("--binary", help="feature-extractor on the workers (default: the one on PATH)")
    common.add_argument("--scheduler", help="a Dask scheduler's address, e.g. tcp://host:8786 (default: a local cluster)")
    common.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    common.add_argument("--retries", type=int, default=2, help="retries of a failed task (default 2)")
    common.add_argument("--task-timeout", type=float, help="seconds before one CLI run is stopped and retried")
    common.add_argument("--remote-log", help="https://…/v1/logs for the driver's events (token: FEATURE_EXTRACTOR_TOKEN)")
    common.add_argument("--ca-file", help="PEM of the CA that signed the log server's certificate")
    e = sub.add_parser("encode", parents=[common], help="encode one input as N shards, merged byte-exact")
    e.add_argument("--load-encoder", required=True, help="the signed encoder model (same path on every worker)")
    e.add_argument("--load-decoder", help="the signed decoder model, for --evaluate-decoder")
    e.add_argument("--output-file", required=True, help="the merged features, written atomically")
    e.add_argument("--evaluate-decoder", help="the merged reconstruction, written atomically")
    e.add_argument("--shards", type=int, required=True, help="number of shards (tasks)")
    e.add_argument("--staging-dir", help="where the tasks write (every worker, same path; default beside the output)")
    s = sub.add_parser("search", parents=[common], help="one task per configuration and interface size")
    s.add_argument("--initial-size", type=int, required=True)
    s.add_argument("--step-size", type=int, required=True)
    s.add_argument("--threshold-error", type=float, required=True)
    s.add_argument("--no-incremental-search", action="store_true", help="shrink from --initial-size instead of growing")
    s.add_argument("--window-size", type=int, default=128)
    s.add_argument("--config", action="append", default=[], metavar="LABEL=OPTIONS",
                   help="a configuration: label and its CLI options, e.g. relu='--encoder-param activation=relu' "
                        "(repeatable; default one configuration with no options)")
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    a = parser().parse_args(argv)
    remote_log = None
    try:
        if a.remote_log:
            from .remote_log import RemoteLog
            remote_log = RemoteLog(a.remote_log, os.environ.get("FEATURE_EXTRACTOR_TOKEN", ""), ca_file=a.ca_file)
        if a.command == "encode":
            from .shards import encode
            r = encode(a.input, a.load_encoder, a.output_file, shards=a.shards, binary=a.binary, decoder=a.load_decoder,
                       reconstruction=a.evaluate_decoder, address=a.scheduler, workers=a.workers, cli_args=passthrough,
                       retries=a.retries, timeout=a.task_timeout, staging_dir=a.staging_dir, remote_log=remote_log)
            print(json.dumps({"outputs": r.outputs, "sha256": r.digests, "shards": len(r.shards),
                              "abandoned_attempts": r.abandoned_attempts, "seconds": round(r.seconds, 3)}, sort_keys=True))
        else:
            from .search import search
            configurations = {}
            for item in a.config or ["default="]:
                label, sep, options = item.partition("=")
                if not sep or not label:
                    raise ValueError(f"--config takes LABEL=OPTIONS, got {item[:80]!r}")
                configurations[label] = shlex.split(options)
            r = search(a.input, configurations, initial=a.initial_size, step=a.step_size, threshold=a.threshold_error,
                       growing=not a.no_incremental_search, window=a.window_size, binary=a.binary, cli_args=passthrough,
                       address=a.scheduler, workers=a.workers, retries=a.retries, timeout=a.task_timeout)
            print(json.dumps({"configuration": r.configuration, "options": r.options, "interface_size": r.interface_size,
                              "validation_mse": r.validation_mse, "met_threshold": r.met_threshold, "steps": r.steps,
                              "seconds": round(r.seconds, 3)}, sort_keys=True))
        return 0
    except ValueError as exc:
        print(f"fe_cluster: error: {exc}", file=sys.stderr)
        return 64
    except ShardRefused as exc:
        print(f"fe_cluster: refused: {exc}", file=sys.stderr)
        return 65
    except ShardFailed as exc:
        print(f"fe_cluster: error: {exc}", file=sys.stderr)
        return 69


if __name__ == "__main__":
    sys.exit(main())
