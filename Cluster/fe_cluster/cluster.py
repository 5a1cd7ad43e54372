"""Which Dask cluster the tasks run on: a client given, a scheduler's address, or a local
cluster of worker processes on this machine, started and stopped with the driver."""

import contextlib

from . import tasks


@contextlib.contextmanager
def connect(client=None, address=None, workers=2):
    import cloudpickle
    from dask.distributed import Client, LocalCluster

    # The task functions travel with each task (standard library only): workers need Dask
    # and the CLI, not this package.
    cloudpickle.register_pickle_by_value(tasks)
    if client is not None:
        yield client
        return
    if address:
        with Client(address) as c:
            yield c
        return
    # One thread per worker: each task is a CLI process that keeps a core busy.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c
