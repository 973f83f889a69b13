#!/usr/bin/env python3
"""Writes a run directory whose figures are set by hand, so the tests know every answer:

    tests/scripts/known_fixture.py OUT_DIR      -> OUT_DIR/wait.json, OUT_DIR/tcp.json

The files have the layout bench.sh writes (rows of 5 processes, each with its process_index,
merged by pollbench_results.merge_processes). The p50 of single waits, per process:
  - select: 100 ns per watched fd, poll: 80 ns per fd (slope 1); epoll_lt and epoll_et 500 ns,
    io_uring_plain 40 ns (flat). At N = 20,000 select's processes spread by ±30% (cv > 5%), at
    every other N by ±1% (cv < 5%): the headline is at N = 10,000, select/epoll_lt = 2000×,
    poll/epoll_lt = 1600×.
  - N = 1,000, dense ready sweep (A = 1, 10, 100, 250, 500, 750, 1000): poll 80 µs whatever A;
    epoll_lt 500 + 100·(A - 1) ns, so epoll_lt / poll crosses 1 between A = 750 (0.9425) and
    A = 1,000 (1.255), at A = 796 by linear interpolation (79.6% of N); epoll_et 500 + 50·(A - 1),
    never slower (0.63 at A = 1,000).
  - write_ns at N = 1: 800 ns for every backend but io_uring_plain, 1,500 ns: its excess, 700 ns,
    is more than its 40 ns wait, so it is the one backend marked as leaving work to the writer.
  - position sweep at N = 10,000: blocking select and poll 30% / 65% / 100% of their spread
    figure for first / middle / last, timeout 0 30% wherever the fd sits.
  - tcp: 3 repetitions, 100,000 requests/s ± 2% for every backend and idle count, except
    epoll_lt at 10 active, which rises from 80,000 (0 idle) to 100,000 (1,000 idle) beyond spread.
"""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pollbench_results as pr  # noqa: E402

PROCESSES = 5
# Per-process factors: the median is 1.0 exactly.
TIGHT = (0.99, 0.995, 1.0, 1.005, 1.01)
WIDE = (0.7, 0.85, 1.0, 1.15, 1.3)
SWEEP_N = (1, 10, 100, 1000, 10000, 20000)
DENSE_A = (1, 10, 100, 250, 500, 750, 1000)
CONTEXT = {"date": "2026-01-01T00:00:00+00:00", "host_name": "known", "num_cpus": 2, "cpu_model": "Known CPU",
           "kernel": "6.1.0-known", "git_commit": "0123456789ab", "fd_limit": "20000", "load_avg": [0.0, 0.0, 0.0],
           "wait_bench_mode": "default", "library_build_type": "release"}


def wait_ns(backend: str, n: int, a: int) -> float:
    if backend == "select":
        return 100.0 * n
    if backend == "poll":
        return 80.0 * n
    if backend == "epoll_lt":
        return 500.0 + 100.0 * (a - 1) if n == 1000 else 500.0 + 10.0 * (a - 1)
    if backend == "epoll_et":
        return 500.0 + 50.0 * (a - 1) if n == 1000 else 500.0 + 5.0 * (a - 1)
    return 40.0 + 2.0 * (a - 1)  # io_uring_plain


def row(name: str, process: int, p50: float, write: float, family: int) -> dict:
    return {"name": name, "run_name": name, "run_type": "iteration", "family_index": family,
            "per_family_instance_index": 0, "repetitions": 1, "repetition_index": 0, "threads": 1,
            "iterations": 1000, "real_time": p50 * 1.1, "cpu_time": p50 * 1.1, "time_unit": "ns",
            "p50_ns": p50, "p99_ns": p50 * 2, "events": 1.0, "write_ns": write}


def wait_rows(process: int) -> list[dict]:
    rows = []
    backends = ("select", "poll", "epoll_lt", "epoll_et", "io_uring_plain")
    for family, b in enumerate(backends):
        points = [(n, 1) for n in SWEEP_N] + [(1000, a) for a in DENSE_A if a > 1]
        for n, a in points:
            factors = WIDE if (b == "select" and n == 20000) else TIGHT
            write = 1500.0 if b == "io_uring_plain" else 800.0
            t = wait_ns(b, n, a)
            if b == "poll" and n == 1000:
                t = 80000.0  # poll's scan: the same whatever A
            name = f"wait/{b}/socketpair/mode:block/pos:spread/fds:{n}/active:{a}"
            rows.append(row(name, process, t * factors[process], write, family))
        for mode in ("block", "nonblock"):
            for share, pos in ((0.3, "first"), (0.65, "middle"), (1.0, "last")):
                t = wait_ns(b, 10000, 1)
                if b in ("select", "poll"):
                    t *= share if mode == "block" else 0.3
                name = f"wait/{b}/socketpair/mode:{mode}/pos:{pos}/fds:10000/active:1"
                rows.append(row(name, process, t * TIGHT[process], 800.0, 10 + family))
    return rows


def tcp_rows() -> list[dict]:
    rows = []
    for b in ("select", "poll", "epoll_lt", "epoll_et", "io_uring_plain"):
        for a in (10, 100):
            for idle in (0, 1000, 10000):
                base = 100000.0
                if b == "epoll_lt" and a == 10:
                    base = 80000.0 if idle == 0 else 100000.0
                for rep, f in enumerate((0.98, 1.0, 1.02)):
                    name = f"tcp/{b}/idle:{idle}/active:{a}"
                    rows.append({"name": name + "/iterations:1/manual_time", "run_name": name + "/iterations:1/manual_time",
                                 "run_type": "iteration", "family_index": 0, "repetitions": 3, "repetition_index": rep,
                                 "threads": 1, "iterations": 1, "real_time": 1e6, "cpu_time": 1e6, "time_unit": "ns",
                                 "requests_per_sec": base * f, "request_p99_ns": 1e5, "p99_ns": 5e4})
    return rows


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for p in range(PROCESSES):
            path = Path(tmp) / f"wait.p{p}.json"
            path.write_text(json.dumps({"context": dict(CONTEXT, date=f"2026-01-01T00:0{p}:00+00:00"),
                                        "benchmarks": wait_rows(p)}))
            parts.append(path)
        pr.merge_processes(parts, out / "wait.json")
    (out / "tcp.json").write_text(json.dumps({"context": CONTEXT, "benchmarks": tcp_rows()}))
    (out / "command.txt").write_text("tests/scripts/known_fixture.py (hand-set figures)\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: known_fixture.py OUT_DIR")
    write(Path(sys.argv[1]))
