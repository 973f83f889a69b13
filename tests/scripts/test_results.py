"""Unit tests of scripts/pollbench_results.py: name parsing, the slope fit, formatting."""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import known_fixture  # noqa: E402
import pollbench_analysis as pa  # noqa: E402
import pollbench_results as pr  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixture"


class ParseName(unittest.TestCase):
    def test_drops_google_benchmark_run_options(self):
        self.assertEqual(pr.parse_name("wait/select/pipe/fds:10/active:1/repeats:3/manual_time"),
                         ("wait", ("select", "pipe"), {"fds": 10, "active": 1}))
        self.assertEqual(pr.parse_name("ctl/epoll_lt/add/fds:1000/min_time:0.010/real_time"),
                         ("ctl", ("epoll_lt", "add"), {"fds": 1000}))
        self.assertEqual(pr.parse_name("tcp/poll/idle:5000/active:50/iterations:1"),
                         ("tcp", ("poll",), {"idle": 5000, "active": 50}))

    def test_a_non_numeric_value_is_a_tag(self):
        name = "wait/poll/socketpair/mode:nonblock/pos:last/fds:10/active:1/repeats:1/manual_time"
        self.assertEqual(pr.parse_name(name), ("wait", ("poll", "socketpair"), {"fds": 10, "active": 1}))
        self.assertEqual(pr.parse_tags(name), {"mode": "nonblock", "pos": "last"})


class StripRunOptions(unittest.TestCase):
    def test_keeps_what_was_measured_and_the_aggregate(self):
        self.assertEqual(pr.strip_run_options("wait/poll/pipe/fds:10/active:1/min_time:0.012/repeats:5/manual_time"),
                         "wait/poll/pipe/fds:10/active:1")
        self.assertEqual(pr.strip_run_options("wait/poll/pipe/fds:10/active:1/repeats:5/manual_time_median"),
                         "wait/poll/pipe/fds:10/active:1_median")
        self.assertEqual(pr.strip_run_options("wait/poll/pipe/min_time:0.012/repeats:5/manual_time_BigO"),
                         "wait/poll/pipe_BigO")
        self.assertEqual(pr.strip_run_options("tcp/poll/idle:0/active:10/iterations:4000/manual_time"),
                         "tcp/poll/idle:0/active:10")
        self.assertEqual(pr.strip_run_options("ctl/select/add/fds:10"), "ctl/select/add/fds:10")


class Slope(unittest.TestCase):
    def test_power_laws(self):
        ns = [10, 100, 1000, 10000]
        self.assertAlmostEqual(pr.fit_loglog_slope(ns, [3.0 * n for n in ns]), 1.0, places=6)
        self.assertAlmostEqual(pr.fit_loglog_slope(ns, [250.0 for _ in ns]), 0.0, places=6)
        self.assertAlmostEqual(pr.fit_loglog_slope(ns, [n ** 2 for n in ns]), 2.0, places=6)

    def test_only_points_at_or_above_min_n(self):
        # The N=10 point is far off the line and must be ignored.
        self.assertAlmostEqual(pr.fit_loglog_slope([10, 100, 1000], [1e9, 100.0, 1000.0], 100), 1.0, places=6)

    def test_too_few_points(self):
        self.assertIsNone(pr.fit_loglog_slope([10, 100], [1.0, 2.0], 100))
        self.assertIsNone(pr.fit_loglog_slope([], [], 100))


class Capabilities(unittest.TestCase):
    """The scripts go by the capabilities a run's context declares, not by backend names."""

    def context(self, *backends):
        return {"backend_capabilities": json.dumps(list(backends))}

    def test_a_new_backend_needs_no_script_change(self):
        # An O(ready) edge-triggered backend of a new mechanism, listed first by its binary.
        ctx = self.context(
            {"name": "kq", "trigger": "edge", "wait_cost": "O(ready)", "interest": "kernel", "raw": "kqueue"},
            {"name": "scan", "trigger": "level", "wait_cost": "O(watched)", "interest": "user_array", "raw": "scan"},
            {"name": "kq_level", "trigger": "level", "wait_cost": "O(ready)", "interest": "kernel", "raw": "kqueue"})
        self.assertEqual(pr.backends_where(ctx, wait_cost="O(ready)"), ["kq", "kq_level"])
        self.assertEqual(pr.backends_where(ctx, interest="user_array"), ["scan"])
        self.assertEqual(pr.raw_backend("kqueue", ctx), "kq")
        self.assertEqual(pr.sort_backends({"scan", "zzz", "kq"}, ctx), ["kq", "scan", "zzz"])
        self.assertEqual(pr.capability(ctx, "kq_level", "trigger"), "level")
        self.assertIsNone(pr.capability(ctx, "select", "trigger"))
        run = pr.Run(Path("x"), ctx, [], {}, [])
        self.assertEqual(pa.scanning(run), ["scan"])
        self.assertEqual(pa.references(run), ["kq", "kq_level"])
        self.assertEqual(pa.reference_family(run), ["kq", "kq_level"])
        self.assertEqual(pa.trigger_pair(run), ("kqueue", "kq_level", "kq"))

    def test_runs_before_capabilities_use_the_fallback(self):
        for ctx in ({}, {"backend_capabilities": "not json"}, None):
            self.assertEqual(pr.backends_where(ctx, wait_cost="O(watched)"), ["select", "poll"])
            self.assertEqual(pr.raw_backend("epoll", ctx), "epoll_lt")
            self.assertEqual(pr.raw_backend("epoll_wait", ctx), "epoll_lt")
            self.assertEqual(pr.raw_backend("io_uring", ctx), "io_uring")
        run = pr.load(FIXTURE / "wait.json")
        self.assertEqual(pa.trigger_pair(run), ("epoll", "epoll_lt", "epoll_et"))
        self.assertEqual(pa.reference_family(run), ["epoll_lt", "epoll_et"])


class Format(unittest.TestCase):
    def test_units(self):
        self.assertEqual(pr.format_ns(850), "850 ns")
        self.assertEqual(pr.format_ns(12.34), "12.3 ns")
        self.assertEqual(pr.format_ns(12345), "12.3 µs")
        self.assertEqual(pr.format_ns(1.25e6), "1.25 ms")
        self.assertEqual(pr.format_ns(250e3), "250 µs")
        self.assertEqual(pr.format_ns(None), "–")


class LoadFixture(unittest.TestCase):
    def test_points_have_repetitions_and_counters(self):
        run = pr.load(FIXTURE / "wait.json")
        self.assertEqual(run.values("wait", 0)[:2], ["select", "poll"])
        points = run.sweep("wait", ("epoll_lt", None), active=1)
        self.assertGreaterEqual(len(points), 2)
        for p in points:
            self.assertGreater(p.mean_ns, 0)
            self.assertEqual(p.per_call_ns, p.counter("p50_ns"))
            self.assertEqual(p.process_count, 2)
            lo, hi = p.per_call_spread_ns
            self.assertLessEqual(lo, p.per_call_ns)
            self.assertGreaterEqual(hi, p.per_call_ns)
            self.assertLessEqual(p.counter("p50_ns"), p.counter("p99_ns"))
        self.assertTrue(run.context.get("kernel"))

    def test_time_units_are_converted(self):
        row = {"name": "wait/poll/pipe/fds:10/active:1", "run_name": "wait/poll/pipe/fds:10/active:1",
               "run_type": "iteration", "family_index": 0, "real_time": 2.5, "cpu_time": 2.5, "time_unit": "us"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "wait.json")
            with open(path, "w") as f:
                json.dump({"context": {}, "benchmarks": [row]}, f)
            run = pr.load(path)
        self.assertEqual(run.points[0].mean_ns, 2500.0)
        self.assertEqual(run.points[0].per_call_ns, 2500.0)  # no p50_ns counter: the mean stands in

    def test_failed_benchmarks_are_reported_not_plotted(self):
        rows = [
            {"name": "wait/poll/pipe/fds:10/active:1", "run_type": "iteration", "real_time": 1, "cpu_time": 1,
             "time_unit": "ns"},
            {"name": "wait/poll/pipe/fds:30000/active:1", "run_type": "iteration", "error_occurred": True,
             "error_message": "needs 60000 fds, the limit is 20000", "real_time": 0, "cpu_time": 0, "time_unit": "ns"},
        ]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "wait.json")
            with open(path, "w") as f:
                json.dump({"context": {}, "benchmarks": rows}, f)
            run = pr.load(path)
        self.assertEqual(len(run.points), 1)
        self.assertEqual(run.errors, [("wait/poll/pipe/fds:30000/active:1", "needs 60000 fds, the limit is 20000")])


class KnownFigures(unittest.TestCase):
    """pollbench_analysis on known_fixture.py's hand-set values: each figure is the one it must be."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        known_fixture.write(Path(cls.tmp.name))
        cls.wait = pr.load(Path(cls.tmp.name) / "wait.json")
        cls.tcp = pr.load(Path(cls.tmp.name) / "tcp.json")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_merged_processes_are_samples(self):
        self.assertEqual(self.wait.sample_kind, "processes")
        self.assertEqual(self.wait.samples, 5)
        p = pa.point(self.wait, "wait", "select", "socketpair", 10000, 1)
        self.assertEqual(p.process_count, 5)
        self.assertAlmostEqual(p.per_call_ns, 1e6)
        self.assertEqual(p.per_call_spread_ns, (0.99e6, 1.01e6))
        self.assertLess(p.per_call_cv, 0.05)
        wide = pa.point(self.wait, "wait", "select", "socketpair", 20000, 1)
        self.assertGreater(wide.per_call_cv, 0.05)
        # The merged aggregates are there for compare.py, and agree with the samples.
        self.assertAlmostEqual(p.aggregates["median"]["p50_ns"], 1e6)
        self.assertAlmostEqual(p.aggregates["max"]["p50_ns"], 1.01e6)

    def test_headline_is_at_the_fixed_n_and_the_largest(self):
        h = pa.fixed_headline(self.wait, "socketpair")
        self.assertEqual((h.ns, h.reference, h.slow), ([1000, 20000], "epoll_lt", ["select", "poll"]))

    def test_crossover(self):
        c = pa.crossover(self.wait, "socketpair", 1000, "epoll_lt")
        self.assertAlmostEqual(c.active, 796.0, places=6)
        self.assertAlmostEqual(c.fraction, 0.796, places=6)
        never = pa.crossover(self.wait, "socketpair", 1000, "epoll_et")
        self.assertIsNone(never.active)
        self.assertFalse(never.slower_from_start)
        self.assertEqual(pa.crossover_ns(self.wait, "socketpair"), [1000])

    def test_offloaded_backend_is_found_from_write_ns(self):
        self.assertEqual([o.backend for o in pa.offloaded(self.wait, "socketpair")], ["io_uring_plain"])
        self.assertEqual(pa.cycle_ns(self.wait, "socketpair"), [1, 20000])

    def test_position(self):
        self.assertEqual(pa.position_ns(self.wait, "socketpair"), [10000])
        table = pa.position_table(self.wait, "socketpair", 10000)
        self.assertAlmostEqual(table["select"][("block", "last")].per_call_ns / table["select"][("block", "first")].per_call_ns,
                               1 / 0.3)
        self.assertAlmostEqual(table["poll"][("nonblock", "last")].per_call_ns, 80.0 * 10000 * 0.3)

    def test_default_sweep_excludes_other_combinations(self):
        points = self.wait.sweep("wait", ("select", "socketpair"), fds=10000, active=1)
        self.assertEqual(len(points), 1)
        self.assertEqual((points[0].tag("mode"), points[0].tag("pos")), ("block", "spread"))
        self.assertEqual(len(self.wait.select("wait", ("select", "socketpair"), fds=10000, active=1)), 7)

    def test_turns_against_spread(self):
        rises = pa.tcp_rises(self.tcp)
        self.assertEqual([(d.curve, d.x0, d.x1, d.within_spread) for d in rises], [("epoll_lt, 10 active", 0, 1000, False)])
        self.assertEqual(pa.wait_dips(self.wait, "socketpair"), [])


class Merge(unittest.TestCase):
    def test_rows_kept_with_process_index_and_aggregates(self):
        with tempfile.TemporaryDirectory() as d:
            parts = []
            for i, t in enumerate((100.0, 300.0, 200.0)):
                path = Path(d) / f"p{i}.json"
                path.write_text(json.dumps({"context": {"date": f"d{i}"}, "benchmarks": [
                    {"name": "ctl/poll/add/fds:10", "run_type": "iteration", "family_index": 0, "real_time": t,
                     "cpu_time": t, "time_unit": "ns", "p50_ns": t}]}))
                parts.append(path)
            pr.merge_processes(parts, Path(d) / "merged.json")
            data = json.loads((Path(d) / "merged.json").read_text())
            run = pr.load(Path(d) / "merged.json")
        rows = [r for r in data["benchmarks"] if r["run_type"] == "iteration"]
        self.assertEqual([(r["process_index"], r["repetition_index"]) for r in rows], [(0, 0), (1, 1), (2, 2)])
        aggs = {r["aggregate_name"]: r for r in data["benchmarks"] if r["run_type"] == "aggregate"}
        self.assertEqual((aggs["median"]["real_time"], aggs["min"]["p50_ns"], aggs["max"]["p50_ns"]), (200.0, 100.0, 300.0))
        self.assertAlmostEqual(aggs["cv"]["real_time"], 0.5)
        self.assertEqual(data["context"]["pollbench_processes"], "3")
        self.assertEqual(data["context"]["process_dates"], ["d0", "d1", "d2"])
        p = run.points[0]
        self.assertEqual((p.per_call_ns, p.per_call_spread_ns, p.process_count), (200.0, (100.0, 300.0), 3))

    def test_precision_rounds_continue_the_processes_under_the_sweeps_names(self):
        # A precision round is a filtered process: other family indexes, other run options in its
        # names. Its rows must join the sweep's point, tagged sampling=precision.
        def row(name, family, t):
            return {"name": name, "run_name": name, "run_type": "iteration", "family_index": family,
                    "per_family_instance_index": family, "real_time": t, "cpu_time": t, "time_unit": "ns"}
        sweep_name = "wait/poll/socketpair/mode:block/pos:spread/fds:1000/active:1/min_time:0.040/manual_time"
        other = "ctl/poll/add/fds:10/manual_time"
        with tempfile.TemporaryDirectory() as d:
            files = [(Path(d) / "p0.json", [row(other, 0, 5.0), row(sweep_name, 3, 100.0)]),
                     (Path(d) / "p1.json", [row(other, 0, 6.0), row(sweep_name, 3, 110.0)]),
                     (Path(d) / "round-0.json",
                      [row("wait/poll/socketpair/mode:block/pos:spread/fds:1000/active:1/min_time:0.015/manual_time",
                           0, 90.0)])]
            for path, rows in files:
                path.write_text(json.dumps({"context": {}, "benchmarks": rows}))
            out = Path(d) / "merged.json"
            self.assertIn("1 of them precision rounds", pr.merge_processes([f for f, _ in files], out, precision_from=2))
            data = json.loads(out.read_text())
            run = pr.load(out)
        rows = [r for r in data["benchmarks"] if r["run_type"] == "iteration"]
        self.assertEqual([(r["process_index"], r["sampling"], r["family_index"]) for r in rows if "fds:1000" in r["name"]],
                         [(0, "sweep", 3), (1, "sweep", 3), (2, "precision", 3)])
        self.assertEqual({r["name"] for r in rows if "fds:1000" in r["name"]}, {sweep_name})
        self.assertEqual({r["sampling"] for r in rows if r["name"] == other}, {"sweep"})
        self.assertEqual(data["context"]["pollbench_sweep_processes"], "2")
        point = next(p for p in run.points if p.run_name == sweep_name)
        self.assertEqual((point.process_count, point.per_call_ns), (3, 100.0))

    def test_precision_from_needs_merge(self):
        with self.assertRaises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
            pr.main(["a.json", "--precision-from", "1"])
        self.assertEqual(e.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
