#!/usr/bin/env python3
"""Runs the supply-chain tests (every test_*.py here) and ends with the line CI reads:

    supply-chain: N passed, M failed[, K skipped]

Exit status 0 only when nothing failed. `python3 -m unittest discover -s Tests/SupplyChain -v`
runs the same tests without that line.
"""

import os
import sys
import time
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(label: str = "supply-chain", here: Path = HERE) -> int:
    """Runs every test_*.py in `here` (Tests/Cluster's runner calls this with its own label)."""
    if sys.version_info < (3, 10):
        print(f"{label}: Python 3.10 or newer is needed, this is {sys.version.split()[0]}", file=sys.stderr)
        print(f"{label}: 0 passed, 1 failed")
        return 1
    # The suite's own modules (its helpers.py) come first: both suites have one of that name.
    sys.path.insert(0, str(here))
    t0 = time.monotonic()
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(str(here), pattern=pattern, top_level_dir=str(here))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    if result.testsRun == 0:
        failed = max(failed, 1)
        print(f"{label}: no test was found", file=sys.stderr)
    print(f"{label} tests took {time.monotonic() - t0:.1f}s")
    print(f"{label}: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
