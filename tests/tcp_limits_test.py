#!/usr/bin/env python3
"""pollserver at its limits: the fd limit with several loops, slow crowds, memory, HTTP clients.

  fd_limit_threads MODE [--backend NAME]
                         pollserver --threads 4 --accept MODE at a 64-fd limit, two rounds of
                         filling the table (with connections still arriving) and draining it:
                         under 30% of a core while full, pending connections shed or make room,
                         the fd count back to its start after every round
  slowloris              a crowd trickling header bytes fills a 128-fd table; a client that sends
                         a whole request is still served, well within the header timeout
  memory                 1,000 connections each holding a partial request, then closed: the
                         server gives the memory back (memory_trims in its statistics)
  curl_head              `curl -I URL URL` on one connection: two heads, no "Excess found"
  cli                    --help=1 is refused with a message; ::ffff:127.0.0.1 is loopback;
                         without --exit-with-parent pollserver outlives its parent, with it not

Figures (CPU, shed counts, fds, time to first byte, RSS) are printed for the record; only the
CPU check has a threshold, a generous one. Standard library only. Exit 77 means skipped.
"""
import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

import pbtest
from pbtest import SKIP, Failure, check
GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def fd_limit(n):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


class Server:
    def __init__(self, binary, *args, preexec_fn=None):
        self.proc = subprocess.Popen([binary, "--port", "0", "--exit-with-parent", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise Failure(f"pollserver {args} did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.rpartition(":")[2])

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def wait_fds(self, want, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.fds() != want:
            time.sleep(0.02)
        check(self.fds() == want, f"pollserver holds {self.fds()} fds, not its start {want}")

    def connect(self, blocking=True):
        s = socket.socket()
        if blocking:
            s.settimeout(5)
            s.connect(("127.0.0.1", self.port))
        else:
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
        return s

    def get(self):
        with self.connect() as s:
            s.sendall(GET)
            return s.recv(4096)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=10)
        check(self.proc.returncode == 0, f"pollserver exited {self.proc.returncode}: {err}")
        self.stderr = err
        return json.loads(out)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def close_all(sockets):
    for s in sockets:
        s.close()
    sockets.clear()


# --- cases ----------------------------------------------------------------------------------

def case_fd_limit_threads(a, mode):
    backend = a.backend or ("epoll_et" if mode == "epoll_exclusive" else "epoll_lt")
    server = Server(a.pollserver, "--backend", backend, "--threads", "4", "--accept", mode, preexec_fn=fd_limit(64))
    try:
        start = server.fds()
        worst_cpu = 0.0
        for round_ in range(2):
            clients = [server.connect(blocking=False) for _ in range(100)]
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and server.fds() < 60:
                time.sleep(0.02)
            check(server.fds() >= 60, f"round {round_}: the table never filled ({server.fds()} fds)")
            # Full, with connections still arriving: one more every 20 ms while CPU is measured.
            cpu0, t0 = server.cpu_seconds(), time.monotonic()
            while time.monotonic() - t0 < 1.0:
                clients.append(server.connect(blocking=False))
                time.sleep(0.02)
            cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
            worst_cpu = max(worst_cpu, cpu)
            check(cpu < 0.3, f"round {round_}: {cpu:.0%} of a core while the table was full: a loop spins")
            close_all(clients)
            server.wait_fds(start)
        check(server.get().startswith(b"HTTP/1.1 200 OK"), "no answer after the rounds")
        server.wait_fds(start)
        stats = server.stop()
        errors = stats["errors"]
        check(errors["fd_limit"] + errors["evicted"] > 0, f"no connection shed or evicted: {errors}")
        check(stats["connections"]["open"] == 0, f"connections left open: {stats['connections']}")
        print(f"{mode} ({backend}, 4 loops, 64 fds): worst CPU while full {worst_cpu:.1%} of a core; "
              f"shed {errors['fd_limit']}, evicted {errors['evicted']}, accept pauses "
              f"{stats['connections']['accept_pauses']}; fds {start} at start, {start} after each round")
    finally:
        server.kill()


def case_slowloris(a):
    limit = 128
    server = Server(a.pollserver, "--backend", "epoll_lt", preexec_fn=fd_limit(limit))
    crowd = []
    try:
        start = server.fds()
        for _ in range(limit + 40):
            s = server.connect(blocking=False)
            crowd.append(s)
        time.sleep(0.2)
        # One header byte each, every 0.3 s, for 1.5 s: the crowd fills the table and grows older
        # than the 1 s a connection must wait before it may be closed for room.
        request = b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100
        for i in range(5):
            for s in crowd:
                try:
                    s.send(request[i:i + 1])
                except OSError:
                    pass  # shed at the limit
            time.sleep(0.3)
        check(server.fds() >= limit - 4, f"the crowd did not fill the table: {server.fds()} fds of {limit}")
        t0 = time.monotonic()
        with server.connect() as s:
            s.sendall(GET)
            first = s.recv(4096)
            ttfb = time.monotonic() - t0
        check(first.startswith(b"HTTP/1.1 200 OK"), f"the well-behaved client got {first[:80]!r}")
        check(ttfb < 10.0, f"served after {ttfb:.2f} s, past the 10 s header timeout")
        close_all(crowd)
        server.wait_fds(start)
        stats = server.stop()
        print(f"slowloris: {limit + 40} slow connections on a {limit}-fd table; a complete request served, "
              f"time to first byte {ttfb * 1000:.1f} ms; evicted {stats['errors']['evicted']}, "
              f"shed {stats['errors']['fd_limit']}")
    finally:
        close_all(crowd)
        server.kill()


def case_memory(a):
    server = Server(a.pollserver, "--backend", "epoll_et")
    crowd = []
    try:
        time.sleep(0.2)
        before = server.rss_kib()
        partial = b"GET / HTTP/1.1\r\n" + b"X-Fill: " + b"b" * 6000
        for _ in range(1000):
            s = server.connect()
            s.sendall(partial)
            crowd.append(s)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and server.fds() < 1000:
            time.sleep(0.05)
        time.sleep(0.3)
        peak = server.rss_kib()
        close_all(crowd)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and server.fds() > 10:
            time.sleep(0.05)
        time.sleep(0.3)
        after = server.rss_kib()
        stats = server.stop()
        check(stats["memory_trims"] >= 1, f"memory was not given back once the crowd left: {stats}")
        print(f"memory: RSS {before / 1024:.1f} MiB before, {peak / 1024:.1f} MiB with 1000 partial requests, "
              f"{after / 1024:.1f} MiB after they closed ({stats['memory_trims']} trim(s))")
    finally:
        close_all(crowd)
        server.kill()


def case_curl_head(a):
    if not a.curl:
        print("SKIP: no curl")
        return SKIP
    server = Server(a.pollserver, "--backend", "poll")
    try:
        url = f"http://127.0.0.1:{server.port}/"
        run = subprocess.run([a.curl, "-sS", "-v", "-I", url, url], capture_output=True, text=True, timeout=20)
        check(run.returncode == 0, f"curl exited {run.returncode}: {run.stderr[-500:]}")
        check("Excess found" not in run.stderr, f"curl found a body after HEAD: {run.stderr[-500:]}")
        check(run.stdout.count("HTTP/1.1 200 OK") == 2, f"curl -I twice: {run.stdout!r}")
        check("Re-using existing connection" in run.stderr or "Reusing existing" in run.stderr,
              "curl did not reuse the connection")
        check("Content-Length: 64" in run.stdout, f"HEAD lost the GET's Content-Length: {run.stdout!r}")
        server.stop()
        print("curl -I twice on one connection: two heads, no excess")
    finally:
        server.kill()


def case_cli(a):
    run = subprocess.run([a.pollserver, "--help=1"], capture_output=True, text=True, timeout=10)
    check(run.returncode == 2 and "--help: takes no value" in run.stderr, f"--help=1: {run.returncode} {run.stderr}")
    helptext = subprocess.run([a.pollserver, "--help"], capture_output=True, text=True, timeout=10).stdout
    for flag in ("--exit-with-parent", "--header-timeout", "--idle-timeout", "--threads", "--accept"):
        check(flag in helptext, f"--help does not mention {flag}")
    try:
        server = Server(a.pollserver, "--bind", "::ffff:127.0.0.1")
    except Failure as e:
        print(f"note: no IPv6 socket for ::ffff:127.0.0.1 here ({e})")
    else:
        server.stop()
        check("not a loopback" not in server.stderr, f"::ffff:127.0.0.1 was called not loopback: {server.stderr}")
    # Without --exit-with-parent pollserver outlives the process that started it.
    parent = subprocess.run([sys.executable, "-c", (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.argv[1], '--port', '0'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid)\n"), a.pollserver], capture_output=True, text=True, timeout=10)
    pid = int(parent.stdout)
    time.sleep(0.5)
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        check(state not in ("Z", "X"), "pollserver without --exit-with-parent died with its parent")
    except FileNotFoundError:
        raise Failure("pollserver without --exit-with-parent died with its parent")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    print("cli: --help=1 refused, ::ffff:127.0.0.1 loopback, parent-death exit only on request")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pollserver", required=True)
    parser.add_argument("--curl", default=None)
    parser.add_argument("case")
    parser.add_argument("mode", nargs="?")
    parser.add_argument("--backend", help="fd_limit_threads: the loops' backend (default epoll_lt; epoll_et for "
                                          "epoll_exclusive)")
    a = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    cases = {"slowloris": case_slowloris, "memory": case_memory, "curl_head": case_curl_head, "cli": case_cli}
    try:
        if a.case == "fd_limit_threads":
            code = case_fd_limit_threads(a, a.mode)
        elif a.case in cases:
            code = cases[a.case](a)
        else:
            parser.error(f"unknown case {a.case!r}")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
