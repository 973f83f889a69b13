#!/usr/bin/env python3
"""Smoke test of watched_bench: more watched sockets than the fd limit, names, counters, refusals.

Runs watched_bench at --max-watched=25000 (above this machine's fd limit of 20,000; the test
raises --max-watched to stay above a larger limit) with minimal time, then checks its JSON:
the names (wait_watched/<backend>/socketpair/watched:N/active:1, ctl_watched/<backend>/<op>/watched:N),
every counter, that the largest N exceeds the fd limit while this process's own table stays
small, and the context. Also: bad options exit 2 naming the option; a MemAvailable too small
for the run (faked through POLLBENCH_WATCHED_MEM_AVAILABLE_MIB) and an N beyond the system's
file limit are refused with exit 2 and the figures; no holder process outlives a run.
No timing is checked.

usage: watched_smoke_test.py WATCHED_BENCH OUT_DIR
"""
import json
import os
import re
import resource
import sys

import pbtest
from pbtest import expect

COUNTERS = ["p50_ns", "p99_ns", "p999_ns", "max_ns", "events", "watched", "fd_limit", "own_fds", "holders",
            "held_files", "setup_ns_per_watched", "setup_add_ns", "kernel_bytes_per_watched", "grown_by"]
WAIT = re.compile(r"^wait_watched/(?P<backend>[a-z_]+)/socketpair/watched:(?P<n>\d+)/active:1$")
CTL = re.compile(r"^ctl_watched/(?P<backend>[a-z_]+)/(?P<op>add|remove)/watched:(?P<n>\d+)$")

def processes_running(binary):
    """Pids of processes running `binary` (holders are forks of it)."""
    target = os.path.realpath(binary)
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/exe") == target:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def refused(binary, args, env_extra, must_contain):
    env = dict(os.environ, **env_extra)
    run = pbtest.run([binary] + args, env=env)
    expect(run.returncode == 2, f"{args} {env_extra}: exit {run.returncode}, expected 2; stderr {run.stderr[-500:]!r}")
    for text in must_contain:
        expect(text in run.stderr, f"{args} {env_extra}: stderr lacks {text!r}: {run.stderr[-500:]!r}")


def main(binary, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "watched_smoke.json")
    fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    largest = max(25000, fd_limit + 5000)

    # Usage errors.
    refused(binary, ["--max-watched=1"], {}, ["--max-watched: 1 is below the minimum 2"])
    refused(binary, ["--max-watched=lots"], {}, ["--max-watched"])
    refused(binary, ["--backends=select"], {}, ["--backends: unknown value 'select'", "epoll_lt"])
    refused(binary, ["--no-such-option"], {}, ["--no-such-option"])
    # What would not fit: memory (MemAvailable faked small), files (fs.file-max).
    refused(binary, [f"--max-watched={largest}", "--backends=epoll_lt"], {"POLLBENCH_WATCHED_MEM_AVAILABLE_MIB": "16"},
            [f"{largest} watched sockets need about", "KiB each", "MemAvailable is 16 MiB"])
    with open("/proc/sys/fs/file-max") as f:
        file_max = int(f.read())
    too_many = file_max  # twice as many files as the machine allows
    if too_many <= 100000000:
        refused(binary, [f"--max-watched={too_many}"], {}, ["file-max"])

    cmd = [binary, f"--max-watched={largest}", "--benchmark_min_time=0.001", "--benchmark_repetitions=1",
           f"--benchmark_out={out}", "--benchmark_out_format=json"]
    run = pbtest.run(cmd, timeout=240)
    if run.returncode != 0:
        print(f"watched_bench failed ({run.returncode}): {' '.join(cmd)}\n{run.stderr[-3000:]}", file=sys.stderr)
        return 1
    expect(processes_running(binary) == [], f"holder processes outlived the run: {processes_running(binary)}")
    with open(out) as f:
        result = json.load(f)

    context = result["context"]
    for key in ["kernel", "fd_limit", "git_commit", "max_watched", "holder_files_each", "mem_available_mib",
                "select_poll_limit", "clock_read_ns", "backend_capabilities"]:
        expect(key in context, f"context lacks {key}")
    # Every available backend whose interest set the kernel keeps (it watches files, not fd
    # numbers), and no other: what the binary declares (backends_list --json).
    capabilities = json.loads(context.get("backend_capabilities", "[]"))
    available = [c["name"] for c in capabilities if c["available"] and c["interest"] == "kernel"]
    expect(len(available) >= 2, f"watching backends in the capabilities: {available}")
    expect([b for b in available if f"setup/{b}" in context] == available, f"setups in context, expected {available}")
    expect(not [k for k in context if k.startswith("setup/") and k[len("setup/"):] not in available],
          f"a setup for a backend that cannot watch past the fd limit: {sorted(context)}")
    for b in available:
        for key in [f"kernel_bytes_per_watched/{b}", f"setup_ns_per_watched/{b}"]:
            expect(key in context and float(context.get(key, 0)) > 0, f"context {key} = {context.get(key)}")
    expect(context.get("fd_limit") == str(fd_limit), f"context fd_limit {context.get('fd_limit')} != {fd_limit}")
    for c in capabilities:
        if c["name"] in available and c["raw"] == "io_uring":
            setup = context.get(f"setup/{c['name']}")
            wanted = ("ring plain",) if c["setup"] == "plain" else ("ring SINGLE_ISSUER|DEFER_TASKRUN", "ring plain")
            expect(setup in wanted, f"setup/{c['name']} = {setup}")

    expected_n = [n for n in [1000, 10000, 20000, 50000, 100000] if n <= largest]
    if expected_n[-1] != largest:
        expected_n.append(largest)
    seen = set()
    for row in result["benchmarks"]:
        if row.get("run_type") != "iteration":
            continue
        name = row["name"]
        expect("error_occurred" not in row, f"{name}: {row.get('error_message')}")
        m = WAIT.match(name) or CTL.match(name)
        expect(m is not None, f"unexpected name {name}")
        if m is None:
            continue
        n = int(m["n"])
        family = "wait" if name.startswith("wait_watched/") else "ctl_" + m["op"]
        seen.add((family, m["backend"], n))
        for c in COUNTERS:
            expect(c in row, f"{name}: no counter {c}")
        if any(c not in row for c in COUNTERS):
            continue
        expect(row["watched"] == n, f"{name}: watched {row['watched']}")
        expect(row["fd_limit"] == fd_limit, f"{name}: fd_limit {row['fd_limit']}")
        expect(row["own_fds"] < 1000, f"{name}: {row['own_fds']} fds in its own table")
        # Every idle watched socket's two files are held elsewhere (the active pair is not).
        expect(row["held_files"] == 2 * (n - 1), f"{name}: held_files {row['held_files']} for N={n}")
        expect(row["holders"] >= row["held_files"] / fd_limit, f"{name}: {row['holders']} holders")
        expect(row["setup_ns_per_watched"] > row["setup_add_ns"] > 0 and row["grown_by"] > 0, f"{name}: set-up counters")
        expect(0 < row["p50_ns"] <= row["p99_ns"] <= row["max_ns"], f"{name}: percentiles out of order")
        expect(row["events"] == (1 if family == "wait" else 0), f"{name}: events {row['events']}")
        if family == "wait":
            expect("write_ns" in row, f"{name}: no write_ns")
    expect({b for (_, b, _) in seen} == set(available), f"backends run: {sorted({b for (_, b, _) in seen})}")
    for b in available:
        for family in ["wait", "ctl_add", "ctl_remove"]:
            for n in expected_n:
                expect((family, b, n) in seen, f"missing {family} {b} N={n}")
    expect(max(n for (_, _, n) in seen) > fd_limit, "no N above the fd limit")

    if not pbtest.failures():
        print(f"ok: {len(seen)} benchmarks, N up to {largest} watched with fd limit {fd_limit}")


if __name__ == "__main__":
    pbtest.main(main, *pbtest.usage_args(__doc__, 2))
