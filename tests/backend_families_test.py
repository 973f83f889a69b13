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
import os
import re

import pbtest
from pbtest import expect


def listed(binary, *args):
    r = pbtest.run([binary, *args, "--benchmark_list_tests=true"])
    expect(r.returncode == 0,
          f"{os.path.basename(binary)} --benchmark_list_tests: exit {r.returncode}: {r.stderr[-1000:]}")
    return r.stdout.split()


def has(names, prefix):
    return any(n.startswith(prefix) for n in names)


def main(bin_dir):
    tool = lambda name: os.path.join(bin_dir, name)  # noqa: E731

    capabilities = pbtest.backends(bin_dir)
    fields = {"name", "available", "reason", "setup", "trigger", "wait_cost", "interest", "reports_hangup",
              "max_fd", "raw"}
    for c in capabilities:
        expect(set(c) == fields, f"{c.get('name')}: fields {sorted(c)}")
        expect(c["trigger"] in ("level", "edge") and c["wait_cost"] in ("O(watched)", "O(ready)")
              and c["interest"] in ("user_array", "kernel") and c["raw"], f"{c.get('name')}: {c}")
    # The plain listing names the same backends, in the same order (scripts/bench.sh reads it).
    plain = pbtest.run([tool("backends_list")]).stdout
    expect(re.findall(r"^([A-Za-z0-9_]+): (?:un)?available", plain, re.M) == [c["name"] for c in capabilities],
          f"plain listing differs from --json: {plain!r}")
    bad = pbtest.run([tool("backends_list"), "--jsn"])
    expect(bad.returncode == 2 and "--jsn" in bad.stderr, f"backends_list --jsn: exit {bad.returncode}, {bad.stderr!r}")

    available = [c for c in capabilities if c["available"]]
    expect(len(available) >= 4, f"available backends: {[c['name'] for c in available]}")
    wait = listed(tool("wait_bench"))
    tcp = listed(tool("tcp_bench"))
    # A small --max-watched keeps its memory check (it builds that many sockets) short.
    watched = listed(tool("watched_bench"), "--max-watched=2000")
    for c in available:
        b = c["name"]
        for family in ("wait", "ctl", "wakeup"):
            expect(has(wait, f"{family}/{b}/"), f"wait_bench: no {family}/{b}/")
        expect(has(wait, f"raw/{c['raw']}/"), f"wait_bench: no raw/{c['raw']}/ (the baseline of {b})")
        expect(has(tcp, f"tcp/{b}/"), f"tcp_bench: no tcp/{b}/")
        watches_files = c["interest"] == "kernel"
        for family in ("wait_watched", "ctl_watched"):
            expect(has(watched, f"{family}/{b}/") == watches_files, f"watched_bench: {family}/{b}/ "
                  f"{'missing' if watches_files else 'present'} (interest {c['interest']})")
    known = {c["name"] for c in capabilities}
    raws = {c["raw"] for c in capabilities}
    for n in wait:
        family, backend = n.split("/")[:2]
        expect(backend in (raws if family == "raw" else known), f"wait_bench: {n} names no listed backend")

    help_text = pbtest.run([tool("herd_bench"), "--help"]).stdout
    modes = re.findall(r"^  ([a-z_]+) {2,}", help_text.split("connections. Every")[0], re.M)
    herd = listed(tool("herd_bench"), "--quick")
    expect(len(modes) >= 5, f"herd_bench --help lists modes {modes}")
    for mode in modes:
        expect(has(herd, f"herd/{mode}/"), f"herd_bench: no herd/{mode}/")

    if not pbtest.failures():
        print(f"ok: {len(available)} backends in wait, ctl, wakeup, raw, tcp and (by interest set) watched; "
              f"{len(modes)} herd modes")


if __name__ == "__main__":
    pbtest.main(main, *pbtest.usage_args(__doc__, 1))
