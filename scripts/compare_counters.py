#!/usr/bin/env python3
"""Compares the user counters of two pollbench result files: what Google Benchmark's compare.py leaves out.

compare.py (libbenchmark-tools) compares real and CPU time only; pollbench's latency percentiles
(p50_ns, p99_ns, p999_ns, max_ns) and the TCP server's requests_per_sec are counters. This prints,
for every benchmark in both files, each counter's median over repetitions, old and new, and the
relative change (new - old) / old, in compare.py's sign convention (+0.10 = 10% larger).

    scripts/compare_counters.py OLD/wait.json NEW/wait.json [--counters p50_ns,p99_ns]

Only the standard library is needed. Exits 1 naming the problem when a file is empty, truncated
or not pollbench's.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_results as pr  # noqa: E402

DEFAULT_COUNTERS = "p50_ns,p99_ns,p999_ns,requests_per_sec"
# Which way is better, for the hint after each change.
HIGHER_IS_BETTER = {"requests_per_sec"}


def display_name(point: pr.Point) -> str:
    """The benchmark without Google Benchmark's run options:
    wait/select/pipe/mode:block/pos:spread/fds:10/active:1. The tags (mode, pos) are part of it:
    without them the position sweep's points would share a name with the N sweep's."""
    tags = [f"{k}:{point.tag(k)}" for k in ("mode", "pos") if point.tag(k) is not None]
    return "/".join([point.area, *point.labels, *tags, *(f"{k}:{v}" for k, v in point.params.items())])


def compare(old: pr.Run, new: pr.Run, counters: list[str]) -> list[list[str]]:
    new_points = {display_name(p): p for p in new.points}
    rows = []
    for old_point in old.points:
        name = display_name(old_point)
        new_point = new_points.get(name)
        if new_point is None:
            continue
        for counter in counters:
            before, after = old_point.counter(counter), new_point.counter(counter)
            if before is None or after is None:
                continue
            change = (after - before) / before if before else float("inf") if after else 0.0
            verdict = ""
            if abs(change) >= 0.05:
                better = (change > 0) == (counter in HIGHER_IS_BETTER)
                verdict = "better" if better else "worse"
            rows.append([name, counter, f"{before:.6g}", f"{after:.6g}", f"{change:+.4f}", verdict])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare the counters (latency percentiles, requests/s) of two pollbench result files; "
                    "Google Benchmark's compare.py compares only the times.")
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    parser.add_argument("--counters", default=DEFAULT_COUNTERS,
                        help=f"comma-separated counter names (default: {DEFAULT_COUNTERS})")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    counters = [c.strip() for c in args.counters.split(",") if c.strip()]
    if not counters:
        parser.error("--counters needs at least one counter name")
    try:
        old, new = pr.load(args.old), pr.load(args.new)
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    rows = compare(old, new, counters)
    print(f"Counters of {args.old} against {args.new}: medians over repetitions, change = (new - old) / old; "
          "'better'/'worse' marks changes of 5% or more.")
    if not rows:
        print(f"(no benchmark in both files has any of the counters {', '.join(counters)})")
        return 0
    headers = ["Benchmark", "Counter", "Old", "New", "Change", ""]
    widths = [max(len(r[i]) for r in rows + [headers]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line.rstrip())
    print("-" * len(line.rstrip()))
    for r in rows:
        print("  ".join(c.ljust(w) if i in (0, 1, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
