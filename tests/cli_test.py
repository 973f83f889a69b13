#!/usr/bin/env python3
"""Every program's command line (bench/common/cli.h): --help exits 0 in the shared layout, and a
bad option, a bad value and a missing value exit 2 naming the option (and the limit).

usage: cli_test.py PROGRAM...   (paths of programs of the table below, by their names)
"""
import os
import re
import sys

import pbtest
from pbtest import expect

HELP_COLUMN = 26
# program: (a bad value and the message it must give, an option that takes a value, whether
# Google Benchmark's flags pass through)
PROGRAMS = {
    "wait_bench": (["--max-fds=0"], "--max-fds: 0 is below the minimum 1", "--cpu", True),
    "loadgen": (["--target=127.0.0.1:80", "--pipeline", "0"], "--pipeline: 0 is below the minimum 1", "--active", False),
    "pollserver": (["--port=70000"], "--port: 70000 is above the maximum 65535", "--port", False),
    "tcp_bench": (["--turns=0"], "--turns: 0 is below the minimum 1", "--seconds", True),
    "herd_bench": (["--threads=2,65"], "--threads: 65 is above the maximum 64", "--bursts", True),
    "watched_bench": (["--max-watched=1"], "--max-watched: 1 is below the minimum 2", "--max-watched", True),
    "backends_list": (None, None, None, False),
}
# Google Benchmark's flags, checked by every program that passes them (bench/common/benchmark_flags.h)
# before Google Benchmark sees them.
BENCHMARK_REFUSALS = [
    (["--benchmark_repetitions=-1"], "--benchmark_repetitions: -1 is outside 1 to 1000"),
    (["--benchmark_repetitions=0"], "--benchmark_repetitions: 0 is outside 1 to 1000"),
    (["--benchmark_min_time=-5"], "--benchmark_min_time: -5 is outside the range (above 0, at most 86400)"),
    (["--benchmark_out_format=xml"], "--benchmark_out_format: 'xml' is not json, console or csv"),
    (["--benchmark_format=xml"], "--benchmark_format: 'xml' is not console, json or csv"),
    (["--benchmark_bogus=1"], "unknown Google Benchmark flag '--benchmark_bogus'"),
]
# Their rules, as --help lists them after the options.
BENCHMARK_RULES = ["--benchmark_filter=REGEX", "--benchmark_repetitions=N", "--benchmark_min_time=S",
                   "--benchmark_format=F", "--benchmark_out_format=F"]
# A filter that matches nothing exits 2 naming the nearest family (quick: no program calibrates
# or measures first with these arguments).
FILTER_MISSES = {
    "herd_bench": (["--quick", "--modes=reuseport", "--benchmark_filter=hred/reuse"], "herd/reuseport"),
    "tcp_bench": (["--backends=poll", "--benchmark_filter=tcp/pol/idle:x"], "tcp/poll"),
}
OPTION_LINE = re.compile(r"  (-h, )?--[a-z_*][a-z0-9_*-]*(=[A-Z][A-Z_:]*)?")

def check_help(program, binary, benchmark):
    r = pbtest.run([binary, "--help"], timeout=60)
    expect(r.returncode == 0, f"{program} --help: exit {r.returncode}; {r.stderr}")
    lines = r.stdout.split("\n")
    expect(len(lines) > 4, f"{program} --help: too short: {r.stdout!r}")
    if len(lines) <= 4:
        return
    usage = f"usage: {program} "
    expect(lines[0].startswith(usage) and lines[0].endswith("[options]" + (" [--benchmark_* flags]" if benchmark else "")),
          f"{program} --help: first line {lines[0]!r}")
    expect(lines[1] != "" and not lines[1].startswith(" "), f"{program} --help: no one-line description: {lines[1]!r}")
    expect(lines[2] == "" and lines[3] == "options:", f"{program} --help: no options section: {lines[2:4]!r}")
    options = []
    for line in lines[4:]:
        if line == "":
            break
        expect(len(line) <= 100, f"{program} --help: line wider than 100: {line!r}")
        if line.startswith(" " * HELP_COLUMN):
            expect(line[HELP_COLUMN] != " ", f"{program} --help: continuation not at column {HELP_COLUMN}: {line!r}")
            continue
        m = OPTION_LINE.match(line)
        expect(m is not None, f"{program} --help: not an option line: {line!r}")
        if m is None:
            continue
        options.append(m.group(0).strip())
        if len(m.group(0)) < HELP_COLUMN - 1:  # the help shares the line, at the help column
            expect(line[len(m.group(0)):HELP_COLUMN].strip() == "" and line[HELP_COLUMN] != " ",
                  f"{program} --help: help not at column {HELP_COLUMN}: {line!r}")
    expect("-h, --help" in options, f"{program} --help: no -h, --help line among {options}")
    expect(("--benchmark_*" in options) == benchmark, f"{program} --help: --benchmark_* listed: {'--benchmark_*' in options}")
    rules = r.stdout.split("\nGoogle Benchmark's flags: ")
    expect((len(rules) == 2) == benchmark, f"{program} --help: Google Benchmark's rules listed: {len(rules) == 2}")
    if benchmark and len(rules) == 2:
        for rule in BENCHMARK_RULES:
            expect(f"\n  {rule}" in rules[1], f"{program} --help: no rule for {rule}")


def check_filter_miss(program, binary, args, nearest):
    r = pbtest.run([binary, *args], timeout=60)
    expect(r.returncode == 2, f"{program} {' '.join(args)}: exit {r.returncode}, expected 2; {r.stderr[-500:]}")
    expect(f"{program}: --benchmark_filter: " in r.stderr and f"the nearest family is {nearest} " in r.stderr,
           f"{program} {' '.join(args)}: stderr {r.stderr[-500:]!r}, expected the nearest family {nearest}")


def check_refused(program, binary, args, expected):
    r = pbtest.run([binary, *args], timeout=60)
    expect(r.returncode == 2, f"{program} {' '.join(args)}: exit {r.returncode}, expected 2; {r.stderr}")
    expect(r.stderr.startswith(f"{program}: {expected}"), f"{program} {' '.join(args)}: stderr {r.stderr!r}, expected {expected!r}")
    expect(f"usage: {program} " in r.stderr, f"{program} {' '.join(args)}: no usage line: {r.stderr!r}")
    expect(r.stdout == "", f"{program} {' '.join(args)}: wrote on stdout: {r.stdout[:300]!r}")


def main(*binaries):
    for binary in binaries:
        program = os.path.basename(binary)
        if not expect(program in PROGRAMS, f"{binary}: not one of {sorted(PROGRAMS)}"):
            continue
        if not expect(os.path.exists(binary), f"{binary} is not built"):
            continue
        bad_args, bad_message, valued, benchmark = PROGRAMS[program]
        check_help(program, binary, benchmark)
        check_refused(program, binary, ["--no-such-option"], "unknown option '--no-such-option'")
        check_refused(program, binary, ["--no-such-option=3"], "unknown option '--no-such-option'")
        if bad_args:
            check_refused(program, binary, bad_args, bad_message)
            check_refused(program, binary, [valued], f"{valued}: needs a value")
        if benchmark:
            check_refused(program, binary, ["--benchmark_filter=["], "--benchmark_filter: not a regular expression")
            for args, message in BENCHMARK_REFUSALS:
                check_refused(program, binary, args, message)
        else:
            check_refused(program, binary, ["--benchmark_filter=x"], "unknown option '--benchmark_filter'")
        if program in FILTER_MISSES:
            check_filter_miss(program, binary, *FILTER_MISSES[program])
        if program == "herd_bench":  # an empty item in a list is refused, never skipped
            check_refused(program, binary, ["--threads=1,,2"], "--threads: '1,,2' has an empty item")
        if program == "loadgen":  # its exclusive options
            check_refused("loadgen", binary, ["--target=127.0.0.1:80", "--pipeline=2", "--rate=10"],
                          "--pipeline and --rate exclude each other")
    print(f"cli_test: {len(binaries)} programs, {len(pbtest.failures())} failures")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    pbtest.main(main, *sys.argv[1:])
