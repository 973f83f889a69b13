"""The report's intervals, knee, layer, TCP-round and probe sections, rendered alone: on the fixture
(a real short run with probes, precision.json, dup rows and TCP rounds), on hand-set figures whose
answers are known, and on a run without any of the new files (the old runs), which must say what
is missing instead of failing."""

import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pollbench_knee as pk  # noqa: E402
import pollbench_report_layers as layers  # noqa: E402
import pollbench_report_meta as meta  # noqa: E402
import pollbench_report_servers as servers  # noqa: E402
import pollbench_report_summary as summary  # noqa: E402
import pollbench_report_wait as wait_sections  # noqa: E402
import pollbench_results as pr  # noqa: E402
from pollbench_report_base import ReportInput  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixture"
SPREAD = "wait/select/socketpair/mode:block/pos:spread/fds:1000/active:1"


def point(name: str, values: list[float], processes: list[int], counter: str = "p50_ns") -> pr.Point:
    area, labels, params, tags = pr.parse_name_and_tags(name)
    return pr.Point(name, area, labels, params, 0, tags, list(values), [{counter: v} for v in values],
                    list(processes))


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inp = ReportInput(FIXTURE, pr.load(FIXTURE / "wait.json"), pr.load(FIXTURE / "tcp.json"))

    def test_headline_quotes_precision_and_counts_the_cited_points(self):
        text = summary.headline(self.inp)
        entry = self.inp.precision["points"][SPREAD]
        self.assertIn(f"took {pr.format_ns(entry['median'])} [{pr.format_ns(entry['lo'])}–"
                      f"{pr.format_ns(entry['hi'])}] with select", text)
        reached = sum(1 for b in ("select", "poll", "epoll_lt")
                      if self.inp.precision["points"][SPREAD.replace("select", b)]["status"] == "reached")
        self.assertIn(f"the 95% distribution-free interval of each median", text)
        self.assertIn(f"{reached} of 3 cited points reached ±5%", text)

    def test_spread_section_shows_n_interval_and_status(self):
        text = meta.spread_section(self.inp)
        self.assertIn("**The precision phase** sampled 5 points", text)
        self.assertIn(f"| `{SPREAD}` | 12 |", text)
        self.assertIn("stopped on budget", text)
        self.assertIn("⏱", text)  # a precision point in the grid, marked with its status
        self.assertIn(" · 2 |", text)  # a sweep point: n = 2 processes

    def test_knee_section_has_the_dup_control_and_the_pointer_chase(self):
        text = wait_sections.knee_section(self.inp)
        for said in ("| select | blocking | 1,000 |", "dup()s of one socket", "sysfs lists L2",
                     "rule: the first size whose latency exceeds 3× the smallest size's"):
            self.assertIn(said, text)

    def test_layer_table_covers_n_1_and_the_largest_with_paired_intervals(self):
        text = layers.raw_table(self.inp)
        self.assertIn("| select | 1 |", text)
        self.assertIn("| select | 100 |", text)  # the fixture's largest raw N
        self.assertIn("select at N = 1,000", text)  # said to be missing, not dropped
        self.assertRegex(text, r"\| 1\.\d\d \[\d\.\d\d–\d\.\d\d, 50\.0%\]( \*\*⚑\*\*)? \| 2 \|")

    def test_tcp_ratios_per_round(self):
        text = servers.tcp_table(self.inp)
        self.assertIn("**Per-round ratios to epoll_lt**", text)
        self.assertIn("min–max over 2 rounds, covering the median with 50.0%", text)
        self.assertIn("drift between days cancels", summary.first_page(self.inp))

    def test_machine_table_has_the_probes_at_start_and_end(self):
        text = meta.machine(self.inp)
        self.assertIn("| probe | at the start | at the end |", text)
        for row in ("memory latency, pointer chase over 256 KiB", "CPU loop (per step)",
                    "epoll_wait, N = 1 (per wait)", "poll per fd, dup control, N = 1,000, blocking"):
            self.assertIn(row, text)


class KnownFigures(unittest.TestCase):
    def test_layer_ratio_is_the_median_of_paired_ratios(self):
        # Per process: wait 110, 120, 130, 105, 100, 140, 115 over raw 100: ratios 1.10 1.20 1.30 1.05 1.00
        # 1.40 1.15; process 7 has only the raw point, so it pairs with nothing.
        wait = point("wait/poll/socketpair/fds:1/active:1", [110, 120, 130, 105, 100, 140, 115], list(range(7)))
        raw = point("raw/poll/socketpair/fds:1/active:1", [100] * 8, list(range(8)))
        iv = layers.layer_ratio(wait, raw)
        self.assertEqual(iv.n, 7)
        self.assertAlmostEqual(iv.median, 1.15)
        self.assertAlmostEqual(iv.lo, 1.00)  # n = 7: ranks 1 and 7 (coverage 98.4%)
        self.assertAlmostEqual(iv.hi, 1.40)
        self.assertFalse(layers._layer_cell(iv)[2])  # reaches below 1.05: not flagged
        above = layers.layer_ratio(point("wait/poll/socketpair/fds:1/active:1", [120] * 6, list(range(6))),
                                   point("raw/poll/socketpair/fds:1/active:1", [100] * 6, list(range(6))))
        self.assertTrue(layers._layer_cell(above)[2])

    def test_tcp_ratio_pairs_rows_of_the_same_round(self):
        with tempfile.TemporaryDirectory() as tmp:
            rows = []
            for b, per_round in (("epoll_lt", [100.0, 200.0, 400.0]), ("poll", [50.0, 150.0, 100.0])):
                for r, rps in enumerate(per_round):
                    name = f"tcp/{b}/idle:10/active:1/manual_time"
                    rows.append({"name": name, "run_name": name, "run_type": "iteration", "family_index": 0,
                                 "real_time": 1.0, "time_unit": "ms", "iterations": 1, "requests_per_sec": rps,
                                 "process_index": r, "repetition_index": r})
            Path(tmp, "tcp.json").write_text(json.dumps({"context": {}, "benchmarks": rows}))
            inp = ReportInput(Path(tmp), None, pr.load(Path(tmp) / "tcp.json"))
            iv = servers.tcp_ratio(inp, "poll", 10, 1)
        # Rounds: 0.5, 0.75, 0.25 -> median 0.5, min–max 0.25–0.75 (3 rounds cover it with 75%).
        self.assertEqual((iv.n, iv.median, iv.lo, iv.hi), (3, 0.5, 0.25, 0.75))
        self.assertAlmostEqual(iv.coverage, 0.75)

    def test_effective_cache_rule(self):
        probe = {"pointer_chase": [{"bytes": b, "ns_per_load": {"median": ns}}
                                   for b, ns in ((262144, 4.0), (1048576, 11.0), (4194304, 11.5), (8388608, 140.0))]}
        cache = pk.effective_cache(probe)
        self.assertEqual((cache.fits, cache.spills), (4194304, 8388608))
        self.assertIsNone(pk.effective_cache({"pointer_chase": []}))

    def test_control_verdicts(self):
        self.assertIn("memory, not the algorithm", wait_sections.control_verdict(3.0, 1.05))
        self.assertIn("both rise", wait_sections.control_verdict(3.0, 2.0))

    def test_interval_below_six_is_min_max_with_its_coverage(self):
        iv = pr.interval_of([5, 1, 4, 2, 3])
        self.assertEqual((iv.lo, iv.hi, iv.source), (1, 5, "min–max"))
        self.assertAlmostEqual(iv.coverage, 0.9375)
        self.assertEqual(pr.interval_of(range(1, 12)).source, "order statistics")


class OldRun(unittest.TestCase):
    """A run with neither probes, precision.json, dup rows nor TCP rounds: each section says so."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        run = Path(cls.tmp.name)
        data = json.loads((FIXTURE / "wait.json").read_text())
        data["benchmarks"] = [r for r in data["benchmarks"] if "/dup/" not in r.get("run_name", "")]
        (run / "wait.json").write_text(json.dumps(data))
        tcp = json.loads((FIXTURE / "tcp.json").read_text())
        for r in tcp["benchmarks"]:
            r.pop("process_index", None)
        (run / "tcp.json").write_text(json.dumps(tcp))
        shutil.copy(FIXTURE / "command.txt", run)
        cls.inp = ReportInput(run, pr.load(run / "wait.json"), pr.load(run / "tcp.json"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_each_section_names_what_is_missing(self):
        self.assertIn("no precision phase (no precision.json)", summary.headline(self.inp))
        self.assertIn("no dup control", wait_sections.knee_section(self.inp))
        self.assertIn("no machine probe", wait_sections.knee_section(self.inp))
        self.assertIn("No machine probes in this run", meta.machine(self.inp))
        self.assertIn("carry no round", servers.tcp_table(self.inp))
        self.assertIn("no precision phase", meta.spread_section(self.inp))


class NoInterval(unittest.TestCase):
    """A cited point whose samples were too few for the spells they came in: precision.json gives
    its median and no interval, and the report says so instead of quoting the sweep's."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        run = Path(cls.tmp.name) / "run"
        shutil.copytree(FIXTURE, run)
        precision = json.loads((run / "precision.json").read_text())
        precision["points"][SPREAD].update(lo=None, hi=None, coverage=None, relative_half_width=None,
                                           status="budget")
        (run / "precision.json").write_text(json.dumps(precision))
        cls.median = precision["points"][SPREAD]["median"]
        cls.inp = ReportInput(run, pr.load(run / "wait.json"), pr.load(run / "tcp.json"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_headline_and_budget_paragraph_say_no_interval(self):
        text = summary.headline(self.inp)
        self.assertIn(f"took {pr.format_ns(self.median)} [no interval] with select", text)
        self.assertIn("select at N = 1,000 (no interval: too few samples for the spells they came in)", text)
        self.assertIn("no interval", meta.budget_paragraph(self.inp))




class TwoStates(unittest.TestCase):
    """The finding for points that never settle: two states that last in time."""

    def test_two_lasting_states_are_found(self):
        import pollbench_report_surprises as surprises
        values = [600.0 + i % 7 for i in range(30)] + [2600.0 + i % 5 for i in range(30)]
        high, low, high_median = surprises.two_states(values)
        self.assertEqual(sum(high), 30)
        self.assertEqual(high[:30], [False] * 30)
        self.assertAlmostEqual(low, 603, delta=3)
        self.assertAlmostEqual(high_median, 2602, delta=2)

    def test_one_state_is_not_two(self):
        import pollbench_report_surprises as surprises
        self.assertIsNone(surprises.two_states([1000.0 + 10 * (i % 9) for i in range(60)]))  # spread < 2x
        self.assertIsNone(surprises.two_states([600.0] * 57 + [2600.0] * 3))  # the high state under 15%
        self.assertIsNone(surprises.two_states([600.0, 2600.0] * 5))  # too few processes to tell


if __name__ == "__main__":
    unittest.main()
