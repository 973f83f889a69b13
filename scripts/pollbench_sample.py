#!/usr/bin/env python3
"""Samples chosen wait_bench points in fresh processes until each median is known to +-P.

    pollbench_sample.py WAIT_BENCH --point NAME [--point NAME ...] [--points-file FILE]
                        [--precision 0.05] [--budget-s 300] [--min-samples 6] [--max-samples 200]
                        [--out samples.json] [-- WAIT_BENCH_ARGS...]

Each round starts one fresh wait_bench process over the points still open (--benchmark_filter
built from their exact names, --benchmark_repetitions=1), so every round gives each open point
one sample: that process's time per wait (Google Benchmark's real_time, in ns). After the round
each point is judged by pollbench_stats.decide: "reached" once the 95% order-statistic interval
of its median lies within +-P of the median; "budget" once it has the samples its share of the
time budget allows (pollbench_stats.allocate: cheap and steady points get what they need, the
rest of the budget goes to the noisy ones), or when the whole budget is spent. A point never
stops as "reached" before --min-samples (at least 6: below that no 95% interval exists).

The sampling unit is the fresh process (--unit process, the only one implemented): it covers
the variance a new process brings (where its fd pool's sockets land in memory).

Writes JSON (--out, else stdout):
  {"binary", "unit", "precision", "confidence", "budget_s", "min_samples", "max_samples",
   "rounds", "elapsed_s", "context" (the first process's),
   "points": {NAME: {"samples": [ns...], "n", "median", "lo", "hi", "coverage",
                     "relative_half_width", "status": "reached"|"budget", "time_unit": "ns"}}}
lo/hi/coverage/relative_half_width are null below 6 samples. One progress line per round on stderr.
Exit status: 0 when every point stopped (reached or budget), 1 when wait_bench failed or a point
reported an error, 2 for a bad command line or a name wait_bench does not have.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pollbench_stats as ps  # noqa: E402
from pollbench_results import strip_run_options  # noqa: E402

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class UsageError(Exception):
    pass


class RunError(Exception):
    pass


@dataclass
class Point:
    name: str
    samples: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # estimated wall time of each sample
    status: str = ps.CONTINUE

    def report(self) -> dict:
        ci = ps.median_ci(self.samples)
        median = statistics.median(self.samples) if self.samples else None
        return {"samples": self.samples, "n": len(self.samples), "median": median,
                "lo": ci.lo if ci else None, "hi": ci.hi if ci else None, "coverage": ci.coverage if ci else None,
                "relative_half_width": ci.relative_half_width if ci else None, "status": self.status,
                "time_unit": "ns"}


def filter_for(names: list[str]) -> str:
    """A --benchmark_filter that selects exactly these points (whatever run options follow)."""
    return "^(" + "|".join(re.escape(n) for n in names) + ")(/|$)"


def run_round(binary: str, names: list[str], extra_args: list[str], timeout_s: float) -> tuple[dict, dict]:
    """One fresh wait_bench process over `names`: {name: (ns, wall share s)}, its context."""
    with tempfile.TemporaryDirectory(prefix="pollbench-sample.") as tmp:
        out = os.path.join(tmp, "round.json")
        cmd = [binary, f"--benchmark_filter={filter_for(names)}", "--benchmark_repetitions=1",
               f"--benchmark_out={out}", "--benchmark_out_format=json", *extra_args]
        start = time.monotonic()
        try:
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RunError(f"{binary} did not finish within {timeout_s:.0f} s") from None
        wall = time.monotonic() - start
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise RunError(f"{binary} exited {done.returncode}:\n{tail}")
        if "Failed to match any benchmarks" in done.stderr:
            return {}, {}  # none of the names exists: the caller says which
        try:
            data = json.load(open(out))
        except (OSError, ValueError) as e:
            raise RunError(f"{binary} wrote no readable JSON: {e}") from None
    return measurements(data, wall), data.get("context", {})


def similar(args, name: str) -> str:
    """The binary's names that differ from `name` only from /fds: on, as a hint: the largest N
    follows the fd limit and the fds the caller left open, so it can differ between shells."""
    prefix = name.split("/fds:")[0]
    done = subprocess.run([args.binary, f"--benchmark_filter=^{re.escape(prefix)}/", "--benchmark_list_tests",
                           *args.wait_args], capture_output=True, text=True, timeout=120)
    after_n = name.split("/fds:")[-1].partition("/")[2]  # "active:1"
    names = [n for n in map(strip_run_options, done.stdout.split())
             if n.split("/fds:")[-1].partition("/")[2] == after_n]
    return f" (it has: {', '.join(names[-4:])})" if names else ""


def measurements(data: dict, wall_s: float) -> dict:
    """{name: (ns per wait, estimated wall seconds)} from one process's rows. The process's wall time
    is shared out in proportion to each point's timed total (iterations x time), so a point's cost
    includes its share of start-up."""
    rows = [r for r in data.get("benchmarks", []) if r.get("run_type", "iteration") == "iteration"]
    out, timed = {}, {}
    for r in rows:
        name = strip_run_options(r["name"])
        if r.get("error_occurred"):
            raise RunError(f"{name}: {r.get('error_message', 'error')}")
        ns = r["real_time"] * TO_NS[r.get("time_unit", "ns")]
        out[name] = ns
        timed[name] = ns * r.get("iterations", 1)
    total = sum(timed.values()) or 1.0
    return {n: (ns, wall_s * timed[n] / total) for n, ns in out.items()}


def plan_limits(points: list[Point], args, remaining_s: float) -> dict[str, int]:
    """Samples each open point may have in all: allocate() over the time left, each point's cost
    per sample being its mean share of the rounds so far (start-up included, so the estimate is
    rough; the whole budget is a hard stop besides)."""
    costs = {p.name: (p.samples, sum(p.seconds) / len(p.seconds)) for p in points}
    limits = ps.allocate(costs, args.precision, max(0.0, remaining_s), args.min_samples)
    return {n: min(v, args.max_samples) for n, v in limits.items()}


def sample(args) -> dict:
    points = {n: Point(n) for n in args.names}
    start = time.monotonic()
    context, rounds = {}, 0
    while True:
        open_points = [p for p in points.values() if p.status == ps.CONTINUE]
        if not open_points:
            break
        rounds += 1
        got, ctx = run_round(args.binary, [p.name for p in open_points], args.wait_args, args.round_timeout_s)
        context = context or ctx
        missing = [p.name for p in open_points if p.name not in got]
        if missing:
            raise UsageError(f"{args.binary} has no point named: {', '.join(missing)}{similar(args, missing[0])}")
        for p in open_points:
            ns, seconds = got[p.name]
            p.samples.append(ns)
            p.seconds.append(seconds)
        elapsed = time.monotonic() - start
        remaining = args.budget_s - elapsed
        limits = plan_limits(open_points, args, remaining)
        # The budget is spent when the next round would not fit: each point costs about what it did.
        spent = remaining < sum(statistics.fmean(p.seconds) for p in open_points)
        for p in open_points:
            p.status = ps.decide(p.samples, args.precision, args.min_samples, limits[p.name],
                                 budget_spent=spent).status
            if spent and p.status == ps.CONTINUE:
                p.status = ps.BUDGET  # the whole budget is spent: stop even below the minimum
        progress(rounds, points, elapsed, args)
    return {"binary": args.binary, "unit": args.unit, "precision": args.precision, "confidence": ps.CONFIDENCE,
            "budget_s": args.budget_s, "min_samples": args.min_samples, "max_samples": args.max_samples,
            "rounds": rounds, "elapsed_s": round(time.monotonic() - start, 3), "context": context,
            "points": {n: p.report() for n, p in points.items()}}


def progress(rounds: int, points: dict, elapsed: float, args) -> None:
    counts = {s: sum(p.status == s for p in points.values()) for s in (ps.CONTINUE, ps.REACHED, ps.BUDGET)}
    open_widths = [(ps.decide(p.samples, args.precision).relative_half_width, p.name)
                   for p in points.values() if p.status == ps.CONTINUE]
    widest = max(open_widths, default=None)
    worst = "" if widest is None else (
        f"; widest open {widest[1]} " + ("(no interval yet)" if widest[0] == float("inf") else f"+-{widest[0]:.1%}"))
    print(f"round {rounds}: {counts[ps.CONTINUE]} open, {counts[ps.REACHED]} reached, {counts[ps.BUDGET]} on budget, "
          f"{elapsed:.1f} of {args.budget_s:g} s{worst}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]):
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(prog="pollbench_sample.py", description=__doc__.split("\n\n")[0],
                                usage="%(prog)s WAIT_BENCH --point NAME [--point NAME ...] [options] "
                                      "[-- WAIT_BENCH_ARGS...]",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("binary", help="the wait_bench to run")
    p.add_argument("--point", action="append", default=[], help="an exact benchmark name (repeatable)")
    p.add_argument("--points-file", help="a file of exact names, one a line (# comments)")
    p.add_argument("--precision", type=float, default=0.05, help="target relative half-width P (default 0.05: +-5%%)")
    p.add_argument("--budget-s", type=float, default=300.0, help="wall-time budget in seconds (default 300)")
    p.add_argument("--min-samples", type=int, default=ps.MIN_SAMPLES_95, help="never stop before (at least 6)")
    p.add_argument("--max-samples", type=int, default=200, help="never take more per point (default 200)")
    p.add_argument("--round-timeout-s", type=float, default=600.0, help="give up on a process after this long")
    p.add_argument("--unit", choices=["process"], default="process",
                   help="sampling unit: a fresh process per round (fresh pools in one process: not implemented)")
    p.add_argument("--out", help="write the JSON here (default stdout)")
    args = p.parse_args(argv)
    args.wait_args = extra
    names = list(args.point)
    if args.points_file:
        try:
            names += [ln.strip() for ln in open(args.points_file) if ln.strip() and not ln.lstrip().startswith("#")]
        except OSError as e:
            p.error(f"--points-file: {e}")
    args.names = list(dict.fromkeys(strip_run_options(n) for n in names))
    if not args.names:
        p.error("no points: give --point NAME or --points-file FILE")
    if not 0 < args.precision < 1:
        p.error(f"--precision: {args.precision} must be above 0 and below 1 (0.05 is +-5%)")
    if args.budget_s <= 0:
        p.error(f"--budget-s: {args.budget_s} must be above 0")
    if args.round_timeout_s <= 0:
        p.error(f"--round-timeout-s: {args.round_timeout_s} must be above 0")
    if args.min_samples < 1 or args.max_samples < max(args.min_samples, ps.MIN_SAMPLES_95):
        p.error(f"--max-samples {args.max_samples} must be at least --min-samples {args.min_samples} and at least "
                f"{ps.MIN_SAMPLES_95}")
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        p.error(f"{args.binary} is not an executable file")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        result = sample(args)
    except UsageError as e:
        print(f"pollbench_sample.py: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"pollbench_sample.py: {e}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
