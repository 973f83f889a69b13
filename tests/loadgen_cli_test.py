#!/usr/bin/env python3
"""End-to-end tests of loadgen's command line, error messages and counts (standard library only).

    loadgen_cli_test.py --loadgen PATH --server PATH CASE

Each CASE is one ctest test. `--server` is tests/loadgen_test_server (a tiny HTTP server that can
misbehave on purpose);
No case checks a timing: only exit codes, messages and counts.
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
from pbtest import Failure, check, skip

ARGS = None


def loadgen(*args, timeout=60):
    proc = pbtest.run([ARGS.loadgen, *args], timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def report(stdout, stderr):
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as e:
        raise Failure(f"stdout is not one JSON object ({e}):\n{stdout}\nstderr:\n{stderr}") from None


def test_server(mode="ok", arg=None, bind="127.0.0.1"):
    """tests/loadgen_test_server in MODE: it prints its statistics as JSON when stopped."""
    argv = [ARGS.server, "--bind", bind, "--mode", mode]
    if arg is not None:
        argv += ["--arg", str(arg)]
    return pbtest.Server(argv)


def errors_of(rep):
    return {k: v for k, v in rep["errors"].items() if v}


def clean_run(server, *args):
    """Runs loadgen against `server`, checks a clean run and that both sides count alike."""
    code, out, err = loadgen("--target", server.endpoint, *args)
    stats = server.stop()
    check(code == 0, f"loadgen exited {code}: {err}")
    rep = report(out, err)
    for key in ("requests", "requests_per_sec", "errors", "latency_ns", "connections", "duration_s", "threads"):
        check(key in rep, f"no {key!r} in the report")
    for key in ("p50", "p90", "p99", "p999", "max"):
        check(key in rep["latency_ns"], f"no latency_ns.{key}")
    check(rep["errors_total"] == 0 and not errors_of(rep), f"errors on a clean run: {errors_of(rep)} ({rep['first_error']})")
    check(rep["requests"] > 0, "no requests answered")
    check(rep["requests"] == stats["requests"],
          f"loadgen counted {rep['requests']} answers, the server {stats['requests']} requests")
    return rep, stats, err


# ---- command line (label unit) ------------------------------------------------------------

def case_help():
    code, out, err = loadgen("--help")
    check(code == 0, f"--help exited {code}")
    check(out.startswith("usage: loadgen") and "--pipeline" in out and "--rate" in out, f"--help text: {out}")


def case_bad_args():
    bad = [
        [],
        ["--target", "127.0.0.1:80", "--idle", "lots"],
        ["--target", "127.0.0.1:80", "--pipeline", "0"],
        ["--target", "127.0.0.1:80", "--pipeline", "4", "--rate", "100"],
        ["--target", "127.0.0.1:80", "--threads", "0"],
        ["--target", "127.0.0.1:80", "--duration", "-1"],
        ["--target", "127.0.0.1:80", "--frobnicate"],
        ["--target", "127.0.0.1"],
        ["--target", "[::1:80"],
        ["--target", "127.0.0.1:99999"],
        ["--target", "[::1]:80", "--sources", "2"],
        ["--target", "127.0.0.1:80", "--connect-timeout", "0"],
        ["--target", "127.0.0.1:80", "--start-at", "tomorrow"],
        ["--target", "127.0.0.1:80", "--start-at", "1000000000"],  # 2001: far in the past
        ["--target", "127.0.0.1:80", "--start-at", "%d" % (time.time() + 10 * 86400)],
        ["--target", "127.0.0.1:80", "--start-at", "%d.1234567891" % time.time()],
    ]
    for args in bad:
        code, out, err = loadgen(*args)
        check(code == 2, f"{args}: exit {code}, want 2 (stderr: {err})")
        check(err.startswith("loadgen: ") and "usage: loadgen" in err, f"{args}: no usage message: {err}")
        check(out == "", f"{args}: printed on stdout: {out}")


def case_remote_refused():
    # Only parsed and refused: nothing is sent anywhere.
    for target in ("10.1.2.3:80", "[2001:db8::1]:80", "192.0.2.1:8080"):
        code, out, err = loadgen("--target", target, "--duration", "1")
        check(code == 2, f"{target}: exit {code}, want 2")
        check("--allow-remote" in err and "loopback" in err, f"{target}: message does not say why: {err}")


def case_fd_limit():
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    idle = limit + 10 if limit != resource.RLIM_INFINITY else 10**8
    code, out, err = loadgen("--target", "127.0.0.1:80", "--idle", idle, "--duration", "1")
    check(code == 2, f"--idle {idle}: exit {code}, want 2: {err}")
    named = "RLIMIT_NOFILE" in err and (limit == resource.RLIM_INFINITY or str(limit) in err)
    check(named, f"the message does not name the limit {limit}: {err}")


def case_refused():
    # A port that was free a moment ago: nothing listens there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = f"127.0.0.1:{port}"
    code, out, err = loadgen("--target", target, "--active", "2", "--duration", "5", timeout=30)
    check(code == 1, f"exit {code}, want 1: {err}")
    check(target in err and "refused" in err, f"the message does not name {target} and the refusal: {err}")


# ---- against loadgen_test_server (label integration) --------------------------------------

def case_clean():
    rep, stats, err = clean_run(test_server(), "--idle", "1000", "--active", "10", "--duration", "1")
    check(rep["connections"]["idle"] == 1000 and rep["connections"]["active"] == 10, f"connections: {rep['connections']}")
    check("connected idle=1000 active=10\n" in err, f"no `connected` line in stderr: {err}")
    check(stats["accepted"] == 1010, f"server accepted {stats['accepted']}")


def case_ipv6():
    if not socket.has_ipv6:
        skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError as e:
        skip(f"::1 not usable here ({e})")
    clean_run(test_server(bind="::1"), "--idle", "20", "--active", "4", "--duration", "0.5")


def case_pipeline():
    rep, _, _ = clean_run(test_server(), "--active", "8", "--pipeline", "16", "--duration", "0.5")
    check(rep["pipeline"] == 16 and rep["mode"] == "closed_loop", f"mode: {rep['mode']} {rep['pipeline']}")


def case_chunked():
    clean_run(test_server("chunked"), "--active", "4", "--pipeline", "4", "--duration", "0.5")


def case_threads_sources():
    rep, stats, _ = clean_run(test_server(), "--idle", "300", "--active", "6", "--threads", "3", "--sources", "3",
                              "--duration", "0.5")
    check(rep["threads"] == 3, f"threads: {rep['threads']}")
    check(rep["sources"] == ["127.0.0.1", "127.0.0.2", "127.0.0.3"], f"sources: {rep['sources']}")
    check(stats["peers"] == 3, f"the server saw {stats['peers']} peer addresses, want 3")
    check(rep["connections"] == {"idle": 300, "active": 6, "requested_idle": 300, "requested_active": 6},
          f"connections: {rep['connections']}")


def case_open_loop():
    rep, _, _ = clean_run(test_server(), "--active", "10", "--rate", "2000", "--duration", "1")
    check(rep["mode"] == "open_loop" and rep["latency_from"] == "intended_send", f"mode: {rep['mode']}")
    # The schedule, not the server, sets the count: 2000/s for 1 s.
    check(1900 <= rep["requests"] <= 2100, f"{rep['requests']} requests at 2000/s for 1 s")


def case_coordinated_omission():
    # The server stops for 300 ms, 300 ms into the run. Closed loop sends nothing meanwhile and
    # sees one slow answer per connection; open loop keeps its schedule and counts every
    # request's wait from its intended send time, so about a third of the requests (those due
    # in the stall) show 0-300 ms. Both are lower bounds: noise only raises them.
    rep, _, _ = clean_run(test_server("stall", 300), "--active", "10", "--rate", "2000", "--duration", "1")
    check(rep["latency_ns"]["max"] >= 250e6, f"open loop max {rep['latency_ns']['max']} ns hides a 300 ms stall")
    check(rep["latency_ns"]["p90"] >= 100e6, f"open loop p90 {rep['latency_ns']['p90']} ns hides a 300 ms stall")


def case_reset():
    server = test_server("reset", 5)
    code, out, err = loadgen("--target", server.endpoint, "--active", "4", "--duration", "0.5")
    server.stop()
    check(code == 0, f"resets must not be fatal: exit {code}: {err}")
    rep = report(out, err)
    check(rep["errors"]["reset"] > 0 and rep["reconnects"] > 0, f"resets not counted: {rep['errors']}")
    check(rep["requests"] > 0, "no requests answered between resets")


def case_bad_response():
    server = test_server("garbage")
    code, out, err = loadgen("--target", server.endpoint, "--active", "2", "--duration", "0.3")
    server.stop()
    rep = report(out, err)
    check(code == 0 and rep["errors"]["bad_response"] > 0, f"bad responses not counted: {rep['errors']}")
    check("bad status line" in rep["first_error"], f"first_error: {rep['first_error']}")


def strict_report(raw, err):
    """stdout as bytes: it must be UTF-8 (strictly) and one JSON object."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure(f"stdout is not UTF-8 ({e}): {raw[:200]!r}") from None
    return report(text, err)


def case_random_bytes():
    # The server answers every request with random bytes; first_error quotes some of them.
    server = test_server("random", 512)
    proc = subprocess.run([ARGS.loadgen, "--target", server.endpoint, "--active", "4", "--duration", "0.3"],
                          capture_output=True, timeout=60)
    server.stop()
    err = proc.stderr.decode("utf-8", "replace")
    rep = strict_report(proc.stdout, err)
    check(proc.returncode == 0 and rep["errors"]["bad_response"] > 0, f"random answers not counted: {rep['errors']}")
    check(rep["requests"] == 0, f"{rep['requests']} random answers counted as requests")
    check(rep["first_error"].startswith("bad_response: "), f"first_error: {rep['first_error']!r}")


def case_long_header():
    # Every answer carries a 100,000-byte header line, whatever the reads' boundaries.
    server = test_server("long-header", 100000)
    code, out, err = loadgen("--target", server.endpoint, "--active", "2", "--duration", "0.3")
    server.stop()
    rep = report(out, err)
    check(code == 0 and rep["errors"]["bad_response"] > 0, f"long header lines not counted: {rep['errors']}")
    check(rep["requests"] == 0, f"{rep['requests']} answers with a 100,000-byte header line counted as requests")
    check("longer than 8192" in rep["first_error"], f"first_error: {rep['first_error']}")


def case_reconnect_backoff():
    # A server that closes every connection at once: loadgen reopens them, backing off (10 ms
    # doubling to 1 s after the first), and counts each reopen. Without the backoff it made
    # thousands of connections a second; the bound below is far above what the backoff allows
    # (about 8 per connection in 1 s) and far below a storm.
    server = test_server("close")
    code, out, err = loadgen("--target", server.endpoint, "--active", "4", "--duration", "1")
    stats = server.stop()
    rep = report(out, err)
    check(code == 0, f"exit {code}: {err}")
    check(0 < rep["reconnects"] <= 100, f"{rep['reconnects']} reconnects in 1 s to a server that closes at once")
    check(stats["accepted"] <= 4 + rep["reconnects"], f"server accepted {stats['accepted']}, reconnects {rep['reconnects']}")
    check(rep["requests"] == 0 and rep["errors"]["closed"] + rep["errors"]["reset"] > 0, f"errors: {rep['errors']}")


def case_connect_timeout():
    # A listener that never accepts (backlog 0): the connects beyond its queue never complete.
    # --duration 1 bounds the connect phase (a fixed 30 s timeout used to hold it up 34 s).
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        target = "127.0.0.1:%d" % listener.getsockname()[1]
        code, out, err = loadgen("--target", target, "--active", "8", "--duration", "1", "--connect-timeout", "60",
                                 timeout=30)
    rep = report(out, err)
    check(code == 0, f"exit {code}: {err}")
    check(rep["errors"]["connect_timeout"] > 0, f"no connect_timeout counted: {rep['errors']}")
    first = rep["first_error"]
    check("within 1 s" in first or "connect phase reached its end" in first, f"not cut at --duration's 1 s: {first}")
    check(rep["connect_s"] < 10, f"the connect phase took {rep['connect_s']} s with --duration 1")


def case_interim_continue():
    # The server sends `100 Continue` before every 200: loadgen skips the interim response and
    # counts only the final one, so every answer is good and no connection breaks.
    rep, stats, _ = clean_run(test_server("continue"), "--active", "4", "--pipeline", "4", "--duration", "0.5")
    check(rep["reconnects"] == 0, f"{rep['reconnects']} reconnects against a server that sends 100 Continue first")


def merge(*paths):
    proc = subprocess.run([ARGS.loadgen, "merge", "--max-skew", "1", *paths], capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


def case_merge_cli():
    # One real report, merged with itself and with altered copies of itself.
    server = test_server()
    code, out, err = loadgen("--target", server.endpoint, "--active", "2", "--duration", "0.3")
    server.stop()
    check(code == 0, f"loadgen exited {code}: {err}")
    rep = report(out, err)
    check(rep["latency_histogram"]["count"] == rep["requests"], "the histogram does not count every answer")
    work = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"loadgen_merge_cli_{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    try:
        def write(name, data):
            path = os.path.join(work, name)
            with open(path, "w") as f:
                f.write(data if isinstance(data, str) else json.dumps(data))
            return path
        a = write("a.json", out)
        code, merged, err = merge(a, a)
        check(code == 0, f"merging a report with itself: exit {code}: {err}")
        m = json.loads(merged)
        check(m["requests"] == 2 * rep["requests"] and m["latency_ns"]["p99"] == rep["latency_ns"]["p99"],
              f"a report merged with itself: {m['requests']} requests, p99 {m['latency_ns']['p99']}")
        check("total (merged histogram)" in err, f"no summary table on stderr: {err}")
        bad = {}
        bad["target"] = dict(rep, target="127.0.0.1:1")
        bad["layout"] = json.loads(out)
        bad["layout"]["latency_histogram"]["layout"]["sub_bucket_bits"] = 5
        bad["schedule.pipeline"] = json.loads(out)
        bad["schedule.pipeline"]["schedule"]["pipeline"] = 2
        bad["latency_histogram"] = {k: v for k, v in rep.items() if k != "latency_histogram"}
        bad["buckets"] = json.loads(out)
        bad["buckets"]["latency_histogram"]["buckets"] += " 7:x"
        for what, data in bad.items():
            code, merged, err = merge(a, write(what + ".json", data))
            check(code == 2 and what in err and merged == "", f"{what} differs: exit {code}, stderr {err!r}")
        for args, what in (([], "no reports"), ([write("junk.json", "not json")], "not JSON"),
                           ([os.path.join(work, "missing.json")], "cannot read"), (["--frob", a], "unknown option")):
            code, merged, err = merge(*args)
            check(code == 2 and what in err, f"merge {args}: exit {code}, stderr {err!r}")
    finally:
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


def case_bad_status():
    server = test_server("status500")
    code, out, err = loadgen("--target", server.endpoint, "--active", "2", "--duration", "0.3")
    stats = server.stop()
    rep = report(out, err)
    check(code == 0 and rep["errors"]["bad_status"] == rep["requests"] == stats["requests"],
          f"500s not counted: {rep['errors']}, {rep['requests']} answers, server {stats['requests']}")


def case_idle_closed():
    # The server closes connections that stay silent for 100 ms: loadgen counts them, keeps
    # the active ones going, and reports the idle ones gone.
    server = test_server("close-silent", 100)
    code, out, err = loadgen("--target", server.endpoint, "--idle", "50", "--active", "2", "--duration", "0.5")
    server.stop()
    rep = report(out, err)
    check(code == 0 and rep["errors"]["closed"] == 50, f"closed idle connections: {rep['errors']}")
    check(rep["connections"]["idle"] == 0 and rep["connections"]["active"] == 2, f"connections: {rep['connections']}")


def case_sigint():
    server = test_server()
    proc = subprocess.Popen([ARGS.loadgen, "--target", server.endpoint, "--idle", "100", "--active", "2",
                             "--duration", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith("connected "):
            break
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    stats = server.stop()
    check(proc.returncode == 0, f"exit {proc.returncode} after SIGINT: {err}")
    rep = report(out, err)
    check(rep["interrupted"] is True and rep["duration_s"] < 30, f"interrupted {rep['interrupted']} {rep['duration_s']}")
    check(rep["errors_total"] == 0 and rep["requests"] == stats["requests"],
          f"after SIGINT: errors {errors_of(rep)}, {rep['requests']} vs server {stats['requests']}")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--server")
    parser.add_argument("case")
    ARGS = parser.parse_args()
    cases = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
    if ARGS.case not in cases:
        parser.error(f"unknown case {ARGS.case}; known: {', '.join(sorted(cases))}")
    code = pbtest.run_test(cases[ARGS.case])
    if code == 0:
        print(f"PASS: {ARGS.case}")
    sys.exit(code)


if __name__ == "__main__":
    main()
