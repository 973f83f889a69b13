"""Unit tests of scripts/pollbench_results.py: name parsing, the slope fit, formatting."""

import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
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

    def test_a_non_numeric_value_stays_a_label(self):
        self.assertEqual(pr.parse_name("wait/select/kind:pipe/fds:10"), ("wait", ("select", "kind:pipe"), {"fds": 10}))


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
        points = run.select("wait", ("epoll_lt", None), active=1)
        self.assertGreaterEqual(len(points), 2)
        for p in points:
            self.assertGreater(p.mean_ns, 0)
            self.assertEqual(p.per_call_ns, p.counter("p50_ns"))
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


if __name__ == "__main__":
    unittest.main()
