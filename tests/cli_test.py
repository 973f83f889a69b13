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
OPTION_LINE = re.compile(r"  (-h, )?--[a-z_*][a-z0-9_*-]*(=[A-Z][A-Z:]*)?")

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
        else:
            check_refused(program, binary, ["--benchmark_filter=x"], "unknown option '--benchmark_filter'")
        if program == "loadgen":  # its exclusive options
            check_refused("loadgen", binary, ["--target=127.0.0.1:80", "--pipeline=2", "--rate=10"],
                          "--pipeline and --rate exclude each other")
    print(f"cli_test: {len(binaries)} programs, {len(pbtest.failures())} failures")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    pbtest.main(main, *sys.argv[1:])
