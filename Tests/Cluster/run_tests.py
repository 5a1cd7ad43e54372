#!/usr/bin/env python3
"""Runs the cluster driver tests (every test_*.py here: a real local Dask cluster running the
built CLI) and ends with the line CI reads:

    cluster: N passed, M failed[, K skipped]

Exit status 0 only when nothing failed. `python3 -m unittest discover -s Tests/Cluster -v`
runs the same tests without that line.
"""

import importlib.util
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# One runner for the Python suites: the supply-chain one, loaded by path (both files are run_tests.py).
_spec = importlib.util.spec_from_file_location("supply_chain_runner", HERE.parent / "SupplyChain" / "run_tests.py")
_runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_runner)

if __name__ == "__main__":
    sys.exit(_runner.main("cluster", HERE))
