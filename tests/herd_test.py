#!/usr/bin/env python3
"""Tests of herd_bench and of pollserver --threads/--accept; tests/herd.cmake runs one case per test.

  bench_cli        herd_bench's usage errors exit 2 naming the problem; --help exits 0
  bench_smoke      a tiny real run of every mode at 1 and 3 threads, both arrivals: the promised
                   names and counters, every connection accepted, counts within their bounds
                   (no timing is checked); scripts/pollbench_herd.py draws and tabulates
                   that run, and refuses a directory without herd results
  pollserver MODE  wrk -t1 -c100 -d2s against pollserver --threads 4 --accept MODE: no socket
                   errors, no non-2xx answers, no server errors, every connection accounted to
                   one of the 4 loops and closed once wrk ends (fds back to the baseline), the
                   server answered at least what wrk read

Standard library only (and tests/pbtest.py). Exit 77 means skipped (ctest SKIP_RETURN_CODE).
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile

import pbtest
from pbtest import check

MODES = ["shared_epoll_lt", "shared_epoll_et", "epoll_per_thread", "epoll_exclusive", "reuseport",
         "poll_per_thread", "io_uring_per_thread"]
COUNTERS = ["threads", "connections", "wakeups_per_conn", "wasted_per_conn", "kernel_wakeups_per_conn",
            "accept_p50_ns", "accept_p99_ns", "busiest_share", "jain_index"]


def case_bench_cli(a):
    pbtest.refuses_each(a.herd_bench, {
        "--modes=nope": "--modes: unknown value 'nope'",
        "--threads=0": "--threads: 0 is below the minimum 1",
        "--threads=65": "--threads: 65 is above the maximum 64",
        "--arrivals=sometimes": "--arrivals: unknown value 'sometimes' (valid: steady, burst)",
        "--rate=5": "--rate: 5 is below the minimum 10",
        "--connections=x": "--connections: 'x' is not a whole number (10 to 100000)",
        "--bursts": "--bursts: needs a value",
        "--frobnicate": "unknown option '--frobnicate'",
    })
    r = pbtest.run([a.herd_bench, "--help"])
    check(r.returncode == 0, f"--help exited {r.returncode}")
    for word in MODES + ["wakeups_per_conn", "busiest_share", "jain_index", "--quick"]:
        check(word in r.stdout, f"--help does not mention {word}")


def check_plot_script(a, run_dir):
    """scripts/pollbench_herd.py on the run just made, and on input it must refuse."""
    if not a.plot_script:
        return
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    if pbtest.run([python, "-c", "import matplotlib"]).returncode != 0:
        print(f"note: {python} has no matplotlib; pollbench_herd.py not tried")
        return
    r = pbtest.run([python, a.plot_script, run_dir])
    check(r.returncode == 0, f"pollbench_herd.py exited {r.returncode}: {r.stderr}")
    check(os.path.getsize(os.path.join(run_dir, "herd.png")) > 0, "pollbench_herd.py wrote no herd.png")
    for word in MODES[:5] + ["T=1", "T=3", "steady arrivals", "burst arrivals"]:
        check(word in r.stdout, f"pollbench_herd.py's table lacks {word!r}")
    with tempfile.TemporaryDirectory() as empty:
        r = pbtest.run([python, a.plot_script, empty])
        check(r.returncode == 1 and "cannot read" in r.stderr, f"no herd.json: exit {r.returncode}, {r.stderr!r}")
        with open(os.path.join(empty, "herd.json"), "w") as f:
            json.dump({"context": {}, "benchmarks": [{"name": "wait/poll/socketpair/fds:1/active:1"}]}, f)
        r = pbtest.run([python, a.plot_script, empty])
        check(r.returncode == 1 and "no herd" in r.stderr, f"no herd results: exit {r.returncode}, {r.stderr!r}")


def case_bench_smoke(a):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "herd.json")  # the name scripts/pollbench_herd.py reads
        r = pbtest.run([a.herd_bench, "--threads=1,3", "--connections=30", "--rate=2000", "--bursts=4",
                 f"--benchmark_out={out}", "--benchmark_out_format=json"])
        check(r.returncode == 0, f"herd_bench exited {r.returncode}: {r.stderr}")
        with open(out) as f:
            data = json.load(f)
        check_plot_script(a, tmp)
    check("kernel" in data["context"] and "git_commit" in data["context"], "run context missing")
    skipped = {k[len("herd_skipped_"):] for k in data["context"] if k.startswith("herd_skipped_")}
    seen = set()
    for b in data["benchmarks"]:
        name = b["name"]
        m = re.fullmatch(r"herd/([a-z_]+)/threads:(\d+)/arrival:(steady|burst)", name)
        check(m is not None, f"unexpected benchmark name {name!r}")
        check("error_occurred" not in b or not b["error_occurred"], f"{name}: {b.get('error_message')}")
        mode, threads, arrival = m.group(1), int(m.group(2)), m.group(3)
        seen.add((mode, threads, arrival))
        for c in COUNTERS:
            check(c in b, f"{name} lacks counter {c}")
        expected = 30 if arrival == "steady" else 4 * threads
        check(b["connections"] == expected, f"{name}: {b['connections']} connections, expected {expected}")
        check(b["threads"] == threads, f"{name}: threads counter {b['threads']}")
        # Every connection needs a return from some wait; a return may accept several.
        check(0 < b["wakeups_per_conn"], f"{name}: no wakeups")
        check(0 <= b["wasted_per_conn"] < b["wakeups_per_conn"], f"{name}: wasted {b['wasted_per_conn']}")
        check(1 / threads - 1e-9 <= b["busiest_share"] <= 1, f"{name}: busiest_share {b['busiest_share']}")
        check(1 / threads - 1e-9 <= b["jain_index"] <= 1 + 1e-9, f"{name}: jain_index {b['jain_index']}")
        check(0 < b["accept_p50_ns"] <= b["accept_p99_ns"], f"{name}: accept latency percentiles")
    for mode in MODES:
        if mode in skipped:
            continue
        for threads in (1, 3):
            for arrival in ("steady", "burst"):
                check((mode, threads, arrival) in seen, f"no result for {mode} threads:{threads} {arrival}")


def case_pollserver(a, mode):
    if shutil.which("wrk") is None:
        pbtest.skip("wrk is not installed (scripts/ensure_packages.sh installs it)")
    with pbtest.pollserver(a.pollserver, "--threads", "4", "--accept", mode) as server:
        baseline_fds = server.fd_count()
        r = pbtest.run(["wrk", "-t1", "-c100", "-d2s", f"http://{server.endpoint}/"], timeout=60)
        check(r.returncode == 0, f"wrk exited {r.returncode}: {r.stderr}")
        print(r.stdout)
        check("Socket errors" not in r.stdout, f"wrk saw socket errors:\n{r.stdout}")
        check("Non-2xx" not in r.stdout, f"wrk saw non-2xx answers:\n{r.stdout}")
        m = re.search(r"(\d+) requests in", r.stdout)
        check(m is not None and int(m.group(1)) > 0, f"wrk reports no requests:\n{r.stdout}")
        wrk_requests = int(m.group(1))
        # wrk has closed its connections; each loop closes its side once it sees that.
        server.wait_for_fds(baseline_fds, timeout=10)
        stats = server.stop(timeout=20)
    print(json.dumps({k: stats[k] for k in ("requests", "connections", "errors", "accepted_per_thread")}))
    check(all(v == 0 for v in stats["errors"].values()), f"server errors: {stats['errors']}")
    check(stats["threads"] == 4 and stats["accept_mode"] == mode, "threads / accept_mode not in the statistics")
    per_thread = stats["accepted_per_thread"]
    check(len(per_thread) == 4, f"accepted_per_thread has {len(per_thread)} entries, not 4")
    check(sum(per_thread) == stats["connections"]["accepted"], "accepted_per_thread does not add up")
    check(stats["connections"]["accepted"] >= 100, f"only {stats['connections']['accepted']} connections accepted")
    check(stats["connections"]["open"] == 0, "connections left open after SIGTERM")
    # wrk counts answers it read before it stopped; the server may have answered a few more.
    check(stats["requests"] >= wrk_requests, f"server answered {stats['requests']}, wrk read {wrk_requests}")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--herd-bench")
    p.add_argument("--pollserver")
    p.add_argument("--plot-script")
    p.add_argument("case")
    p.add_argument("mode", nargs="?")
    a = p.parse_args()
    cases = {"bench_cli": case_bench_cli, "bench_smoke": case_bench_smoke}
    if a.case == "pollserver":
        pbtest.main(case_pollserver, a, a.mode)
    if a.case not in cases:
        p.error(f"unknown case {a.case}")
    pbtest.main(cases[a.case], a)


if __name__ == "__main__":
    main()
