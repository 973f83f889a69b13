#!/usr/bin/env python3
"""A backend defined in one test source (tests/test_backend.cmake) is in every program built with it.

In DIR (backends_list, wait_bench, watched_bench and tcp_bench built with the test backend NAME):
  backends_list     lists NAME, available, with every capability field, in --json and plain
  wait_bench        lists wait/NAME/, ctl/NAME/, wakeup/NAME/ and raw/<NAME's raw family>/, and a
                    tiny real run (--max-fds=20, one repetition) of exactly those families
                    reports every one of them without an error
  watched_bench     lists wait_watched/NAME/ and ctl_watched/NAME/ exactly when NAME's interest
                    set is the kernel's
  tcp_bench         lists tcp/NAME/
Nothing is timed against a threshold.

usage: test_backend_test.py DIR NAME
"""
import json
import os
import subprocess
import sys
import tempfile

import pbtest
from pbtest import check, expect


def run(binary, *args, timeout=90):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def listed(binary, *args):
    r = run(binary, *args, "--benchmark_list_tests=true")
    expect(r.returncode == 0, f"{os.path.basename(binary)} {' '.join(args)} --benchmark_list_tests: exit {r.returncode}: "
          f"{r.stderr[-800:]}")
    return r.stdout.split()


def has(names, prefix):
    return any(n.startswith(prefix) for n in names)


def check_wait_run(wait_bench, name, families):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "wait.json")
        r = run(wait_bench, f"--backends={name}", "--quick", "--max-fds=20", "--benchmark_repetitions=1",
                "--benchmark_min_time=0.001", f"--benchmark_out={out}", "--benchmark_out_format=json")
        expect(r.returncode == 0, f"wait_bench run: exit {r.returncode}: {r.stderr[-800:]}")
        if r.returncode != 0:
            return
        with open(out) as f:
            results = json.load(f)["benchmarks"]
    errors = [b["name"] + ": " + b.get("error_message", "") for b in results if b.get("error_occurred")]
    expect(not errors, f"wait_bench run: errors {errors[:3]}")
    for family in families:
        expect(any(b["name"].startswith(family) for b in results), f"wait_bench run: no result for {family}")
    # A family's complexity fit is named <family>_BigO / _RMS.
    others = sorted({b["name"] for b in results
                     if not any(b["name"].startswith(f) or b["name"].startswith(f[:-1] + "_") for f in families)})
    expect(not others, f"wait_bench run: results of other backends: {others[:5]}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bin_dir, name = sys.argv[1:]
    tool = lambda program: os.path.join(bin_dir, program)  # noqa: E731

    r = run(tool("backends_list"), "--json")
    expect(r.returncode == 0, f"backends_list --json: exit {r.returncode}")
    entries = [c for c in json.loads(r.stdout or "[]") if c["name"] == name]
    check(len(entries) == 1, f"backends_list --json lists {name} {len(entries)} times")
    entry = entries[0]
    expect(entry["available"] and entry["raw"], f"backends_list --json: {entry}")
    expect(f"{name}: available" in run(tool("backends_list")).stdout, f"backends_list: no '{name}: available'")

    wait = listed(tool("wait_bench"), f"--backends={name}")
    families = [f"{family}/{name}/" for family in ("wait", "ctl", "wakeup")] + [f"raw/{entry['raw']}/"]
    for family in families:
        expect(has(wait, family), f"wait_bench: no {family}")
    watched = listed(tool("watched_bench"), "--max-watched=2000")
    for family in ("wait_watched", "ctl_watched"):
        expect(has(watched, f"{family}/{name}/") == (entry["interest"] == "kernel"),
              f"watched_bench: {family}/{name}/ listed: {has(watched, f'{family}/{name}/')}, interest {entry['interest']}")
    expect(has(listed(tool("tcp_bench"), f"--backends={name}"), f"tcp/{name}/"), f"tcp_bench: no tcp/{name}/")
    check_wait_run(tool("wait_bench"), name, families)

    if pbtest.failures():
        return 1
    print(f"ok: {name} in backends_list, {', '.join(families)}, tcp/{name}/ and (interest {entry['interest']}) "
          f"{'' if entry['interest'] == 'kernel' else 'not '}in watched_bench")
    return 0


if __name__ == "__main__":
    pbtest.main(main)
