"""Tests of the fleet report (scripts/pollbench_fleet.py, scripts/compare.sh --fleet) on runs
derived from the committed fixtures by fleet_fixture.py: other machines, kernels and commits,
times scaled, a backend and an N left out. Its docstring gives every answer checked here."""

import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(HERE))
import fleet_fixture  # noqa: E402
import pollbench_fleet as pf  # noqa: E402

COMPARE = REPO / "scripts" / "compare.sh"


def setUpModule():
    global TMP, RUNS
    TMP = tempfile.TemporaryDirectory(prefix="pollbench-fleet-test.")
    RUNS = Path(TMP.name)
    fleet_fixture.main(RUNS)


def tearDownModule():
    TMP.cleanup()


def dirs(*names):
    return [str(RUNS / n) for n in names]


class MedianInterval(unittest.TestCase):
    def test_five_samples_give_min_max_at_93_75_percent(self):
        e = pf.median_interval([5, 1, 4, 2, 3])
        self.assertEqual((e.value, e.low, e.high, e.samples), (3, 1, 5, 5))
        self.assertAlmostEqual(e.coverage, 1 - 2 / 32)

    def test_more_samples_narrow_to_inner_order_statistics(self):
        e = pf.median_interval(range(1, 10))  # n = 9: k = 2 covers 1 - 2·10/512 = 96.1%
        self.assertEqual((e.low, e.high), (2, 8))
        self.assertAlmostEqual(e.coverage, 1 - 2 * 10 / 512)
        e = pf.median_interval(range(1, 21))  # n = 20: k = 6 covers 95.9%, k = 7 only 88.5%
        self.assertEqual((e.low, e.high), (6, 15))
        self.assertGreaterEqual(e.coverage, 0.95)

    def test_one_or_no_sample(self):
        self.assertIsNone(pf.median_interval([None, float("nan")]))
        e = pf.median_interval([7.0])
        self.assertEqual((e.value, e.low, e.high, e.coverage), (7.0, 7.0, 7.0, 0.0))
        self.assertEqual(pf.median_interval([1, 3]).coverage, 0.5)


class MachinesAndRatios(unittest.TestCase):
    """base, slow (every time ×2) and newer (poll ×1.5, no epoll_et, no N = 100)."""

    @classmethod
    def setUpClass(cls):
        cls.runs, cls.common = pf.fleet_runs(dirs("base", "slow", "newer"))
        cls.figs = {fr.label: pf.figures(fr, cls.common) for fr in cls.runs}

    def test_each_runs_machine_is_in_the_table(self):
        rows = [dict(pf.machine_fields(fr)) for fr in self.runs]
        self.assertEqual([r["kernel"] for r in rows], ["6.1.0-fixture", "6.12.0-fixture", "6.18.0-fixture"])
        self.assertEqual([r["commit"] for r in rows], ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"])
        self.assertEqual([r["fd limit"] for r in rows], ["20000", "4096", "20000"])
        self.assertEqual(rows[1]["CPU"], "Fixture Beta 2 ×4 1500 MHz")
        self.assertEqual(rows[0]["samples"], "2 processes")

    def test_compared_on_the_intersection_and_says_what_was_dropped(self):
        self.assertNotIn("epoll_et", self.common.backends)
        self.assertEqual(self.common.ns, [1, 1000])
        self.assertIn("backend epoll_et (not in C)", self.common.dropped)
        self.assertIn("N = 100 (not in C)", self.common.dropped)
        for fr in self.runs:
            self.assertFalse([p for p in fr.run.points if p.backend == "epoll_et" or p.params.get("fds") == 100])

    def test_ratios_within_a_run_ignore_the_machine_speed(self):
        a, b, c = (self.figs[k].ratios for k in "ABC")
        for key in a:
            self.assertAlmostEqual(b[key].value, a[key].value, places=9)
            self.assertAlmostEqual(b[key].low, a[key].low, places=9)
        self.assertAlmostEqual(c[("select", 1000)].value, a[("select", 1000)].value, places=9)
        self.assertAlmostEqual(c[("poll", 1000)].value, 1.5 * a[("poll", 1000)].value, places=9)
        self.assertEqual(a[("poll", 1000)].samples, 2)

    def test_summary_names_the_machines_first_then_what_was_left_out(self):
        lines = pf.summary(self.runs, self.common, self.figs)
        self.assertTrue(lines[0].startswith("Fleet of 3 runs"))
        self.assertIn("Linux 6.12.0-fixture", lines[2])
        self.assertIn("fd limit 4096", lines[2])
        left = next(line for line in lines if line.startswith("Left out:"))
        self.assertIn("epoll_et", left)
        self.assertIn("N = 100", left)
        self.assertIn("2 samples: min–max, 50.0% coverage", "\n".join(lines))


class KnownFigures(unittest.TestCase):
    """straight (known_fixture.py as it is) and bent (select and poll steeper above N = 1,000)."""

    @classmethod
    def setUpClass(cls):
        cls.runs, cls.common = pf.fleet_runs(dirs("straight", "bent"), fit_min=10)
        cls.figs = {fr.label: pf.figures(fr, cls.common) for fr in cls.runs}

    def test_headline_ratios_and_their_intervals(self):
        a = self.figs["A"]
        self.assertAlmostEqual(a.ratios[("select", 1000)].value, 200.0, places=6)
        wide = a.ratios[("select", 20000)]
        self.assertAlmostEqual(wide.value, 4000.0, places=6)
        self.assertAlmostEqual(wide.low, 4000 * 0.7 / 0.99, places=6)
        self.assertAlmostEqual(wide.high, 4000 * 1.3 / 1.01, places=6)
        self.assertAlmostEqual(wide.coverage, 0.9375)
        self.assertAlmostEqual(self.figs["B"].ratios[("select", 20000)].value, 4000 * math.sqrt(20), places=3)

    def test_slopes_and_knee(self):
        self.assertAlmostEqual(self.figs["A"].slopes["poll"].value, 1.0, places=6)
        self.assertAlmostEqual(self.figs["A"].slopes["epoll_lt"].value, 0.0, places=6)
        n, below, above = self.figs["B"].knees["poll"]
        self.assertEqual((n.value, n.low, n.high), (1000, 1000, 1000))
        self.assertAlmostEqual(below.value, 1.0, places=6)
        self.assertAlmostEqual(above.value, 1.5, places=6)
        _, below, above = self.figs["A"].knees["poll"]  # a straight line: equal slopes either side
        self.assertAlmostEqual(above.value - below.value, 0.0, places=6)

    def test_crossover(self):
        self.assertEqual(self.common.dense_ns, [1000])
        share, crossing = self.figs["A"].crossovers[1000]
        self.assertAlmostEqual(share.value, 0.796, places=3)
        self.assertEqual(crossing, 5)

    def test_disagreement_beyond_the_intervals_is_said(self):
        text = "\n".join(pf.summary(self.runs, self.common, self.figs))
        self.assertIn("slope above: runs differ beyond their intervals: B's lowest 1.50 > A's highest 1.00", text)


class Plots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs, cls.common = pf.fleet_runs(dirs("base", "slow", "newer"))

    def check_inside(self, fig, lines_wanted: int):
        ax = fig.axes[0]
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        # Lines in data coordinates (axhline's x runs over the axes' width instead).
        drawn = [line for line in ax.get_lines() if line.get_transform() == ax.transData]
        self.assertEqual(len(drawn), lines_wanted)
        for line in drawn:
            for x, y in zip(line.get_xdata(), line.get_ydata()):
                self.assertTrue(x0 <= x <= x1 and y0 <= y <= y1, f"{line.get_label()}: ({x}, {y}) outside "
                                                                 f"x {x0}–{x1}, y {y0}–{y1}")
        for band in ax.collections:
            for path in band.get_paths():
                (bx0, by0), (bx1, by1) = path.get_extents().get_points()
                self.assertTrue(x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1, "a band outside the axes")
        legend_text = [t.get_text() for legend in [ax.get_legend(), *ax.artists] for t in legend.get_texts()]
        for kernel in ("6.1.0-fixture", "6.12.0-fixture", "6.18.0-fixture"):
            self.assertTrue(any(kernel in t for t in legend_text), f"{kernel} not in the legend")

    def test_time_plot_one_line_per_run_per_backend(self):
        import matplotlib.pyplot as plt

        fig = pf.overlay(self.runs, self.common, normalised=False)
        self.check_inside(fig, 3 * len(self.common.backends))
        plt.close(fig)

    def test_ratio_plot_leaves_out_the_reference(self):
        import matplotlib.pyplot as plt

        fig = pf.overlay(self.runs, self.common, normalised=True)
        self.check_inside(fig, 3 * (len(self.common.backends) - 1))
        plt.close(fig)


class CompareSh(unittest.TestCase):
    def run_compare(self, *args):
        return subprocess.run(["bash", str(COMPARE), *args], capture_output=True, text=True, timeout=120)

    def test_three_runs_write_the_fleet_report_summary_first(self):
        out = RUNS / "report"
        done = self.run_compare("--out", str(out), *dirs("base", "slow", "newer"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.startswith("Fleet of 3 runs"), done.stdout[:200])
        self.assertIn(f"Written to {out}: fleet.md", done.stdout)
        for name in ("fleet.md", "fleet_time.png", "fleet_time.svg", "fleet_ratio.png", "fleet_ratio.svg"):
            self.assertGreater((out / name).stat().st_size, 1000, name)
        self.assertEqual((out / "fleet_time.png").read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        md = (out / "fleet.md").read_text()
        self.assertIn("| B slow | 2026-12-01 00:41 | bbbbbbbbbbbb | 6.12.0-fixture | Fixture Beta 2 ×4 1500 MHz "
                      "| 4096 |", md)
        self.assertIn("![time per wait relative to epoll_lt](fleet_ratio.png)", md)

    def test_two_runs_with_fleet_and_the_default_directory(self):
        done = self.run_compare("--fleet", *dirs("straight", "bent"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue((RUNS / "bent" / "fleet-of-2" / "fleet.md").is_file())

    def test_bad_input_exits_2_with_a_message(self):
        empty = RUNS / "no_results"
        empty.mkdir(exist_ok=True)
        cases = [(["--fleet", *dirs("base")], "expected 2 run directories"),
                 (["--fleet", *dirs("base"), str(RUNS / "missing")], "is not a directory"),
                 (dirs("base", "slow") + [str(empty)], "holds no wait.json"),
                 (["--fleet", "--all", *dirs("base", "slow")], "--all is for the two-run compare")]
        for args, message in cases:
            done = self.run_compare("--out", str(RUNS / "bad"), *args)
            self.assertEqual(done.returncode, 2, f"{args}: {done.stderr}")
            self.assertIn(message, done.stderr, args)
        self.assertFalse((RUNS / "bad" / "fleet.md").exists(), "a report was written from bad input")


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    unittest.main()
