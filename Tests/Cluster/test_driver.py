"""The driver on a real local Dask cluster (worker processes on this machine) running the built
CLI, sandbox and signature checks included: merged shards are the single run's bytes, a killed
worker costs a retry and not the result, and a tampered or foreign shard is refused."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import helpers
from helpers import ENGINE_MISSING, SAMPLE, read, sha256

if not ENGINE_MISSING:
    import psutil
    from dask.distributed import Client, LocalCluster

    import fe_cluster
    from fe_cluster import ShardFailed, ShardRefused, choose_interface, encode, merge_shards, run_shards
    from fe_cluster.shards import model_digest


def local_cluster(workers=2):
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return cluster, Client(cluster)


class ClusterTestCase(unittest.TestCase):
    """A test environment and a local cluster shared by a class's tests, closed after them (also
    when a later step of a subclass's set-up fails)."""

    @classmethod
    def setUpClass(cls):
        cls.env = helpers.Environment()
        cls.addClassCleanup(cls.env.close)
        cls.cluster, cls.client = local_cluster()
        cls.addClassCleanup(cls.cluster.close)
        cls.addClassCleanup(cls.client.close)


@unittest.skipIf(ENGINE_MISSING, ENGINE_MISSING or "")
class ShardedEncodeTests(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enc, cls.dec = cls.env.train("m")
        cls.single = {"features": cls.env.path("single.features.csv"), "reconstruction": cls.env.path("single.rec.csv")}
        cls.env.run([str(SAMPLE), "--columns", "CLOSE", "--load-encoder", cls.enc, "--load-decoder", cls.dec, "--force-date",
                     "--output-file", cls.single["features"], "--evaluate-decoder", cls.single["reconstruction"],
                     "--quiet-mode"])

    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="out-", dir=self.env.root)

    def encode(self, shards, **kw):
        return encode(str(SAMPLE), self.enc, os.path.join(self.out, "features.csv"), shards=shards, binary=self.env.cli,
                      decoder=self.dec, reconstruction=os.path.join(self.out, "rec.csv"), client=self.client,
                      cli_args=["--columns", "CLOSE", "--force-date"], **kw)

    def test_1_2_and_7_shards_merge_into_the_single_runs_bytes(self):
        whole = {k: read(p) for k, p in self.single.items()}
        self.assertIn(b"2005-05-09 23:00:00", whole["reconstruction"][:200], "dates are kept")
        for n in (1, 2, 7):
            r = self.encode(n)
            self.assertEqual(read(r.outputs["features"]), whole["features"], f"{n} shards: features")
            self.assertEqual(read(r.outputs["reconstruction"]), whole["reconstruction"], f"{n} shards: reconstruction")
            self.assertEqual(r.digests["features"], sha256(self.single["features"]))
            self.assertEqual(len(r.shards), n)
            self.assertEqual(sorted(os.listdir(self.out)), ["features.csv", "rec.csv"], "no staging left behind")
        # Each shard ran as an audited run of its own, on a worker.
        audit = json.loads(self.env.run(["audit", "list", "--action", "run.start", "--json"]).stdout)
        details = [json.loads(e["details"]) for e in audit]  # canonical JSON text (docs/JSON.md)
        shards = sorted(d["rows"] for d in details if d.get("rows", "").endswith("/7"))
        self.assertEqual(shards, [f"shard {i}/7" for i in range(7)])

    def test_the_command_line_driver_merges_and_maps_errors_to_exit_codes(self):
        out = os.path.join(self.out, "cli.csv")
        cmd = [sys.executable, "-m", "fe_cluster", "encode", str(SAMPLE), "--load-encoder", self.enc, "--output-file", out,
               "--binary", self.env.cli, "--workers", "2"]
        env = dict(os.environ, PYTHONPATH=str(helpers.REPO / "Cluster"))
        ok = subprocess.run(cmd + ["--shards", "3", "--", "--columns", "CLOSE", "--force-date"], env=env,
                            capture_output=True, text=True, timeout=300)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(json.loads(ok.stdout)["sha256"]["features"], sha256(self.single["features"]))
        self.assertEqual(read(out), read(self.single["features"]))
        usage = subprocess.run(cmd + ["--shards", "0"], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(usage.returncode, 64, usage.stderr)
        self.assertIn("shards must be a whole number of at least 1", usage.stderr)

    def test_a_tampered_shard_output_is_refused_and_nothing_is_written(self):
        staging = tempfile.mkdtemp(dir=self.out)
        results = run_shards(self.client, binary=self.env.cli, input=str(SAMPLE), encoder=self.enc, shards=3,
                             staging=staging, cli_args=["--columns", "CLOSE"])
        victim = results[1].files["features"]
        data = bytearray(read(victim))
        data[len(data) // 2] ^= 0x01  # one bit, in the middle of a number
        with open(victim, "wb") as f:
            f.write(data)
        destination = os.path.join(self.out, "features.csv")
        with self.assertRaises(ShardRefused) as caught:
            merge_shards(results, 3, {"features": destination}, {"encoder": model_digest(self.enc)})
        self.assertIn("shard 1", str(caught.exception))
        self.assertIn("does not match the digest", str(caught.exception))
        self.assertEqual([n for n in os.listdir(self.out) if not os.path.isdir(os.path.join(self.out, n))], [],
                         "neither the output nor a partial merge")

    def test_a_shard_made_with_another_signed_model_is_refused(self):
        other, _ = self.env.train("other", "--seed", "7")
        staging = tempfile.mkdtemp(dir=self.out)
        kw = dict(binary=self.env.cli, input=str(SAMPLE), shards=3, staging=staging, cli_args=["--columns", "CLOSE"])
        results = run_shards(self.client, encoder=self.enc, **kw)
        results[2] = run_shards(self.client, encoder=other, indices=[2], **kw)[0]
        with self.assertRaises(ShardRefused) as caught:
            merge_shards(results, 3, {"features": os.path.join(self.out, "f.csv")}, {"encoder": model_digest(self.enc)})
        self.assertIn("shard 2/3: made with another encoder model", str(caught.exception))
        self.assertFalse(os.path.exists(os.path.join(self.out, "f.csv")))

    def test_bad_input_fails_at_once_naming_the_line_and_writes_nothing(self):
        bad = os.path.join(self.out, "bad.csv")
        with open(SAMPLE) as src, open(bad, "w") as dst:
            for i, line in enumerate(src):
                dst.write("2006-01-01 00:00:00,1,1,1,oops\n" if i == 20_001 else line)
        started = time.monotonic()
        with self.assertRaises(ShardFailed) as caught:
            encode(bad, self.enc, os.path.join(self.out, "f.csv"), shards=4, binary=self.env.cli, client=self.client,
                   cli_args=["--columns", "CLOSE"], retries=5)
        self.assertIn("exit 65", str(caught.exception))
        self.assertIn("bad.csv:20002: field 'CLOSE'", str(caught.exception))
        self.assertIn("not retried", str(caught.exception))
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(sorted(os.listdir(self.out)), ["bad.csv"], "no output, no staging")


@unittest.skipIf(ENGINE_MISSING, ENGINE_MISSING or "")
class KilledWorkerTests(unittest.TestCase):
    """A worker, or its CLI, killed (SIGKILL) mid-task: the engine runs the task again (the
    scheduler moves a dead worker's task; a task that raised is retried), the CLI dies with its
    worker, and the merged bytes are still the single run's."""

    @classmethod
    def setUpClass(cls):
        cls.env = helpers.Environment()
        cls.enc, _ = cls.env.train("m")
        cls.input = cls.env.path("walk.csv")
        helpers.random_walk(cls.input, 150_000)
        cls.single = cls.env.path("single.csv")
        cls.env.run([cls.input, "--load-encoder", cls.enc, "--output-file", cls.single, "--quiet-mode"])

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def kill_mid_task(self, target):
        """Encodes in 2 shards while a thread SIGKILLs, as soon as a CLI runs on a worker, that
        worker (`target` "worker") or that CLI ("cli"); returns the result and what was killed."""
        cluster, client = local_cluster()
        killed = {}

        def kill():
            pids = set(client.run(os.getpid).values())
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                for pid in pids:
                    try:
                        children = [c for c in psutil.Process(pid).children() if c.name().startswith("feature-extrac")]
                    except psutil.NoSuchProcess:
                        continue
                    if children:
                        os.kill(pid if target == "worker" else children[0].pid, signal.SIGKILL)
                        killed.update(worker=pid, cli=children[0])
                        return
                time.sleep(0.005)

        killer = threading.Thread(target=kill)
        try:
            killer.start()
            r = encode(self.input, self.enc, self.env.path(f"merged-{target}.csv"), shards=2, binary=self.env.cli,
                       client=client)
            killer.join()
            return r, killed
        finally:
            client.close()
            cluster.close()

    def test_a_worker_killed_mid_task_costs_a_retry_not_the_result(self):
        r, killed = self.kill_mid_task("worker")
        self.assertTrue(killed, "no CLI was seen running on a worker")
        killed["cli"].wait(timeout=10)  # died with its worker (PR_SET_PDEATHSIG); raises if it did not
        self.assertGreaterEqual(r.abandoned_attempts, 1, "the killed attempt was run again")
        self.assertEqual(read(r.outputs["features"]), read(self.single))

    def test_a_cli_killed_mid_task_is_retried_by_the_engine(self):
        r, killed = self.kill_mid_task("cli")
        self.assertTrue(killed, "no CLI was seen running on a worker")
        self.assertGreaterEqual(r.abandoned_attempts, 1, "the failed attempt was run again")
        self.assertEqual(read(r.outputs["features"]), read(self.single))


@unittest.skipIf(ENGINE_MISSING, ENGINE_MISSING or "")
class SearchTests(ClusterTestCase):
    """One task per configuration and size; the size chosen as the CLI's own search chooses it."""

    def test_the_driver_chooses_as_the_cli_search_does(self):
        base = ["--columns", "CLOSE", "--max-steps", "1500", "--epochs", "1"]
        relu = ["--encoder-param", "activation=relu", "--decoder-param", "activation=relu"]
        configurations = {"tanh": [], "relu": relu}
        everything = fe_cluster.search(str(SAMPLE), configurations, initial=8, step=8, threshold=0.0, window=32,
                                       binary=self.env.cli, cli_args=base, client=self.client)
        self.assertEqual([s[0] for s in everything.steps["relu"]], [8, 16, 24, 32], "a threshold of 0: every size")
        measured = {size: mse for size, mse, _ in everything.steps["relu"]}
        for growing, initial, pivot in ((True, 8, 16), (False, 32, 24)):
            threshold = measured[pivot] * (1 + 1e-6)
            expected_steps, expected = choose_interface(measured, initial, 8, threshold, growing, 32)
            args = [str(SAMPLE), "--window-size", "32", "--initial-size", str(initial), "--step-size", "8",
                    "--threshold-error", repr(threshold), "--output-file", os.devnull, "--json", "--quiet-mode"]
            args += [] if growing else ["--no-incremental-search"]
            cli = json.loads(self.env.run(args + base + relu).stdout)
            self.assertEqual(cli["interface_size"], expected, f"growing={growing}")
            self.assertEqual([s["interface_size"] for s in cli["search"]], [s[0] for s in expected_steps])
            self.assertEqual([s["met_threshold"] for s in cli["search"]], [s[2] for s in expected_steps])
            for step, (_, mse, _) in zip(cli["search"], expected_steps):
                self.assertAlmostEqual(step["validation_mse"], mse, delta=abs(mse) * 1e-6)
            chosen = fe_cluster.search(str(SAMPLE), {"relu": relu}, initial=initial, step=8, threshold=threshold,
                                       growing=growing, window=32, binary=self.env.cli, cli_args=base, client=self.client)
            self.assertEqual(chosen.interface_size, cli["interface_size"])


if __name__ == "__main__":
    unittest.main()
