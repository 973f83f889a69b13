"""Machine probes in the two-run compare (scripts/pollbench_compare.py, scripts/pollbench_probes.py),
on runs made by known_fixture.py with hand-written probe files:
  - probes and every point moved 1.5× (a slower machine): no point is better or worse, the moved
    ones are "machine";
  - probes steady, poll at N = 100 twice as slow: that point is worse, nothing is "machine";
  - probes moved 1.5×, one point 3×: it is still worse (normalised +100%), the rest "machine";
  - runs without probe files: probes derived from wait.json, labelled so;
  - the probes are the summary's first block; the headline N is fixed (1,000 and the largest).
"""

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(HERE))
import known_fixture  # noqa: E402
import pollbench_compare as pc  # noqa: E402
import pollbench_fleet as pf  # noqa: E402
import pollbench_probes as pp  # noqa: E402

SLOWER = 1.5
DOUBLED = "wait/poll/socketpair/mode:block/pos:spread/fds:100/active:1"
TIGHT = (0.99, 0.995, 1.0, 1.005, 1.01)


def figure(median: float, n: int = 15) -> dict:
    """machine_probe's figure: tight samples around the median, its order-statistic interval."""
    samples = [median * (1 + 0.01 * (i - n // 2) / (n // 2)) for i in range(n)]
    return {"median": median, "lo": samples[3], "hi": samples[-4], "coverage": 0.965, "n": n, "samples": samples}


def probe_json(scale: float) -> dict:
    return {
        "context": {"kernel": "6.1.0-known"},
        "sysfs_caches": [],
        "cpu_loop": {"ns_per_step": figure(2.0 * scale)},
        "epoll_wait": {"fds": 1, "ns_per_wait": figure(600.0 * scale)},
        "pointer_chase": [{"bytes": size, "ns_per_load": figure(ns * scale)}
                          for size, ns in ((256 << 10, 4.0), (2 << 20, 15.0), (8 << 20, 140.0))],
        "poll_per_fd": [{"fds": n, "layout": layout, "mode": mode, "timeout_ms": 0 if mode == "nonblock" else -1,
                         "ns_per_fd": figure(base * scale)}
                        for n in (1000, 10000) for layout, base in (("distinct", 80.0), ("dup", 40.0))
                        for mode in ("block", "nonblock")],
        "skipped": [],
    }


def scale_rows(path: Path, factor: float, higher_is_better: bool = False, only: str | None = None) -> None:
    """Every sample's times (or requests/s) of one result file scaled, as a slower machine would."""
    data = json.loads(path.read_text())
    f = 1 / factor if higher_is_better else factor
    for row in data["benchmarks"]:
        if only is not None and row.get("run_name") != only:
            continue
        for k in ("p50_ns", "p99_ns", "real_time", "cpu_time", "write_ns", "requests_per_sec"):
            if k in row and row.get("aggregate_name") != "cv":
                row[k] *= f
    path.write_text(json.dumps(data))


def make_run(root: Path, name: str, probes: float | None, points: float = 1.0) -> Path:
    run = root / name
    known_fixture.write(run)
    if points != 1.0:
        scale_rows(run / "wait.json", points)
        scale_rows(run / "tcp.json", points, higher_is_better=True)
    if probes is not None:
        for f in pp.PROBE_FILES:
            (run / f).write_text(json.dumps(probe_json(probes)))
    return run


def compare(old: Path, new: Path) -> tuple[int, list[str], str]:
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pc.main([str(old), str(new), "--out", str(new / "cmp")])
    return code, out.getvalue().splitlines(), err.getvalue()


def verdict(lines: list[str], name: str) -> str:
    return next(line for line in lines if line.strip().startswith(name + ":"))


class Matching(unittest.TestCase):
    """Each point goes with its probe by the backend's capabilities, whatever its name."""

    def setUp(self):
        old, new = pp.MachineProbes({}, False, ""), pp.MachineProbes({}, False, "")
        for source, scale in ((old, 1.0), (new, SLOWER)):
            for key, reading in pp._probe_figures(probe_json(scale)).items():
                source.probes[key] = pp.Probe(key, [reading])
        self.changes = {c.key: c for c in pp.compare(old, new)}
        # A backend named like none of today's, described by the run's context only.
        caps = [{"name": "scanner", "wait_cost": "O(watched)", "raw": "poll"},
                {"name": "ring", "wait_cost": "O(ready)", "raw": "ring"}]
        self.run = pp.pr.Run(Path("x"), {"backend_capabilities": json.dumps(caps)}, [], {}, [])

    def probe_for(self, name: str):
        area, labels, params, tags = pp.pr.parse_name_and_tags(name)
        point = pp.pr.Point(name, area, labels, params, 0, tags)
        change = pp.matching_probe(point, self.run, self.changes)
        return change.key if change else None

    def test_each_area_and_capability(self):
        self.assertEqual(self.probe_for("wait/ring/socketpair/mode:block/pos:spread/fds:5000/active:1"), pp.EPOLL)
        self.assertEqual(self.probe_for("wait/scanner/socketpair/mode:nonblock/pos:last/fds:5000/active:1"),
                         pp.per_fd_key(10000, "distinct", "nonblock"))
        self.assertEqual(self.probe_for("wait/scanner/socketpair/mode:block/pos:spread/fds:100/active:1"),
                         pp.per_fd_key(1000, "distinct", "block"))
        self.assertEqual(self.probe_for("wait/scanner/dup/mode:block/pos:last/fds:10000/active:1"),
                         pp.per_fd_key(10000, "dup", "block"))
        self.assertEqual(self.probe_for("ctl/ring/add/fds:100"), pp.CPU)
        self.assertEqual(self.probe_for("tcp/scanner/idle:1000/active:10"), pp.EPOLL)
        self.assertEqual(self.probe_for("wakeup/scanner/fds:10"), pp.EPOLL)
        self.assertIsNone(self.probe_for("wait/unknown/socketpair/mode:block/pos:spread/fds:10/active:1"))


class Probes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pollbench-compare-probes.")
        root = Path(cls.tmp.name)
        cls.old = make_run(root, "old", probes=1.0)
        cls.drifted = make_run(root, "drifted", probes=SLOWER, points=SLOWER)
        cls.steady_worse = make_run(root, "steady_worse", probes=1.0)
        scale_rows(cls.steady_worse / "wait.json", 2.0, only=DOUBLED)
        cls.drift_worse = make_run(root, "drift_worse", probes=SLOWER, points=SLOWER)
        scale_rows(cls.drift_worse / "wait.json", 2.0, only=DOUBLED)
        cls.bare_old = make_run(root, "bare_old", probes=None)
        cls.bare_new = make_run(root, "bare_new", probes=None)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_probes_are_the_first_block(self):
        code, lines, _ = compare(self.old, self.drifted)
        self.assertEqual(code, 0)
        self.assertTrue(lines[0].startswith("Machine probes, old -> new (probe-start and probe-end"), lines[0])
        block = lines[1:lines.index("")]
        self.assertTrue(block[0].startswith("  pointer chase 256 KiB"), block[0])
        self.assertIn("  CPU loop (per step): 2 ns", "\n".join(block))
        self.assertIn("epoll_wait N=1 (per wait): 600 ns [", "\n".join(block))
        self.assertIn("-> 900 ns [", "\n".join(block))
        # 3 chase sizes, CPU, epoll_wait, 2 N × 2 layouts × 2 modes of poll, then the count.
        self.assertEqual(len(block), 3 + 1 + 1 + 8 + 1)
        self.assertTrue(all("(×1.50, MOVED beyond both runs' spread)" in line for line in block[:-1]), block)
        self.assertIn("13 of 13 probes moved", block[-1])
        self.assertLess(lines.index(""), next(i for i, line in enumerate(lines) if line.startswith("Headline points")))

    def test_everything_moved_with_the_machine_is_machine(self):
        _, lines, _ = compare(self.old, self.drifted)
        text = "\n".join(lines)
        counts = next(line for line in lines if line.startswith("  better "))
        better, worse, machine = (int(counts.split(k + " ")[1].split(",")[0]) for k in ("better", "worse", "machine"))
        self.assertEqual((better, worse), (0, 0), counts)
        self.assertGreater(machine, 100, counts)
        self.assertNotRegex(text, r"%, (better|worse)[;)]")
        self.assertIn("moved no further than their machine probe", text)
        md = (self.drifted / "cmp" / "compare.md").read_text()
        self.assertIn(f"{DOUBLED}: 8 µs [7.92 µs–8.08 µs] -> 12 µs [11.9 µs–12.1 µs] (+50.0%, machine; "
                      "probe poll per fd, distinct, block, N=1,000 ×1.50, normalised +0.0%)", md)
        self.assertIn("tcp/epoll_et/idle:0/active:10: 100,000/s [98,000/s–102,000/s] -> 66,667/s "
                      "[65,333/s–68,000/s] (-33.3%, machine; probe epoll_wait N=1 (per wait) ×1.50", md)

    def test_steady_probes_and_one_point_twice_as_slow(self):
        _, lines, _ = compare(self.old, self.steady_worse)
        self.assertIn("  better 0, worse 1, machine 0, unchanged 119", lines)
        self.assertIn("0 of 13 probes moved", "\n".join(lines))
        self.assertIn("+100.0%, worse)", verdict(lines, DOUBLED))

    def test_a_change_beyond_the_probe_is_still_worse(self):
        _, lines, _ = compare(self.old, self.drift_worse)
        line = verdict(lines, DOUBLED)
        self.assertIn("(+200.0%, worse; probe poll per fd, distinct, block, N=1,000 ×1.50, normalised +100.0%)", line)
        counts = next(x for x in lines if x.startswith("  better "))
        self.assertTrue(counts.startswith("  better 0, worse 1, machine "), counts)

    def test_runs_without_probe_files_get_derived_probes(self):
        _, lines, _ = compare(self.bare_old, self.bare_new)
        self.assertTrue(lines[0].startswith("Machine probes, old -> new, DERIVED from each run's wait.json "
                                            "(old and new have no probe-start.json/probe-end.json)"), lines[0])
        block = "\n".join(lines[:lines.index("")])
        self.assertIn("epoll_wait N=1 (per wait): 500 ns [495 ns–505 ns] -> 500 ns [495 ns–505 ns] (×1.00, within "
                      "spread)  [derived: wait/epoll_lt/socketpair/mode:block/pos:spread/fds:1/active:1]", block)
        # poll with the ready fd last at N = 10,000: 800 µs blocking, 30% of it nonblocking, per fd.
        self.assertIn("poll per fd, distinct, block, N=10,000: 80 ns", block)
        self.assertIn("poll per fd, distinct, nonblock, N=10,000: 24 ns", block)
        self.assertIn("[derived: wait/poll/socketpair/mode:nonblock/pos:last/fds:10000/active:1]", block)
        self.assertNotIn("CPU loop", block)  # the known fixture has no ctl points

    def test_one_run_with_probe_files_compares_derived_probes(self):
        _, lines, _ = compare(self.bare_old, self.old)
        self.assertIn("DERIVED from each run's wait.json (old has no probe-start.json/probe-end.json)", lines[0])

    def test_the_headline_n_is_fixed(self):
        _, lines, _ = compare(self.old, self.steady_worse)
        start = next(i for i, line in enumerate(lines) if line.startswith("Headline points"))
        heads = lines[start + 1:lines.index("", start)]
        # The known fixture's steadiest N is 10,000 (select spreads ±30% at 20,000); compare ignores that.
        self.assertEqual([h.split("/fds:")[1].split("/")[0] for h in heads], ["1000"] * 3 + ["20000"] * 3)

    def test_the_fleet_summary_lists_the_probes(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = pf.main([str(self.old), str(self.drifted), "--out", str(Path(self.tmp.name) / "fleet")])
        self.assertEqual(code, 0)
        text = out.getvalue()
        self.assertIn("Machine probes (probe-start and probe-end of each run", text)
        self.assertIn("  epoll_wait N=1 (per wait): A 600 ns [597 ns–603 ns]  B 900 ns [895 ns–905 ns]", text)
        self.assertLess(text.index("Machine probes"), text.index("Ratio to epoll_lt"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            pf.main([str(self.bare_old), str(self.old), "--out", str(Path(self.tmp.name) / "fleet2")])
        self.assertIn("Machine probes, DERIVED from each run's wait.json (A has no probe files)", out.getvalue())

    def test_a_broken_probe_file_is_named(self):
        broken = Path(self.tmp.name) / "broken"
        known_fixture.write(broken)
        (broken / "probe-end.json").write_text("{\"foo\": 1}")
        code, _, err = compare(self.old, broken)
        self.assertEqual(code, 1)
        self.assertIn("probe-end.json: is not machine_probe's JSON", err)


if __name__ == "__main__":
    unittest.main()
