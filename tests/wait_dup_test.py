#!/usr/bin/env python3
"""The dup control in wait_bench: which points exist, and a short run of them.

    wait_dup_test.py WAIT_BENCH

- the default sweep registers wait/<backend>/dup/mode:M/pos:P/fds:N/active:1 for the O(watched)
  backends and epoll_lt only, A = 1, pos middle and last, both modes, at N = 1,000, 10,000 and
  the largest, each beside the socketpair point of the same name (so scripts can pair them);
  --quick: N = 1,000, pos last;
- no other family or sweep uses the kind, and --fdkinds without socketpair has no dup points;
- a run of the dup points (--benchmark_filter) reports one event per wait and no error: the
  benchmark itself checks that the one ready fd, and no dup of the idle socket, was reported.
No timing is checked.
"""
import json
import re
import subprocess
import sys
import tempfile
import unittest

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/release/bin/wait_bench"
DUP = re.compile(r"^wait/(?P<backend>[a-z_]+)/dup/mode:(?P<mode>block|nonblock)/pos:(?P<pos>[a-z]+)"
                 r"/fds:(?P<n>\d+)/active:(?P<a>\d+)$")


def listed(*args):
    result = subprocess.run([BINARY, *args, "--benchmark_list_tests"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # Drop Google Benchmark's run options (min_time, repeats, manual_time) from each name.
    return [re.sub(r"(/(min_time|repeats):[^/]*|/manual_time)+$", "", line) for line in result.stdout.split()]


def capabilities():
    result = subprocess.run([BINARY.replace("wait_bench", "backends_list"), "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return {b["name"]: b for b in json.loads(result.stdout) if b.get("available")}


class Registered(unittest.TestCase):
    def test_default_sweep(self):
        names = listed("--max-fds=20000")
        dup = [DUP.match(n) for n in names if "/dup/" in n]
        self.assertTrue(dup and all(dup), [n for n in names if "/dup/" in n and not DUP.match(n)])
        backends = {m["backend"] for m in dup}
        caps = capabilities()
        if caps is not None:
            want = {n for n, b in caps.items() if b["wait_cost"] == "O(watched)"} | ({"epoll_lt"} & set(caps))
            self.assertEqual(backends, want)
        self.assertEqual({m["a"] for m in dup}, {"1"})
        self.assertEqual({m["pos"] for m in dup}, {"middle", "last"})
        self.assertEqual({m["mode"] for m in dup}, {"block", "nonblock"})
        ns = sorted({int(m["n"]) for m in dup})
        self.assertEqual(ns[:2], [1000, 10000])
        self.assertLessEqual(len(ns), 3)
        for m in dup:  # each pairs with the socketpair point of the same name
            self.assertIn(m.group(0).replace("/dup/", "/socketpair/"), names)
        self.assertEqual(len(dup), len(backends) * 2 * 2 * len(ns))
        self.assertFalse([n for n in names if "dup" in n and not n.startswith("wait/")])

    def test_quick_and_without_socketpair(self):
        quick = [DUP.match(n) for n in listed("--quick") if "/dup/" in n]
        self.assertEqual({(m["pos"], m["n"]) for m in quick}, {("last", "1000")})
        self.assertEqual([n for n in listed("--quick", "--fdkinds=pipe") if "/dup/" in n], [])


class Run(unittest.TestCase):
    def test_dup_points_report_exactly_the_ready_fd(self):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            result = subprocess.run([BINARY, "--quick", "--max-fds=300", "--benchmark_filter=/dup/",
                                     "--benchmark_min_time=0.002", "--benchmark_repetitions=1",
                                     f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
                                    capture_output=True, text=True, timeout=100)
            self.assertEqual(result.returncode, 0, result.stderr)
            rows = json.load(open(out.name))["benchmarks"]
        names = {re.sub(r"/(min_time|repeats):[^/]*|/manual_time", "", r["name"]) for r in rows}
        self.assertTrue(names)
        for name in names:
            self.assertRegex(name, r"^wait/[a-z_]+/dup/mode:(block|nonblock)/pos:last/fds:300/active:1$")
        for row in rows:
            self.assertFalse(row.get("error_occurred"), row.get("error_message"))
            self.assertEqual(row["events"], 1.0, row["name"])
            self.assertGreater(row["iterations"], 0)


if __name__ == "__main__":
    unittest.main()
