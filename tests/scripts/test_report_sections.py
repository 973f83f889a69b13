"""Sections of report.md rendered alone, on the fixtures: the first page (headline at the fixed N
with its intervals, key ratios), the findings (each short, grouped), herd and watched through
pollbench_results, the knee on a run with a known knee, and the interval of the median."""

import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import known_fixture  # noqa: E402
import pollbench_analysis as pa  # noqa: E402
import pollbench_herd  # noqa: E402
import pollbench_report  # noqa: E402
import pollbench_report_servers as servers  # noqa: E402
import pollbench_report_summary as summary  # noqa: E402
import pollbench_report_surprises as surprises  # noqa: E402
import pollbench_report_wait as wait_sections  # noqa: E402
import pollbench_results as pr  # noqa: E402
import pollbench_watched  # noqa: E402
from pollbench_report_base import ReportInput, Section, words  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixture"


class KnownRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        run_dir = Path(cls.tmp.name)
        known_fixture.write(run_dir)
        cls.inp = ReportInput(run_dir, pr.load(run_dir / "wait.json"), pr.load(run_dir / "tcp.json"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_headline_at_the_fixed_n_and_the_largest(self):
        text = summary.headline(self.inp)
        self.assertIn("With 1,000 watched socketpairs and 1 ready, a blocking wait took 100 µs [99 µs–101 µs] with "
                      "select and 80 µs [79.2 µs–80.8 µs] with poll, against 500 ns [495 ns–505 ns] with epoll_lt: "
                      "select 200× and poll 160× slower than epoll_lt.", text)
        self.assertIn("At 20,000, the largest N of this run, 2 ms [1.4 ms–2.6 ms] with select", text)
        self.assertIn("distribution-free 93.8% interval of the median over 5 processes (their min–max)", text)

    def test_key_ratios(self):
        text = summary.key_ratios(self.inp)
        self.assertIn("| select / epoll_lt, N = 1,000, 1 ready | 200× | 196×–204× |", text)
        self.assertIn("| select / epoll_lt, N = 20,000, 1 ready | 4,000× | 2,770×–5,250× |", text)
        self.assertIn("| crossover: epoll_lt slower than poll, N = 1,000 | 80% ready |", text)
        self.assertIn("select 1.00, poll 1.00, epoll_lt 0.00", text)

    def test_findings_are_short_and_grouped(self):
        items = surprises.findings(self.inp)
        self.assertTrue(items)
        for item in items:
            self.assertLessEqual(words(item), surprises.MAX_WORDS, item)
        rises = [i for i in items if "TCP curve step" in i]
        self.assertEqual(len(rises), 1)
        self.assertTrue(rises[0].startswith("**1 TCP curve step rises with idle connections beyond the spread** "
                                            "(epoll_lt, 10 active, 80k/s → 100k/s from idle 0 to 1,000)"), rises[0])

    def test_a_section_renders_alone_with_its_number(self):
        section = Section("Crossover", wait_sections.crossover_section)
        text = section.render(self.inp, 7)
        self.assertTrue(text.startswith("## 7. Crossover\n\n"))
        self.assertIn("| 1,000 | epoll_lt | ≈ 796 ready | 80% |", text)
        self.assertEqual(Section("Empty", lambda inp: "").render(self.inp, 1), "")


class FixtureRun(unittest.TestCase):
    def setUp(self):
        self.inp = ReportInput(FIXTURE, pr.load(FIXTURE / "wait.json"), pr.load(FIXTURE / "tcp.json"))

    def test_findings_on_a_real_run_are_short(self):
        for item in surprises.findings(self.inp):
            self.assertLessEqual(words(item), surprises.MAX_WORDS, item)

    def test_herd_through_pollbench_results(self):
        run = pollbench_herd.load(FIXTURE / "herd.json")
        self.assertEqual(pollbench_herd.threads(run), [1, 2, 8])
        self.assertEqual(pollbench_herd.arrivals(run), ["steady", "burst"])
        self.assertIn("epoll_exclusive", pollbench_herd.modes(run))
        text = servers.herd_section(self.inp)
        self.assertIn("**steady arrivals**", text)
        self.assertIn("| mode | T=1 | T=2 | T=8 |", text)
        self.assertIn("**T = 8**", text)

    def test_watched_through_pollbench_results(self):
        run = pollbench_watched.load(FIXTURE / "watched.json")
        self.assertEqual(run.param_values("wait_watched", "watched"), [1000, 20000, 100000])
        text = servers.watched_section(self.inp)
        self.assertIn("| wait p50, 1 ready | 1,000 | 20,000 | 100,000 |", text)
        self.assertIn("| ctl add p50 |", text)
        self.assertRegex(text, r"\| epoll_lt \| [0-9.]+ (ns|µs) \|")

    def test_a_file_without_herd_results_is_refused(self):
        with self.assertRaisesRegex(pr.ResultsError, "holds no herd/... results"):
            pollbench_herd.load(FIXTURE / "tcp.json")

    def test_whole_report_numbers_its_sections_in_order(self):
        text = pollbench_report.render(self.inp)
        numbers = [int(line[3:].split(".")[0]) for line in text.splitlines() if line.startswith("## ")]
        self.assertEqual(numbers, list(range(1, len(numbers) + 1)))


class Knee(unittest.TestCase):
    def test_a_step_in_the_per_fd_cost_is_found(self):
        # select and poll: 100 ns per fd up to N = 2,000, 400 ns from 5,000 on; epoll flat.
        ns = (100, 200, 500, 1000, 2000, 5000, 10000, 20000)
        points = []
        for b, per_fd in (("select", 100.0), ("poll", 80.0), ("epoll_lt", None)):
            for n in ns:
                t = 500.0 if per_fd is None else per_fd * n * (4 if n >= 5000 else 1)
                name = f"wait/{b}/socketpair/fds:{n}/active:1"
                points.append(pr.Point(name, "wait", (b, "socketpair"), {"fds": n, "active": 1}, 0, {},
                                       [t], [{"p50_ns": t}], [None]))
        run = pr.Run(Path("synthetic.json"), {}, points, {}, [])
        self.assertEqual(pa.knee(run, "socketpair"), pa.Knee(2000, 5000, True))
        self.assertEqual(pa.knee(run, "socketpair", last_below=1000), pa.Knee(1000, 2000, False))
        inp = ReportInput(Path("."), run, None)
        self.assertAlmostEqual(inp.slope("select", 1, max_fds=2000), 1.0)
        self.assertAlmostEqual(inp.slope("select", 1, min_fds=5000), 1.0)
        text = summary.key_ratios(inp)
        self.assertIn("| log-log slope, N 100–2,000, below the knee (found from the data) | "
                      "select 1.00, poll 1.00", text)
        self.assertIn("| the knee, between N = 2,000 and 5,000 | per watched fd | – | select 100 ns → 400 ns; "
                      "poll 80 ns → 320 ns |", text)


class MedianInterval(unittest.TestCase):
    def test_order_statistics(self):
        self.assertEqual(pr.median_interval([5, 1, 4, 2, 3]), (1, 5, 0.9375))
        lo, hi, coverage = pr.median_interval(range(1, 11))
        self.assertEqual((lo, hi), (2, 9))
        self.assertAlmostEqual(coverage, 1 - 22 / 1024)
        self.assertIsNone(pr.median_interval([1.0]))


if __name__ == "__main__":
    unittest.main()
