#!/usr/bin/env python3
"""Benchmark binaries die with their parent (bench/common/parent_death.h).

For each of wait_bench, tcp_bench, loadgen and pollserver (with --exit-with-parent): a parent process starts the binary
and is then SIGKILLed, so it can clean nothing up. The binary (and, for tcp_bench, the loadgen
it started) must be gone within 2 s.

usage: parent_death_test.py WAIT_BENCH TCP_BENCH LOADGEN POLLSERVER
"""
import os
import signal
import socket
import subprocess
import sys
import time

import pbtest
from pbtest import expect

GRACE_S = 2.0

# The parent: starts the command, prints its pid, then waits for it (or for its own death).
PARENT = """
import subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid, flush=True)
child.wait()
"""


def alive(pid):
    """True while `pid` runs (a zombie, dead but not yet reaped by its new parent, is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    return out


def check_dies_with_parent(name, command, settle_s=0.5, expect_children=False):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, *command], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        time.sleep(settle_s)
        grandchildren = children(pid)
        while expect_children and not grandchildren and time.monotonic() < deadline:
            time.sleep(0.1)
            grandchildren = children(pid)
        if not alive(pid):
            return f"{name}: ended by itself before the test could kill its parent"
        if expect_children and not grandchildren:
            return f"{name}: started no child within 10 s"
        parent.kill()  # SIGKILL: the parent gets no chance to stop anything
        parent.wait()
        end = time.monotonic() + GRACE_S
        while time.monotonic() < end and any(alive(p) for p in [pid, *grandchildren]):
            time.sleep(0.05)
        left = [p for p in [pid, *grandchildren] if alive(p)]
        for p in left:
            os.kill(p, signal.SIGKILL)
        if left:
            return f"{name}: still running {GRACE_S} s after its parent was killed: pids {left}"
        print(f"{name}: gone with its parent ({len(grandchildren)} child(ren) of its own gone too)")
        return None
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def main(wait_bench, tcp_bench, loadgen, pollserver):
    # A listener that never accepts: the kernel completes loadgen's connects into its backlog.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    target = f"127.0.0.1:{listener.getsockname()[1]}"

    outcomes = [
        check_dies_with_parent("wait_bench", [wait_bench, "--backends=poll", "--fdkinds=socketpair", "--max-fds=100",
                                              "--benchmark_min_time=30"]),
        check_dies_with_parent("pollserver", [pollserver, "--exit-with-parent", "--backend", "epoll_lt"]),
        check_dies_with_parent("loadgen", [loadgen, "--target", target, "--idle", "1", "--active", "0",
                                           "--duration", "60"]),
        check_dies_with_parent("tcp_bench", [tcp_bench, "--backends=poll", "--seconds=60", f"--loadgen={loadgen}",
                                             "--benchmark_filter=^tcp/poll/idle:0/active:1/"],
                               expect_children=True),
    ]
    for failure in outcomes:
        expect(failure is None, failure)


if __name__ == "__main__":
    pbtest.main(main, *pbtest.usage_args(__doc__, 4))
