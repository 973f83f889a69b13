#!/usr/bin/env python3
"""End-to-end tests of pollserver and tcp_bench; tests/tcp.cmake runs one case per ctest test.

  cli            pollserver's usage errors exit 2 naming the problem; --help exits 0
  load BACKEND   loadgen (1000 idle + 10 active, 1 s) against pollserver: no errors on either
                 side, request counts agree, the server's fd count returns to its baseline;
                 then pipelined, malformed, oversized, reset and half-closed connections
  half_close BACKEND [--repeat N]
                 only the half-closed connection, N times (default 1) against one pollserver:
                 two requests then shutdown(SHUT_WR); both answers, then EOF, every time
  fd_limit       pollserver at a tiny fd limit sheds connections it cannot hold, keeps serving
  ipv6           pollserver --bind ::1
  bench_cli      tcp_bench's usage errors (a bad filter regex, a missing --loadgen included) exit 2
                 before running anything; --help exits 0
  bench_smoke    a short real tcp_bench run: names, counters, 3 repetitions and their median,
                 no errors

Standard library only (and tests/pbtest.py). Exit 77 means skipped (ctest SKIP_RETURN_CODE).
"""
import argparse
import json
import os
import resource
import signal
import socket
import sys
import time

import pbtest
from pbtest import check

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def recv_until_eof(s):
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        check(chunk, f"connection closed after {len(data)} of {n} bytes: {data[:200]!r}")
        data += chunk
    return data


def response_size(server):
    """Size of one 200 answer: ask once."""
    with server.connect() as s:
        s.sendall(GET)
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
        recv_exactly(s, length)
        return len(head) + length


# --- cases ----------------------------------------------------------------------------------

def case_cli(a):
    bad = [
        (["--bogus"], "unknown option '--bogus'"),
        (["--port"], "--port: needs a value"),
        (["--port", "70000"], "--port: 70000 is above the maximum 65535"),
        (["--port", "-1"], "--port: '-1' is not a whole number (0 to 65535)"),
        (["--body-size", "x"], "--body-size: 'x' is not a whole number"),
        (["--backend", "kqueue"], "--backend: unknown value 'kqueue'"),
        (["--bind", "not-an-address"], "not a numeric IPv4 or IPv6 address"),
        (["--max-header", "10"], "--max-header: 10 is below the minimum 256"),
        (["--stats="], "--stats: needs a value FILE"),
        (["--threads=2"], "--threads needs --accept MODE"),
        (["--accept=sometimes"], "--accept: unknown value 'sometimes'"),
        # Checked at start, before serving, so a run's statistics are never lost at its end.
        (["--stats", "/nonexistent-dir/x.json"], "cannot write '/nonexistent-dir/x.json'"),
    ]
    for args, expected in bad:
        r = pbtest.refuses([a.pollserver, *args], expected)
        check("usage: pollserver" in r.stderr, f"pollserver {' '.join(args)}: no usage line: {r.stderr}")
    r = pbtest.run([a.pollserver, "--help"], timeout=10)
    check(r.returncode == 0 and "usage: pollserver" in r.stdout and "epoll_et" in r.stdout,
          f"--help: exit {r.returncode}: {r.stdout}{r.stderr}")
    # --stats FILE and SIGINT.
    stats_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"pollserver_stats_{os.getpid()}.json")
    server = pbtest.pollserver(a.pollserver, "--backend", "poll", "--stats", stats_file)
    try:
        with server.connect() as s:
            s.sendall(GET)
            s.recv(4096)
        server.proc.send_signal(signal.SIGINT)
        out, _ = server.proc.communicate(timeout=10)
        check(server.proc.returncode == 0, f"exit {server.proc.returncode} after SIGINT")
        check(out == "", f"stdout should hold only the first line when --stats is given: {out!r}")
        with open(stats_file) as f:
            stats = json.load(f)
        check(stats["requests"] == 1 and stats["backend"] == "poll", f"stats: {stats}")
    finally:
        server.kill()
        if os.path.exists(stats_file):
            os.unlink(stats_file)


def run_load(a, server, idle, active, duration):
    """loadgen's JSON report, or a Python stand-in's when no loadgen was built."""
    if a.loadgen:
        r = pbtest.run([a.loadgen, "--target", server.endpoint, "--idle", idle, "--active", active,
                        "--duration", duration], timeout=60)
        check(r.returncode == 0, f"loadgen exited {r.returncode}: {r.stderr[-2000:]}")
        check(f"connected idle={idle} active={active}" in r.stderr, f"no 'connected' line: {r.stderr[-2000:]}")
        return json.loads(r.stdout)
    return python_load(server, idle, active, duration)


def python_load(server, idle, active, duration):
    """A closed-loop client in Python: `active` connections each with one request outstanding."""
    import selectors
    size = response_size(server)
    idlers = [server.connect() for _ in range(idle)]
    sel = selectors.DefaultSelector()
    pending = {}
    for _ in range(active):
        s = server.connect()
        s.setblocking(False)
        s.sendall(GET)
        pending[s] = 0
        sel.register(s, selectors.EVENT_READ)
    requests = errors = 0
    end = time.monotonic() + duration
    while pending:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            data = s.recv(65536)
            if not data:
                errors += 1
                sel.unregister(s)
                del pending[s]
                continue
            pending[s] += len(data)
            while pending[s] >= size:
                pending[s] -= size
                requests += 1
                if time.monotonic() < end:
                    s.sendall(GET)
            if pending[s] == 0 and time.monotonic() >= end:
                sel.unregister(s)
                del pending[s]
                s.close()
    for s in idlers:
        s.close()
    return {"requests": requests, "errors": {"closed": errors}, "connections": {"idle": idle, "active": active}}


def case_load(a, backend):
    pbtest.require_backend(a.bin_dir, backend)
    with pbtest.pollserver(a.pollserver, "--backend", backend) as server:
        baseline = server.fd_count()
        report = run_load(a, server, 1000, 10, 1)
        check(all(v == 0 for v in report["errors"].values()), f"loadgen errors: {report['errors']}")
        check(report["connections"]["idle"] == 1000 and report["connections"]["active"] == 10,
              f"loadgen connections: {report['connections']}")
        check(report["requests"] > 0, "no requests answered")
        server.wait_for_fds(baseline)

        # The protocol cases, on the real binary.
        size = response_size(server)
        with server.connect() as s:  # pipelined
            s.sendall(GET * 10)
            check(len(recv_exactly(s, 10 * size)) == 10 * size, "pipelined answers")
        with server.connect() as s:  # malformed: 400, then the server closes
            s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            got = recv_until_eof(s)
            check(got.startswith(b"HTTP/1.1 400 "), f"malformed request got {got[:100]!r}")
        with server.connect() as s:  # oversized: 431 or a close, never a hang
            try:
                s.sendall(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            got = recv_until_eof(s)
            check(got == b"" or got.startswith(b"HTTP/1.1 431 "), f"oversized request got {got[:100]!r}")
        s = server.connect()  # reset in the middle of a request
        s.sendall(b"GET / HT")
        time.sleep(0.05)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
        with server.connect() as s:  # half-closed: answers, then EOF
            s.sendall(GET * 2)
            s.shutdown(socket.SHUT_WR)
            check(len(recv_until_eof(s)) == 2 * size, "half-closed peer did not get both answers")
        server.wait_for_fds(baseline)

        stats = server.stop()
        protocol_requests = 1 + 10 + 2  # response_size, pipelined, half-closed
        check(stats["requests"] == report["requests"] + protocol_requests,
              f"server answered {stats['requests']} requests, loadgen counted {report['requests']} "
              f"(+{protocol_requests} from the protocol cases)")
        errors = stats["errors"]
        check(errors["malformed"] == 1 and errors["oversized"] <= 1, f"server errors: {errors}")
        others = {k: v for k, v in errors.items() if k not in ("malformed", "oversized", "unfinished")}
        check(all(v == 0 for v in others.values()), f"server errors: {errors}")
        conns = stats["connections"]
        check(conns["accepted"] == conns["closed"] and conns["open"] == 0, f"server connections: {conns}")
        check(conns["accepted"] == 1010 + 6, f"accepted {conns['accepted']}, expected 1016")
        print(f"{backend}: {report['requests']} loadgen requests, server wait p99 {stats['wait_ns']['p99']} ns, "
              f"{stats['events_per_wait']} events per wait")


def case_fd_limit(a):
    # Both limits at 64: the server cannot hold 100 connections and must shed the rest without
    # spinning, and keep serving once clients leave.
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    with pbtest.pollserver(a.pollserver, "--backend", "epoll_lt", preexec_fn=limit) as server:
        baseline = server.fd_count()
        clients = []
        for _ in range(100):
            s = socket.socket()
            s.settimeout(5)
            s.connect((server.host, server.port))
            clients.append(s)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and server.fd_count() < 60:
            time.sleep(0.02)
        time.sleep(0.2)
        for s in clients:
            s.close()
        server.wait_for_fds(baseline)
        with server.connect() as s:
            s.sendall(GET)
            check(s.recv(4096).startswith(b"HTTP/1.1 200 OK"), "no answer after the fd limit was hit")
        stats = server.stop()
        check(stats["errors"]["fd_limit"] > 0, f"no connection was shed: {stats['errors']}")
        check(stats["connections"]["open"] == 0, f"connections: {stats['connections']}")
        print(f"shed {stats['errors']['fd_limit']} connections at fd limit 64")


def case_ipv6(a):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as e:
        pbtest.skip(f"no IPv6 loopback here ({e})")
    with pbtest.pollserver(a.pollserver, "--backend", "epoll_et", "--bind", "::1") as server:
        check(server.endpoint.startswith("[::1]:"), f"endpoint {server.endpoint}")
        with server.connect() as s:
            s.sendall(GET)
            check(s.recv(4096).startswith(b"HTTP/1.1 200 OK"), "no answer over IPv6")
        server.stop()


def case_bench_cli(a):
    pbtest.refuses_each(a.tcp_bench, {
        "--bogus": "unknown option '--bogus'",
        "--backends=kqueue": "--backends: unknown value 'kqueue' (valid: select, poll,",
        "--backends": "--backends: needs a value LIST",
        "--backends=,": "--backends: needs at least one of: select, poll,",
        "--turns=0": "--turns: 0 is below the minimum 1",
        "--cpu=100000": "--cpu: 100000 is above the maximum 4095",
        "--seconds=0": "--seconds: 0 is below the minimum 0.001",
        "--quick=yes": "--quick: takes no value",
        "--benchmark_nonsense=1": "benchmark_nonsense",
        "--benchmark_filter=[": "--benchmark_filter",
        "--loadgen=/nonexistent/loadgen": "--loadgen: no executable at '/nonexistent/loadgen'",
    }, timeout=30)
    r = pbtest.run([a.tcp_bench, "--help"], timeout=30)
    check(r.returncode == 0 and "usage: tcp_bench" in r.stdout, f"--help: exit {r.returncode}")
    r = pbtest.run([a.tcp_bench, "--quick", "--benchmark_list_tests=true"], timeout=30)
    check(r.returncode == 0, f"--benchmark_list_tests: exit {r.returncode}: {r.stderr}")
    names = r.stdout.split()
    # Every backend that runs here, as backends_list (built beside tcp_bench) lists them.
    for backend in pbtest.available(os.path.dirname(a.tcp_bench)):
        check(any(n.startswith(f"tcp/{backend}/idle:0/active:10") for n in names), f"no tcp/{backend} in {names}")


def case_bench_smoke(a):
    if not a.loadgen:
        pbtest.skip("no loadgen built")
    backends = ["epoll_et", "poll"]  # both always available on Linux
    r = pbtest.run([a.tcp_bench, f"--backends={','.join(backends)}", "--turns=300",
                    "--benchmark_filter=/idle:1000/active:10/", "--benchmark_format=json",
                    f"--loadgen={a.loadgen}"], timeout=100)
    check(r.returncode == 0, f"tcp_bench exited {r.returncode}: {r.stderr[-2000:]}")
    rows = json.loads(r.stdout)["benchmarks"]
    # The default 3 repetitions, each its own row, then their aggregates (median among them).
    runs = [row for row in rows if row.get("run_type") == "iteration"]
    check(len(runs) == 3 * len(backends), f"{len(runs)} repetitions for {backends}")
    for backend in backends:
        indices = sorted(row["repetition_index"] for row in runs if row["name"].startswith(f"tcp/{backend}/"))
        check(indices == [0, 1, 2], f"{backend}: repetition indices {indices}")
        check(any(row.get("aggregate_name") == "median" and row["name"].startswith(f"tcp/{backend}/")
                  and row["requests_per_sec"] > 0 for row in rows), f"{backend}: no median row")
    for run in runs:
        check(not run.get("error_occurred"), f"{run['name']}: {run.get('error_message')}")
        check(run["name"].startswith(f"tcp/{run['name'].split('/')[1]}/idle:1000/active:10/"), run["name"])
        check(run["iterations"] == 300, f"{run['name']}: {run['iterations']} iterations")
        for counter in ("p50_ns", "p99_ns", "p999_ns", "max_ns", "events", "requests_per_sec", "request_p99_ns"):
            check(run[counter] > 0, f"{run['name']}: {counter} = {run[counter]}")
        check(run["watched"] == 1011, f"{run['name']}: watched {run['watched']}")
        check(run["p50_ns"] <= run["p99_ns"] <= run["max_ns"], f"{run['name']}: percentiles out of order")
        print(f"{run['name']}: {run['requests_per_sec']:.0f} requests/s, wait p99 {run['p99_ns']:.0f} ns")


def half_closed_exchange(server, size):
    """Two requests, then FIN: the peer must get both answers and then EOF. Returns an error or None."""
    with server.connect() as s:
        s.sendall(GET * 2)
        s.shutdown(socket.SHUT_WR)
        try:
            got = len(recv_until_eof(s))
        except TimeoutError:
            return "no EOF within the socket timeout"
        return None if got == 2 * size else f"{got} bytes, expected {2 * size}"


def case_half_close(a, backend):
    pbtest.require_backend(a.bin_dir, backend)
    with pbtest.pollserver(a.pollserver, "--backend", backend) as server:
        size = response_size(server)
        failures = []
        for i in range(a.repeat):
            error = half_closed_exchange(server, size)
            if error:
                failures.append(f"run {i + 1}: {error}")
        stats = server.stop()
        conns = stats["connections"]
        check(conns["accepted"] == conns["closed"] and conns["open"] == 0, f"server connections: {conns}")
        print(f"half_close {backend}: {a.repeat - len(failures)} of {a.repeat} passed")
        check(not failures, f"{len(failures)} of {a.repeat} half-closed exchanges failed: {failures[:5]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pollserver", required=True)
    parser.add_argument("--tcp-bench", required=True)
    parser.add_argument("--loadgen")
    parser.add_argument("case")
    parser.add_argument("backend", nargs="?")
    parser.add_argument("--repeat", type=int, default=1, help="half_close: how many exchanges (default 1)")
    a = parser.parse_args()
    if a.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {a.repeat}")
    if a.loadgen and not os.access(a.loadgen, os.X_OK):
        print(f"note: no loadgen at {a.loadgen}; using the Python client", file=sys.stderr)
        a.loadgen = None
    a.bin_dir = os.path.dirname(a.pollserver)  # backends_list is built beside pollserver
    cases = {"cli": case_cli, "fd_limit": case_fd_limit, "ipv6": case_ipv6, "bench_cli": case_bench_cli,
             "bench_smoke": case_bench_smoke}
    if a.case in ("load", "half_close"):
        pbtest.main(globals()[f"case_{a.case}"], a, a.backend)
    if a.case not in cases:
        parser.error(f"unknown case {a.case!r}")
    pbtest.main(cases[a.case], a)


if __name__ == "__main__":
    main()
