"""Runs feature-extractor as tasks of a Dask distributed cluster (docs/SCALING.md).

Each task runs the real CLI on a worker, sandbox and signature checks included; the driver
gathers what the tasks wrote, checks every digest against the shard's report and the model it
sent, and writes the merged output atomically.

    from fe_cluster import encode
    result = encode("data.csv", "enc.safetensors", "features.csv", shards=8)   # a local cluster
    result = encode(..., address="tcp://scheduler:8786")                        # an existing one

`python3 -m fe_cluster --help` is the same from the shell.
"""

from .errors import ShardFailed, ShardRefused
from .shards import EncodeResult, ShardResult, encode, merge_shards, run_shards
from .search import SearchResult, choose_interface, search

__all__ = [
    "EncodeResult", "SearchResult", "ShardFailed", "ShardRefused", "ShardResult",
    "choose_interface", "encode", "merge_shards", "run_shards", "search",
]
