#!/usr/bin/env python3
"""Writes a run's report.md: a first page a reader can cite in two minutes (the headline with its
intervals, the machine, the key ratios, the figures that carry the story), then numbered
sections, each with its figures beside its text, and the command that reproduces the run.

    scripts/pollbench_report.py results/RUN        # reads RUN/wait.json, RUN/tcp.json (herd.json,
                                                   # watched.json if there), writes RUN/report.md

Every figure in the report is computed from the JSON; nothing is typed in. A missing tcp.json or
wait.json is reported as missing and the rest still renders; an empty, truncated or foreign file
is an error (exit 1). Plots are embedded when their PNG exists beside the report (draw them first
with pollbench_plot.py).

Each section is a function ReportInput -> markdown in a module of its kind (pollbench_report_*.py);
SECTIONS below lists them in reading order with the figures each shows. A new section is one
function and one line there.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_report_layers as layers  # noqa: E402
import pollbench_report_meta as meta  # noqa: E402
import pollbench_report_servers as servers  # noqa: E402
import pollbench_report_summary as summary  # noqa: E402
import pollbench_report_surprises as surprises  # noqa: E402
import pollbench_report_wait as wait  # noqa: E402
import pollbench_results as pr  # noqa: E402
from pollbench_report_base import ReportInput, Section  # noqa: E402

# The numbered sections, in reading order: (title, body, figures shown beside the text).
SECTIONS = [
    Section("Time per wait against the number of watched fds", wait.time_per_wait,
            ("wait_vs_fds_active1", "wait_vs_fds_active*")),
    Section("Scaling: fitted slopes", wait.slope_table),
    Section("The knee, measured: distinct sockets against the dup control", wait.knee_section, ("per_fd",)),
    Section("Where the ready fd sits", wait.position_section, ("position",)),
    Section("Ready fds at a fixed N", wait.ready_table, ("wait_vs_ready",)),
    Section("Crossover: where epoll becomes slower than poll", wait.crossover_section),
    Section("The readiness cycle: writer and waiter", wait.cycle_section, ("readiness_cycle",)),
    Section("Level- against edge-triggered", wait.lt_vs_et, ("epoll_lt_vs_et",)),
    Section("Poller layer against the bare syscall", layers.raw_table, ("raw_baseline",)),
    Section("Registration cost", layers.ctl_table, ("ctl_cost",)),
    Section("Wakeup latency", layers.wakeup_table, ("wakeup",)),
    Section("TCP server", servers.tcp_table, ("tcp", "tcp_latency")),
    Section("Threads sharing one listening socket: the thundering herd", servers.herd_section, ("herd",)),
    Section("Past the fd limit: watched sockets", servers.watched_section, ("watched",)),
    Section("What is surprising here, and why", surprises.surprises),
    Section("Spread across processes", meta.spread_section),
    Section("Status", meta.status),
    Section("Machine", meta.machine),
    Section("How to read this", meta.how_to_read),
    Section("Reproduce", meta.reproduce),
]


def render(inp: ReportInput, sections: list[Section] = SECTIONS) -> str:
    c = inp.context
    parts = [f"# pollbench results: {c.get('host_name', '?')}, {str(c.get('date', '?'))[:10]}",
             meta.quick_banner(inp), meta.incomplete_banner(inp), summary.first_page(inp)]
    rendered = []
    for section in sections:
        text = section.render(inp, len(rendered) + 1)
        if text:
            rendered.append((section.title, text))
    if rendered:
        parts.append("Sections: " + " · ".join(f"{i}. {title}" for i, (title, _) in enumerate(rendered, 1)))
    if not inp.pngs("*"):
        parts.append("_No plots found beside the report: run scripts/pollbench_plot.py first._")
    parts += [text for _, text in rendered]
    return "\n\n".join(p for p in parts if p) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Write report.md for a pollbench run from its wait.json and tcp.json "
                    "(Google Benchmark JSON), embedding the plots pollbench_plot.py drew.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="directory holding wait.json and/or tcp.json")
    parser.add_argument("--out", metavar="FILE", help="where to write the report (default: RUN_DIR/report.md)")
    parser.add_argument("--plots", metavar="DIR", help="where the PNG plots are (default: RUN_DIR)")
    parser.add_argument("--fd-kind", metavar="KIND",
                        help="fd kind of the per-wait tables (default: the one measured most)")
    parser.add_argument("--fit-min-fds", type=int, default=100, metavar="N",
                        help="fit the log-log slope over points with N >= this (default: 100)")
    parser.add_argument("--knee-fds", type=int, metavar="N",
                        help="split the slope fit after this N (the last below the knee); default: the split "
                             "where select's and poll's lines fit best as two straight segments")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        parser.error(f"RUN_DIR '{run_dir}' is not a directory")
    pr.require_modules("numpy")
    try:
        wait_run = pr.load_optional(run_dir / "wait.json")
        tcp_run = pr.load_optional(run_dir / "tcp.json")
        if wait_run is None and tcp_run is None:
            raise pr.ResultsError(f"{run_dir}: holds neither wait.json nor tcp.json; run scripts/bench.sh first")
        if args.fd_kind and (wait_run is None or args.fd_kind not in wait_run.values("wait", 1)):
            raise pr.ResultsError(f"{run_dir}: no per-wait results for fd kind '{args.fd_kind}'")
        out = Path(args.out) if args.out else run_dir / "report.md"
        inp = ReportInput(run_dir, wait_run, tcp_run, args.fd_kind, args.fit_min_fds, args.knee_fds,
                          Path(args.plots) if args.plots else run_dir, out.parent)
        text = render(inp)
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
