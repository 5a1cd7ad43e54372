"""Interface-size and parameter searches: one task per (configuration, interface size), the
size chosen by the CLI's own rule (Sources/Coordinator/Training/InterfaceSearch.swift)."""

import dataclasses
import shutil
import time

from . import tasks
from .cluster import connect
from .errors import ShardFailed


@dataclasses.dataclass
class SearchResult:
    configuration: str  # label of the configuration chosen
    options: list  # its CLI options
    interface_size: int
    validation_mse: float
    met_threshold: bool
    steps: dict  # label -> [(interface_size, validation_mse, met_threshold)] in the CLI's visiting order
    seconds: float


def candidate_sizes(initial, step, growing, window):
    """Every size the CLI's search could visit, in its order: from `initial` by `step` up to
    the window size (growing) or down to 1 (shrinking)."""
    if step < 1 or window < 1:
        raise ValueError("step and window must be at least 1")
    size, sizes = min(max(initial, 1), window), []
    while True:
        sizes.append(size)
        if growing:
            if size >= window:
                return sizes
            size = min(size + step, window)
        else:
            if size <= 1:
                return sizes
            size = max(size - step, 1)


def choose_interface(mse, initial, step, threshold, growing, window):
    """The CLI's rule over measured validation MSEs (`mse`: size -> value). Growing: the first
    size that meets the threshold, else the window size. Shrinking: walk down while the
    threshold holds; the smallest size that met it before the first that did not, else the
    first. Returns (steps visited, chosen size), as `InterfaceSearch.run` does."""
    steps = []
    for size in candidate_sizes(initial, step, growing, window):
        met = mse[size] <= threshold
        steps.append((size, mse[size], met))
        if growing and met:
            return steps, size
        if not growing and not met:
            earlier = [s for s in steps[:-1] if s[2]]
            return steps, (earlier[-1][0] if earlier else steps[0][0])
    return steps, steps[-1][0]


def _validation_mse(result):
    training = (result.get("summary") or {}).get("training") or []
    value = training[-1].get("validation_mse") if training and isinstance(training[-1], dict) else None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ShardFailed(f"configuration {result['label']} at size {result['interface_size']}: no validation MSE "
                          "in its summary (give a validation file or enough rows for --validation-split)")
    return float(value)


def search(input, configurations, *, initial, step, threshold, growing=True, window=128, binary=None,
           cli_args=(), address=None, workers=2, client=None, retries=2, timeout=None):
    """Runs every configuration (`configurations`: label -> list of CLI options, e.g.
    {"relu": ["--encoder-param", "activation=relu"]}) at every interface size the CLI's search
    could visit, one task each, in parallel; chooses each configuration's size by the CLI's
    rule; then the configuration whose chosen size meets the threshold with the smallest
    interface (ties: the lower validation MSE, then the order given), or, when none meets
    it, the lowest validation MSE. `window` must be the run's --window-size."""
    started = time.perf_counter()
    binary = binary or shutil.which("feature-extractor")
    if not binary:
        raise ShardFailed("feature-extractor is not on PATH: pass binary=PATH")
    sizes = candidate_sizes(initial, step, growing, window)
    base = list(cli_args) + ["--window-size", str(window)]
    specs = [{"binary": binary, "input": input, "interface_size": size, "label": label, "options": list(options),
              "cli_args": base, "timeout": timeout}
             for label, options in configurations.items() for size in sizes]
    with connect(client=client, address=address, workers=workers) as c:
        futures = [c.submit(tasks.run_configuration, s, retries=retries, pure=False) for s in specs]
        try:
            results = c.gather(futures)
        except Exception as exc:
            c.cancel(futures)
            raise ShardFailed(f"a configuration failed after {retries} retries: {exc}") from exc
    for r in results:
        if "error" in (r.get("summary") or {}):
            e = r["summary"]["error"]
            raise ShardFailed(f"{e['what']}: exit {e['exit']} ({e['kind']}): {e['message']}")
    measured = {}
    for r in results:
        measured.setdefault(r["label"], {})[r["interface_size"]] = _validation_mse(r)
    chosen, steps = [], {}
    for order, label in enumerate(configurations):
        steps[label], size = choose_interface(measured[label], initial, step, threshold, growing, window)
        value = measured[label][size]
        chosen.append((not value <= threshold, size if value <= threshold else 0, value, order, label, size))
    _, _, value, _, label, size = min(chosen)
    return SearchResult(label, list(configurations[label]), size, value, value <= threshold, steps,
                        time.perf_counter() - started)
