#!/usr/bin/env python3
"""Every backend `backends_list --json` lists appears in every benchmark family that covers it.

Adding a backend is one file in backends/ and one line in the factory table (README, layout);
this test is what proves nothing else needs a list of names. From `--benchmark_list_tests=true`
(nothing is measured), for every available backend B:
  wait_bench     wait/B/, ctl/B/, wakeup/B/, and raw/<B's raw family>/
  tcp_bench      tcp/B/
  watched_bench  wait_watched/B/ and ctl_watched/B/ exactly for the backends whose interest set
                 the kernel keeps (they watch files, not fd numbers; the others cannot pass the
                 fd limit), and none for the rest
  herd_bench     is by accept mode, not by backend: every mode its --help lists is listed
A backend this machine cannot run is listed by backends_list as unavailable and skipped here.

usage: backend_families_test.py BIN_DIR
"""
import json
import os
import re
import subprocess
import sys

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def listed(binary, *args):
    r = subprocess.run([binary, *args, "--benchmark_list_tests=true"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0,
          f"{os.path.basename(binary)} --benchmark_list_tests: exit {r.returncode}: {r.stderr[-1000:]}")
    return r.stdout.split()


def has(names, prefix):
    return any(n.startswith(prefix) for n in names)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bin_dir = sys.argv[1]
    tool = lambda name: os.path.join(bin_dir, name)  # noqa: E731

    r = subprocess.run([tool("backends_list"), "--json"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"backends_list --json: exit {r.returncode}")
    capabilities = json.loads(r.stdout or "[]")
    fields = {"name", "available", "reason", "setup", "trigger", "wait_cost", "interest", "reports_hangup",
              "max_fd", "raw"}
    for c in capabilities:
        check(set(c) == fields, f"{c.get('name')}: fields {sorted(c)}")
        check(c["trigger"] in ("level", "edge") and c["wait_cost"] in ("O(watched)", "O(ready)")
              and c["interest"] in ("user_array", "kernel") and c["raw"], f"{c.get('name')}: {c}")
    # The plain listing names the same backends, in the same order (scripts/bench.sh reads it).
    plain = subprocess.run([tool("backends_list")], capture_output=True, text=True, timeout=60).stdout
    check(re.findall(r"^([A-Za-z0-9_]+): (?:un)?available", plain, re.M) == [c["name"] for c in capabilities],
          f"plain listing differs from --json: {plain!r}")
    bad = subprocess.run([tool("backends_list"), "--jsn"], capture_output=True, text=True, timeout=60)
    check(bad.returncode == 2 and "--jsn" in bad.stderr, f"backends_list --jsn: exit {bad.returncode}, {bad.stderr!r}")

    available = [c for c in capabilities if c["available"]]
    check(len(available) >= 4, f"available backends: {[c['name'] for c in available]}")
    wait = listed(tool("wait_bench"))
    tcp = listed(tool("tcp_bench"))
    # A small --max-watched keeps its memory check (it builds that many sockets) short.
    watched = listed(tool("watched_bench"), "--max-watched=2000")
    for c in available:
        b = c["name"]
        for family in ("wait", "ctl", "wakeup"):
            check(has(wait, f"{family}/{b}/"), f"wait_bench: no {family}/{b}/")
        check(has(wait, f"raw/{c['raw']}/"), f"wait_bench: no raw/{c['raw']}/ (the baseline of {b})")
        check(has(tcp, f"tcp/{b}/"), f"tcp_bench: no tcp/{b}/")
        watches_files = c["interest"] == "kernel"
        for family in ("wait_watched", "ctl_watched"):
            check(has(watched, f"{family}/{b}/") == watches_files, f"watched_bench: {family}/{b}/ "
                  f"{'missing' if watches_files else 'present'} (interest {c['interest']})")
    known = {c["name"] for c in capabilities}
    raws = {c["raw"] for c in capabilities}
    for n in wait:
        family, backend = n.split("/")[:2]
        check(backend in (raws if family == "raw" else known), f"wait_bench: {n} names no listed backend")

    help_text = subprocess.run([tool("herd_bench"), "--help"], capture_output=True, text=True, timeout=60).stdout
    modes = re.findall(r"^  ([a-z_]+) {2,}", help_text.split("connections. Every")[0], re.M)
    herd = listed(tool("herd_bench"), "--quick")
    check(len(modes) >= 5, f"herd_bench --help lists modes {modes}")
    for mode in modes:
        check(has(herd, f"herd/{mode}/"), f"herd_bench: no herd/{mode}/")

    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"ok: {len(available)} backends in wait, ctl, wakeup, raw, tcp and (by interest set) watched; "
          f"{len(modes)} herd modes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
