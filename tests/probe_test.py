"""machine_probe --quick: the JSON it prints, the fd-limit cap, and its command line.

    probe_test.py PATH/TO/machine_probe
"""

import json
import resource
import subprocess
import sys
import unittest

PROBE = sys.argv.pop(1) if len(sys.argv) > 1 else "build/release/bin/machine_probe"
SMALL = ["--quick", "--chase-kib", "64,512", "--fds", "200"]


def run(*args, limit=None):
    def lower_fd_limit():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=60, preexec_fn=lower_fd_limit)


def check_figure(test, figure, n):
    test.assertEqual(figure["n"], n)
    test.assertEqual(len(figure["samples"]), n)
    test.assertLessEqual(figure["lo"], figure["median"])
    test.assertLessEqual(figure["median"], figure["hi"])
    test.assertGreater(figure["lo"], 0)
    test.assertGreaterEqual(figure["coverage"], 0.95)


class QuickRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        result = run(*SMALL)
        assert result.returncode == 0, result.stderr
        cls.out = json.loads(result.stdout)

    def test_every_probe_has_a_median_and_its_interval(self):
        out = self.out
        self.assertEqual(out["settings"]["repeats"], 7)
        check_figure(self, out["cpu_loop"]["ns_per_step"], 7)
        check_figure(self, out["epoll_wait"]["ns_per_wait"], 7)
        self.assertEqual([r["bytes"] for r in out["pointer_chase"]], [64 * 1024, 512 * 1024])
        for row in out["pointer_chase"]:
            check_figure(self, row["ns_per_load"], 7)

    def test_poll_per_fd_has_both_layouts_in_both_modes(self):
        rows = {(r["layout"], r["mode"]): r for r in self.out["poll_per_fd"]}
        self.assertEqual(set(rows),
                         {(layout, mode) for layout in ("dup", "distinct") for mode in ("block", "nonblock")})
        for row in rows.values():
            self.assertEqual(row["fds"], 200)
            check_figure(self, row["ns_per_fd"], 7)
        self.assertEqual(self.out["skipped"], [])

    def test_context_and_sysfs(self):
        self.assertIn("kernel", self.out["context"])
        self.assertIn("pinned_cpu", self.out["context"])
        self.assertIsInstance(self.out["sysfs_caches"], list)


class FreshLayouts(unittest.TestCase):
    def test_one_sample_per_fresh_set_of_fds(self):
        result = run("--quick", "--chase-kib", "64", "--fds", "100", "--fresh-layouts", "--repeats", "6")
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        self.assertTrue(out["settings"]["fresh_layouts"])
        self.assertEqual(len(out["poll_per_fd"]), 4)
        for row in out["poll_per_fd"]:
            self.assertTrue(row["fresh_layouts"])
            check_figure(self, row["ns_per_fd"], 6)


class Limits(unittest.TestCase):
    def test_the_fd_limit_caps_n_and_says_so(self):
        result = run("--quick", "--chase-kib", "64", "--fds", "100000", limit=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        self.assertEqual(len(out["skipped"]), 1)
        self.assertIn("capped to", out["skipped"][0])
        capped = {r["fds"] for r in out["poll_per_fd"]}
        self.assertEqual(len(capped), 1)
        self.assertLess(capped.pop(), 300)


class CommandLine(unittest.TestCase):
    def test_help(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("usage: machine_probe", result.stdout)
        self.assertIn("--chase-kib", result.stdout)

    def test_bad_input_exits_2_naming_the_option(self):
        for args, says in ((["--repeats", "3"], "--repeats: 3 is below the minimum 6"),
                           (["--fds", "1"], "--fds"),
                           (["--chase-kib", "x"], "--chase-kib"),
                           (["--cpu", "100000"], "--cpu"),
                           (["--bogus"], "--bogus")):
            result = run(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn(says, result.stderr, args)
            self.assertEqual(result.stdout, "", args)


if __name__ == "__main__":
    unittest.main()
