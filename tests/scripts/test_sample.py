"""Tests of scripts/pollbench_sample.py against a fake wait_bench (tests/scripts/fake_wait_bench):
points with known spread stop as they should, rounds run only the open points, and failures
and bad input are reported."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLER = HERE.parents[1] / "scripts" / "pollbench_sample.py"
FAKE = HERE / "fake_wait_bench"
sys.path.insert(0, str(HERE.parents[1] / "scripts"))
import pollbench_stats as ps  # noqa: E402

STEADY = "wait/epoll_lt/socketpair/mode:block/pos:middle/fds:1000/active:1"     # sigma 0.4%
MODERATE = "wait/poll/socketpair/mode:block/pos:middle/fds:1000/active:1"       # sigma 5%, in us
NOISY = "wait/poll/socketpair/mode:block/pos:middle/fds:19930/active:1"         # sigma 80%
BROKEN = "wait/select/socketpair/mode:block/pos:middle/fds:1000/active:1"       # reports an error


class FakeRun(unittest.TestCase):
    """Runs the sampler against the fake, with a state directory of its own per test."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.state = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_sampler(self, *args, env=None, pass_fds=()):
        out = os.path.join(self.state, "samples.json")
        full_env = dict(os.environ, FAKE_WAIT_BENCH_STATE=self.state, **(env or {}))
        done = subprocess.run([sys.executable, str(SAMPLER), str(FAKE), "--out", out, *args],
                              capture_output=True, text=True, env=full_env, timeout=120, pass_fds=pass_fds)
        if done.returncode != 0:
            return done, None
        with open(out) as f:
            return done, json.load(f)

    def calls(self):
        with open(os.path.join(self.state, "calls.log")) as log:
            return [json.loads(line) for line in log]


class Sampler(FakeRun):
    def test_each_point_stops_by_the_rule(self):
        done, result = self.run_sampler("--point", STEADY, "--point", MODERATE, "--point", NOISY,
                                        "--precision", "0.05", "--budget-s", "60", "--max-samples", "25")
        self.assertEqual(done.returncode, 0, done.stderr)
        points = result["points"]
        # Steady: reached at the minimum. Moderate: reached, after more. Noisy: the count cap.
        self.assertEqual((points[STEADY]["status"], points[STEADY]["n"]), ("reached", 6))
        self.assertEqual(points[MODERATE]["status"], "reached")
        self.assertGreater(points[MODERATE]["n"], 6)
        self.assertLessEqual(points[MODERATE]["relative_half_width"], 0.05)
        self.assertEqual((points[NOISY]["status"], points[NOISY]["n"]), ("budget", 25))
        self.assertGreater(points[NOISY]["relative_half_width"], 0.05)
        self.assertEqual(result["rounds"], 25)

        for name, p in points.items():
            self.assertEqual(len(p["samples"]), p["n"])
            self.assertEqual(p["median"], statistics.median(p["samples"]))
            self.assertLessEqual(p["lo"], p["median"])
            self.assertLessEqual(p["median"], p["hi"])
            self.assertGreaterEqual(p["coverage"], 0.95)
            self.assertEqual(p["time_unit"], "ns")
        # The fake reports the moderate point in us; the sampler keeps ns.
        self.assertAlmostEqual(points[MODERATE]["median"] / 95_000, 1, delta=0.1)
        self.assertEqual(result["unit"], "process")
        self.assertEqual(result["context"]["fake"], True)

        # Each round: one process over the open points of at most 10,000 fds, one over the larger
        # (NOISY, at 19,930), so the small ones never wait for the big pool. One repetition each.
        calls = self.calls()
        self.assertEqual(result["processes"], len(calls))
        big = [c for c in calls if NOISY in c["matched"]]
        small = [c for c in calls if NOISY not in c["matched"]]
        self.assertEqual(len(big), 25)
        self.assertTrue(all(c["matched"] == [NOISY] for c in big))
        self.assertEqual(len(small), points[MODERATE]["n"])
        for i, call in enumerate(small, start=1):
            want = ({STEADY} if i <= 6 else set()) | {MODERATE}
            self.assertEqual(set(call["matched"]), want, f"round {i}")
        self.assertTrue(all("--benchmark_repetitions=1" in c["argv"] for c in calls))
        # One progress line per round.
        progress = [ln for ln in done.stderr.splitlines() if ln.startswith("round ")]
        self.assertEqual(len(progress), 25)
        self.assertIn("1 open, 2 reached, 0 on budget", progress[-2])

    def test_samples_in_spells_get_the_serial_interval(self):
        # Every other spell of 5 processes 30% slower: the interval is the serial one over the
        # samples in the order taken, wider than independent samples' would be.
        done, result = self.run_sampler("--point", MODERATE, "--precision", "0.001", "--budget-s", "60",
                                        "--max-samples", "40", env={"FAKE_WAIT_BENCH_SPELL": "5"})
        self.assertEqual(done.returncode, 0, done.stderr)
        p = result["points"][MODERATE]
        self.assertEqual((p["status"], p["n"]), ("budget", 40))
        self.assertGreater(ps.serial_factor(p["samples"]), 1.5)
        serial, plain = ps.serial_median_ci(p["samples"]), ps.median_ci(p["samples"])
        if serial is None:
            self.assertIsNone(p["lo"])
        else:
            self.assertEqual((p["lo"], p["hi"], p["coverage"]), (serial.lo, serial.hi, serial.coverage))
            self.assertGreater(serial.hi - serial.lo, plain.hi - plain.lo)

    def test_the_time_budget_stops_every_point(self):
        done, result = self.run_sampler("--point", STEADY, "--point", NOISY, "--precision", "0.001",
                                        "--budget-s", "1", env={"FAKE_WAIT_BENCH_SLEEP": "0.1"})
        self.assertEqual(done.returncode, 0, done.stderr)
        for p in result["points"].values():
            self.assertEqual(p["status"], "budget")
        self.assertLess(result["rounds"], 10)

    def test_wait_bench_arguments_pass_through(self):
        done, _ = self.run_sampler("--point", STEADY, "--max-samples", "6", "--", "--quick", "--cpu=0")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(all({"--quick", "--cpu=0"} <= set(c["argv"]) for c in self.calls()))

    def test_run_options_in_given_names_are_dropped(self):
        done, result = self.run_sampler("--point", STEADY + "/min_time:0.026/repeats:5/manual_time",
                                        "--max-samples", "6")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(list(result["points"]), [STEADY])


class Phase(FakeRun):
    """What bench.sh's precision phase uses: seeding from the sweep, kept rounds, precision.json."""

    def test_seed_rounds_and_summary(self):
        seed = os.path.join(self.state, "wait.json")
        rows = [{"name": STEADY + "/min_time:0.040/manual_time", "run_name": STEADY + "/min_time:0.040/manual_time",
                 "run_type": "iteration", "iterations": 10, "real_time": 0.7, "time_unit": "us", "process_index": i}
                for i in range(3)]
        rows.append(dict(rows[0], run_type="aggregate", aggregate_name="median", process_index=None))
        with open(seed, "w") as f:
            json.dump({"context": {}, "benchmarks": rows}, f)
        rounds = os.path.join(self.state, "rounds")
        os.mkdir(rounds)
        summary = os.path.join(self.state, "precision.json")
        done, result = self.run_sampler("--point", STEADY, "--seed", seed, "--keep-rounds", rounds,
                                        "--precision-json", summary, "--budget-s", "60")
        self.assertEqual(done.returncode, 0, done.stderr)
        point = result["points"][STEADY]
        # Three samples from the sweep's three processes (in ns), three rounds to the minimum of 6.
        self.assertEqual(point["samples"][:3], [700.0] * 3)
        self.assertEqual((point["n"], point["status"], result["rounds"]), (6, "reached", 3))
        self.assertEqual(sorted(os.listdir(rounds)), ["round-0.json", "round-1.json", "round-2.json"])
        with open(summary) as f:
            prec = json.load(f)
        self.assertEqual({k: prec[k] for k in ("precision", "confidence", "unit")},
                         {"precision": 0.05, "confidence": 0.95, "unit": "process"})
        self.assertEqual(set(prec["points"][STEADY]), {"n", "median", "lo", "hi", "coverage", "relative_half_width",
                                                       "status", "role"})
        self.assertEqual(prec["points"][STEADY]["n"], 6)
        self.assertGreater(prec["budget_s"], prec["spent_s"])

    def test_rounds_inherit_the_callers_fds(self):
        # wait_bench's largest N depends on the fds it inherits: a round must inherit what the
        # sampler's caller gave it, as bench.sh's sweep processes do.
        read_end, write_end = os.pipe()
        far = os.dup2(write_end, 243)  # a number no file the fake opens itself takes
        try:
            done, _ = self.run_sampler("--point", STEADY, "--max-samples", "6", pass_fds=(far,))
        finally:
            for fd in (read_end, write_end, far):
                os.close(fd)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(all(far in c["fds"] for c in self.calls()), self.calls()[0]["fds"])

    def test_backends_and_pool_groups_of_a_round(self):
        sys.path.insert(0, str(SAMPLER.parent))
        import pollbench_sample as sampler
        caps = [{"name": "select", "raw": "select"}, {"name": "poll", "raw": "poll"},
                {"name": "epoll_lt", "raw": "epoll"}, {"name": "epoll_et", "raw": "epoll"}]
        names = ["wait/poll/socketpair/mode:block/pos:spread/fds:1000/active:1",
                 "raw/epoll/socketpair/mode:block/pos:spread/fds:19930/active:1",
                 "wait/select/dup/mode:block/pos:last/fds:10000/active:1"]
        # In capability order; raw/epoll is the baseline of the first epoll backend.
        self.assertEqual(sampler.backends_for(names, caps), ["select", "poll", "epoll_lt"])
        self.assertIsNone(sampler.backends_for(names + ["wait/newone/socketpair/fds:1"], caps))
        self.assertEqual(sampler.pool_groups(names), [[names[0], names[2]], [names[1]]])
        self.assertEqual(sampler.pool_groups(names[:1]), [names[:1]])
        # Layer shares the headline's processes (its pairs); the knee gets its own.
        roles = {names[0]: ["headline", "slope"], names[1]: ["layer"], names[2]: ["knee"]}
        self.assertEqual(sampler.pool_groups(names, roles), [[names[0]], [names[1]], [names[2]]])
        # A point of several roles runs in each's processes; the layer's run all its points while
        # one is open (its pairs), the others only their open ones.
        small_raw = "raw/poll/socketpair/mode:block/pos:spread/fds:1000/active:1"
        roles = {names[0]: ["headline", "slope", "layer"], small_raw: ["layer"]}
        self.assertEqual(sampler.pool_groups([names[0], small_raw], roles), [[names[0]], [names[0], small_raw]])
        groups = sampler.process_groups({names[0]: "reached", small_raw: "continue"}, roles)
        self.assertEqual(groups, {("layer", False): [names[0], small_raw]})

    def test_a_point_that_does_not_settle_stops(self):
        sys.path.insert(0, str(SAMPLER.parent))
        import pollbench_sample as sampler
        args = type("Args", (), {"precision": 0.05, "min_samples": 6, "max_samples": 400})()
        two_states = sampler.Point("x", samples=[600.0, 2600.0] * 50)  # 100 samples, median between
        steady = sampler.Point("y", samples=[1000.0 + i % 10 for i in range(100)])
        few = sampler.Point("z", samples=[600.0, 2600.0] * 10)
        self.assertTrue(sampler.unsettled(two_states, args))
        self.assertFalse(sampler.unsettled(steady, args))
        self.assertFalse(sampler.unsettled(few, args))  # too early to tell

    def test_roles_from_a_listing(self):
        sys.path.insert(0, str(SAMPLER.parent))
        import pollbench_sample as sampler
        spread = "wait/{}/socketpair/mode:block/pos:spread/fds:{}/active:{}/min_time:0.04/manual_time"
        listed = [spread.format(b, n, 1) for b in ("select", "poll", "epoll_lt", "epoll_et")
                  for n in (1, 10, 100, 1000, 10000, 19930)]
        listed += [f"raw/{r}/socketpair/mode:block/pos:spread/fds:{n}/active:1" for r in ("poll", "epoll")
                   for n in (1, 10, 1000, 19930)]
        listed += [spread.format("poll", 1000, a) for a in (10, 1000)] + [spread.format("select", 1000, 10)]
        listed += ["wait/poll/dup/mode:nonblock/pos:last/fds:10000/active:1",
                   "wait/poll/socketpair/mode:nonblock/pos:last/fds:10000/active:1"]
        roles = sampler.role_points(listed, list(sampler.ROLES), {"select": "select", "poll": "poll", "epoll_lt": "epoll", "epoll_et": "epoll"})
        w = "wait/{}/socketpair/mode:block/pos:spread/fds:{}/active:{}"
        self.assertEqual([n for n, r in roles.items() if r[0] == "headline"],
                         [w.format(b, n, 1) for b in ("select", "poll", "epoll_lt") for n in (1000, 19930)])
        self.assertEqual(roles[w.format("poll", 1000, 1)], ["headline", "slope", "layer"])
        self.assertEqual(roles[w.format("select", 100, 1)], ["slope"])
        self.assertNotIn(w.format("select", 10, 1), roles)          # slope: N >= 100 only
        self.assertNotIn(w.format("epoll_et", 1000, 1), roles)      # layer: raw/epoll pairs with epoll_lt
        self.assertEqual(roles["raw/epoll/socketpair/mode:block/pos:spread/fds:1000/active:1"], ["layer"])
        self.assertEqual(roles[w.format("epoll_lt", 1, 1)], ["layer"])
        self.assertEqual(roles["wait/poll/dup/mode:nonblock/pos:last/fds:10000/active:1"], ["knee"])
        self.assertEqual(roles["wait/poll/socketpair/mode:nonblock/pos:last/fds:10000/active:1"], ["knee"])
        self.assertEqual(roles[w.format("poll", 1000, 1000)], ["crossover"])
        self.assertNotIn(w.format("select", 1000, 10), roles)       # crossover: poll and epoll only


class Failures(FakeRun):
    def test_unknown_point_exits_2_naming_it(self):
        done, _ = self.run_sampler("--point", STEADY, "--point", "wait/nosuch/socketpair/fds:1")
        self.assertEqual(done.returncode, 2)
        self.assertIn("no point named: wait/nosuch/socketpair/fds:1", done.stderr)

    def test_a_failing_process_exits_1(self):
        done, _ = self.run_sampler("--point", STEADY, env={"FAKE_WAIT_BENCH_FAIL": "2"})
        self.assertEqual(done.returncode, 1)
        self.assertIn("exited 1", done.stderr)
        self.assertIn("failing as asked", done.stderr)

    def test_a_point_that_reports_an_error_exits_1(self):
        done, _ = self.run_sampler("--point", BROKEN)
        self.assertEqual(done.returncode, 1)
        self.assertIn("a wait returned 2 events", done.stderr)

    def test_bad_command_lines_exit_2(self):
        for args, says in ((["--point", STEADY, "--precision", "0"], "--precision"),
                           (["--point", STEADY, "--precision", "5"], "--precision"),
                           (["--point", STEADY, "--budget-s", "-1"], "--budget-s"),
                           (["--point", STEADY, "--max-samples", "3"], "--max-samples"),
                           (["--point", STEADY, "--unit", "pool"], "--unit"),
                           ([], "no points")):
            done, _ = self.run_sampler(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn(says, done.stderr, args)
        done = subprocess.run([sys.executable, str(SAMPLER), "/nonexistent/wait_bench", "--point", STEADY],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertIn("not an executable file", done.stderr)


if __name__ == "__main__":
    unittest.main()
