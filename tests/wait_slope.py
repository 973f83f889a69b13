#!/usr/bin/env python3
"""Checks wait_bench's O(n) / O(1) claim on a result file (run by hand, never by ctest: timing
must not gate tests).

For every wait/<backend>/socketpair/mode:block/pos:spread/fds:N/active:1 row (the default
combination; older files without mode and position count as that) it takes the median over all its
rows, which in a bench.sh run are the fresh processes (wait.json keeps each process's row, tagged
with process_index; one process's own file has its repetitions instead), and
fits log(time) = a + slope * log(N) by least squares over 100 <= N <= the largest N (the scripts'
own fit, scripts/pollbench_results.py). A backend whose wait costs O(watched) (select, poll) must
show slope >= 0.8 (linear in N), one whose wait costs O(ready) (epoll, io_uring) slope <= 0.2
(flat), as the file's context declares them (backend_capabilities; the fallback table for older
files); a backend it does not know is fitted and shown but not judged.
Two figures are fitted: Google Benchmark's time (the mean wait of each repetition, then the median
of the repetitions) and p50_ns (the median wait of each repetition, then the median). On a busy
machine the mean carries preemptions that the median does not.

usage: tests/wait_slope.py WAIT_JSON [--kind socketpair] [--table]
Exit status: 0 all slopes as expected, 1 a slope missed, 2 usage or input error.
"""
import argparse
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import pollbench_results as pr  # noqa: E402

# What a wait's cost class makes the slope.
EXPECTED_OF_COST = {"O(watched)": "linear", "O(ready)": "flat"}
NAME = re.compile(r"^wait/(?P<backend>[^/]+)/(?P<kind>[^/]+)(?:/mode:block/pos:spread)?/fds:(?P<n>\d+)/active:1$")


def slope(points):
    return pr.fit_loglog_slope([n for n, _ in points], [t for _, t in points], min_n=0)


def main():
    pr.require_modules("numpy")  # the fit
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json")
    ap.add_argument("--kind", default="socketpair")
    ap.add_argument("--table", action="store_true", help="also print per-wait medians at N = 1, 100, 1000, 10000")
    args = ap.parse_args()
    try:
        with open(args.json) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"wait_slope: cannot read {args.json}: {e}", file=sys.stderr)
        return 2

    # (backend, N) -> {"time": [...], "p50": [...]} over repetitions
    runs = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        m = NAME.match(b["name"])
        if not m or m["kind"] != args.kind:
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        r = runs.setdefault((m["backend"], int(m["n"])), {"time": [], "p50": []})
        r["time"].append(b["real_time"] * scale)
        r["p50"].append(b["p50_ns"])
    if not runs:
        print(f"wait_slope: no wait/*/{args.kind}/*/active:1 rows in {args.json}", file=sys.stderr)
        return 2

    context = data.get("context", {})
    expected = {b: EXPECTED_OF_COST.get(pr.capability(context, b, "wait_cost")) for b in pr.backend_order(context)}
    ok = True
    for backend in pr.sort_backends({b for b, _ in runs}, context):
        ns = sorted(n for b, n in runs if b == backend)
        fit = [n for n in ns if n >= 100]
        if len(fit) < 2:
            print(f"{backend:9s} too few points with N >= 100 ({fit})")
            ok = False
            continue
        slopes = {}
        for figure in ("time", "p50"):
            slopes[figure] = slope([(n, statistics.median(runs[(backend, n)][figure])) for n in fit])
        want = expected.get(backend)
        passed = {
            f: (s >= 0.8 if want == "linear" else s <= 0.2 if want == "flat" else True) for f, s in slopes.items()
        }
        verdict = "ok" if all(passed.values()) else "MISSED"
        ok &= all(passed.values())
        last = runs[(backend, fit[-1])]["p50"]
        wanted = {"linear": "want >= 0.8", "flat": "want <= 0.2"}.get(want, "not judged")
        print(f"{backend:9s} N={fit[0]}..{fit[-1]} slope(time)={slopes['time']:.3f} slope(p50)={slopes['p50']:.3f} "
              f"{wanted}: {verdict}; p50 at N={fit[-1]}: {statistics.median(last):,.0f} ns "
              f"[{min(last):,.0f}-{max(last):,.0f}] over {len(last)} samples")

    if args.table:
        print(f"\nper-wait medians, wait/<backend>/{args.kind}/mode:block/pos:spread/fds:N/active:1 (ns; time = GB mean "
              "per sample, median of samples / p50 = median wait, median of samples; samples = processes or repetitions)")
        targets = [1, 100, 1000, 10000]
        print("| backend | " + " | ".join(f"N={n}" for n in targets) + " |")
        print("|---|" + "---|" * len(targets))
        for backend in pr.sort_backends({b for b, _ in runs}, context):
            cells = []
            for n in targets:
                r = runs.get((backend, n))
                cells.append("-" if r is None else
                             f"{statistics.median(r['time']):,.0f} / {statistics.median(r['p50']):,.0f}")
            if any(c != "-" for c in cells):
                print(f"| {backend} | " + " | ".join(cells) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
