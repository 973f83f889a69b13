#!/usr/bin/env python3
"""Smoke test of wait_bench: runs it with tiny N and minimal time, then checks its JSON.

Checks the names of all four families (exactly
wait/<backend>/<fdkind>/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:A,
ctl/<backend>/<op>/fds:N, wakeup/<backend>/fds:N,
raw/<mechanism>/socketpair/mode:<block|nonblock>/pos:<first|middle|last|spread>/fds:N/active:1),
the mode and position sweeps, the labels that repeat mode and position, the counters of every
row, the repetition aggregates, the BigO rows and the run context.
No timing is checked: only that every figure is there and consistent.

usage: wait_smoke_test.py WAIT_BENCH OUT_DIR
"""
import json
import os
import re
import sys

import pbtest
from pbtest import expect

KINDS = ["pipe", "socketpair", "tcp"]
COUNTERS = ["p50_ns", "p99_ns", "p999_ns", "max_ns", "events"]
CONTEXT = ["kernel", "cpu_model", "mitigations", "fd_limit", "compiler", "flags", "build_type", "git_commit",
           "pinned_cpu", "clock_read_ns", "calibration", "backend_capabilities"]
PATTERNS = {
    "wait": re.compile(r"^wait/(?P<backend>[a-z_]+)/(?P<kind>[a-z]+)/mode:(?P<mode>block|nonblock)"
                       r"/pos:(?P<pos>first|middle|last|spread)/fds:(?P<n>\d+)/active:(?P<a>\d+)$"),
    "ctl": re.compile(r"^ctl/(?P<backend>[a-z_]+)/(?P<op>add|modify|remove)/fds:(?P<n>\d+)$"),
    "wakeup": re.compile(r"^wakeup/(?P<backend>[a-z_]+)/fds:(?P<n>\d+)$"),
    "raw": re.compile(r"^raw/(?P<mechanism>[a-z_]+)/socketpair/mode:(?P<mode>block|nonblock)"
                      r"/pos:(?P<pos>first|middle|last|spread)/fds:(?P<n>\d+)/active:1$"),
}
REPETITIONS = 2

def main(binary, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "wait_smoke.json")

    # Usage errors exit 2 and name the problem.
    bad = pbtest.run([binary, "--max-fds=0"])
    expect(bad.returncode == 2 and "--max-fds" in bad.stderr, f"--max-fds=0: exit {bad.returncode}, {bad.stderr!r}")
    bad = pbtest.run([binary, "--backends=nosuch"])
    expect(bad.returncode == 2 and "nosuch" in bad.stderr, f"--backends=nosuch: exit {bad.returncode}")
    bad = pbtest.run([binary, "--backends="])
    expect(bad.returncode == 2 and "--backends" in bad.stderr, f"--backends= (empty): exit {bad.returncode}")
    bad = pbtest.run([binary, "--benchmark_filter=["])
    expect(bad.returncode == 2 and "--benchmark_filter" in bad.stderr, f"--benchmark_filter=[: exit {bad.returncode}")

    # 1 ms of timed waits per run: an io_uring wait takes 30 ns next to ~3 us of untimed writes
    # and reads, so a 10 ms minimum would run 300,000 iterations (a second) per run.
    cmd = [binary, "--quick", "--max-fds=4", "--fdkinds=pipe,socketpair,tcp", "--benchmark_min_time=0.001",
           f"--benchmark_repetitions={REPETITIONS}", f"--benchmark_out={out}", "--benchmark_out_format=json"]
    run = pbtest.run(cmd)
    if run.returncode != 0:
        print(f"wait_bench failed ({run.returncode}): {' '.join(cmd)}\n{run.stderr[-3000:]}", file=sys.stderr)
        return 1
    with open(out) as f:
        data = json.load(f)

    context = data.get("context", {})
    for key in CONTEXT:
        expect(str(context.get(key, "")).strip() != "", f"context lacks {key}")
    # The backends and their raw baselines, as the binary declares them (backends_list --json).
    capabilities = json.loads(context.get("backend_capabilities", "[]"))
    available = [c["name"] for c in capabilities if c["available"]]
    raw_of = {c["name"]: c["raw"] for c in capabilities}

    rows = data.get("benchmarks", [])
    iterations = [r for r in rows if r.get("run_type") == "iteration"]
    aggregates = [r for r in rows if r.get("run_type") == "aggregate"]
    expect(iterations, "no iteration rows")

    seen = {family: set() for family in PATTERNS}
    backends = set()
    for r in iterations:
        name = r["name"]
        family = name.split("/", 1)[0]
        m = PATTERNS.get(family, re.compile("$^")).match(name)
        expect(m is not None, f"unexpected name {name!r}")
        expect(not r.get("error_occurred"), f"{name}: error {r.get('error_message')}")
        if m is None:
            continue
        seen[family].add(name)
        if "mode" in m.groupdict():
            want_label = f"mode={m['mode']} pos={m['pos']}"
            expect(r.get("label") == want_label, f"{name}: label {r.get('label')!r}, expected {want_label!r}")
        if "backend" in m.groupdict():
            expect(m["backend"] in raw_of, f"{name}: unknown backend")
            backends.add(m["backend"])
        for c in COUNTERS:
            expect(isinstance(r.get(c), (int, float)), f"{name}: counter {c} missing")
        if all(isinstance(r.get(c), (int, float)) for c in COUNTERS):
            expect(0 < r["p50_ns"] <= r["p99_ns"] <= r["p999_ns"] <= r["max_ns"],
                  f"{name}: percentiles out of order {[r[c] for c in COUNTERS]}")
            want_events = int(m["a"]) if family == "wait" else 0 if family == "ctl" else 1
            expect(r["events"] == want_events, f"{name}: events {r['events']}, expected {want_events}")
        expect(r.get("time_unit") == "ns" and r.get("real_time", 0) > 0, f"{name}: no manual time in ns")

    # Every backend in every family; every fd kind in wait; every op in ctl; the raw baselines.
    expect(available and set(available) == backends, f"backends seen: {sorted(backends)}, available: {available}")
    for b in backends:
        for kind in KINDS:
            for point in ("fds:1/active:1", "fds:4/active:1", "fds:4/active:4"):
                name = f"wait/{b}/{kind}/mode:block/pos:spread/{point}"
                expect(name in seen["wait"], f"missing {name}")
        # The position sweep (socketpair, one ready fd, both modes) and the crossover's extra A.
        for mode in ("block", "nonblock"):
            for pos in ("first", "middle", "last"):
                name = f"wait/{b}/socketpair/mode:{mode}/pos:{pos}/fds:4/active:1"
                expect(name in seen["wait"], f"missing {name}")
                name = f"raw/{raw_of[b]}/socketpair/mode:{mode}/pos:{pos}/fds:4/active:1"
                expect(name in seen["raw"], f"missing {name}")
        for a in (2, 3):
            name = f"wait/{b}/socketpair/mode:block/pos:spread/fds:4/active:{a}"
            expect(name in seen["wait"], f"missing crossover point {name}")
        for op in ("add", "modify", "remove"):
            expect(f"ctl/{b}/{op}/fds:1" in seen["ctl"], f"missing ctl/{b}/{op}/fds:1")
        expect(f"wakeup/{b}/fds:1" in seen["wakeup"], f"missing wakeup/{b}/fds:1")
        expect(f"raw/{raw_of[b]}/socketpair/mode:block/pos:spread/fds:1/active:1" in seen["raw"],
              f"missing raw baseline of {b}")
    # The other fd kinds run the default combination only (dup, the per-fd control, its own
    # positions: tests/wait_dup_test.py).
    for name in seen["wait"]:
        if "/socketpair/" not in name and "/dup/" not in name:
            expect("/mode:block/pos:spread/" in name, f"{name}: only socketpair sweeps mode and position")

    # Each name ran REPETITIONS times and has mean, median, stddev and cv aggregates.
    for family, names in seen.items():
        for name in names:
            reps = [r for r in iterations if r["name"] == name]
            expect(len(reps) == REPETITIONS, f"{name}: {len(reps)} repetitions, expected {REPETITIONS}")
            kinds = {r.get("aggregate_name") for r in aggregates if r.get("run_name") == name}
            expect({"mean", "median", "stddev", "cv"} <= kinds, f"{name}: aggregates {sorted(kinds)}")

    # Complexity: a BigO and an RMS row per wait family.
    big_o = {r["name"] for r in aggregates if r["name"].endswith("_BigO")}
    for b in backends:
        expect(f"wait/{b}/socketpair/mode:block/pos:spread_BigO" in big_o,
              f"missing wait/{b}/socketpair/mode:block/pos:spread_BigO")

    if not pbtest.failures():
        print(f"ok: {len(iterations)} runs, {sum(len(v) for v in seen.values())} names, backends {sorted(backends)}")


if __name__ == "__main__":
    pbtest.main(main, *pbtest.usage_args(__doc__, 2))
