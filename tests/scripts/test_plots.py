"""Every plot shows all its data: the check (pollbench_plot.points_outside, which the `plot` case
runs on every plot of the fixture) catches a point above a frozen y limit and one that a log axis
cannot show; tcp's panels each fit their own lines. Styles come from the run's backend list."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pollbench_plot as pp  # noqa: E402
import pollbench_results as pr  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixture"


class TcpPanelsEachFitTheirLines(unittest.TestCase):
    def test_a_busier_panel_after_a_quiet_one_is_drawn_whole(self):
        # The fixture's tcp sweep at 10 active, plus the same at 100 active three times as fast: the
        # reference run's shape, where one shared y axis sized by the first panel hid epoll and io_uring.
        data = json.loads((FIXTURE / "tcp.json").read_text())
        busier = []
        for row in data["benchmarks"]:
            row = dict(row)
            for key in ("name", "run_name"):
                if isinstance(row.get(key), str):
                    row[key] = row[key].replace("/active:10/", "/active:100/")
            if isinstance(row.get("requests_per_sec"), (int, float)):
                row["requests_per_sec"] *= 3
            busier.append(row)
        data["benchmarks"] += busier
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tcp.json"
            path.write_text(json.dumps(data))
            run = pr.load(path)
            self.assertEqual(run.param_values("tcp", "active"), [10, 100])
            plotter = pp.Plotter(Path(tmp), run.context, ["png"], 100)
            plotter.tcp(run)
        self.assertEqual(plotter.outside, [])


class PerFdShowsEveryPoint(unittest.TestCase):
    def test_the_knee_plot_of_the_fixture(self):
        # The fixture's dup rows (N = 1,000) and socketpair partners (ready fd last), with the pointer
        # chase of probe-start.json and watched.json's kernel memory per socket marking the cache.
        run = pr.load(FIXTURE / "wait.json")
        with tempfile.TemporaryDirectory() as tmp:
            plotter = pp.Plotter(Path(tmp), run.context, ["png"], 100)
            plotter.per_fd(run, FIXTURE)
            self.assertTrue(Path(tmp, "per_fd.png").stat().st_size > 20000)
            fig_lines = plotter.written
        self.assertEqual(plotter.outside, [])
        self.assertEqual([p.name for p in fig_lines], ["per_fd.png"])


class PointsOutside(unittest.TestCase):
    def setUp(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt

    def tearDown(self):
        self.plt.close("all")

    def test_a_shared_axis_frozen_by_its_first_panel_hides_the_second(self):
        # The old tcp.png: sharey, and set_ylim(bottom=0) on the first panel before the second was drawn.
        fig, (left, right) = self.plt.subplots(1, 2, sharey=True)
        left.errorbar([0, 1000], [30, 25], yerr=[[1, 1], [1, 1]], label="epoll_lt")
        left.set_ylim(bottom=0)
        right.plot([0, 1000], [90, 60], label="epoll_lt")
        problems = pp.points_outside(fig)
        self.assertEqual(len(problems), 2)
        self.assertIn("line 'epoll_lt' (0, 90)", problems[0])

    def test_log_axes_and_error_bars(self):
        fig, ax = self.plt.subplots()
        ax.errorbar([1, 10, 100], [1.0, 2.0, 3.0], yerr=[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])
        ax.set_xscale("log")
        ax.set_yscale("log")
        self.assertEqual(pp.points_outside(fig), [])
        ax.set_ylim(1.2, 10)  # cuts the first point and the lower ends of its error bar
        self.assertTrue(any("(1, 1)" in p for p in pp.points_outside(fig)))
        ax.plot([0, 10], [2, 2])  # x = 0 cannot be shown on a log axis
        self.assertTrue(any("(0, 2)" in p for p in pp.points_outside(fig)))

    def test_axvline_is_not_data(self):
        fig, ax = self.plt.subplots()
        ax.plot([1, 2], [1, 2])
        ax.axvline(1.5)
        self.assertEqual(pp.points_outside(fig), [])


class Styles(unittest.TestCase):
    def test_todays_backends_keep_their_colours(self):
        self.assertEqual(pp.style("select"), ("#d62728", "o"))
        self.assertEqual(pp.style("epoll_lt"), ("#1f77b4", "^"))
        self.assertEqual(pp.style("io_uring_plain"), ("#17becf", "d"))
        run = pr.load(FIXTURE / "wait.json")
        self.assertEqual(pp.style("poll", run), pp.style("poll"))

    def test_a_new_backend_gets_its_own_style_from_the_capabilities(self):
        listed = [dict(c) for c in pr.capabilities(None)] + [{"name": "kqueue_like", "wait_cost": "O(ready)"}]
        context = {"backend_capabilities": json.dumps(listed)}
        styles = {b: pp.style(b, context) for b in pr.backend_order(context)}
        self.assertEqual(len(set(styles.values())), len(styles))
        self.assertEqual(styles["kqueue_like"], pp.PALETTE[len(listed) - 1])


if __name__ == "__main__":
    unittest.main()
