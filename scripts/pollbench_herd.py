#!/usr/bin/env python3
"""The thundering-herd tables (and plot) from herd_bench's Google Benchmark JSON (docs/herd.md).

    scripts/pollbench_herd.py results/RUN        # reads RUN/herd.json, writes RUN/herd.png and .svg,
                                                 # prints the markdown tables to stdout

Importable: main(run_dir) does the same and returns the exit status; load(path) reads the file
through pollbench_results (a Run whose points are herd/<mode>/threads:T/arrival:<steady|burst>),
table(run) gives the markdown. pollbench_plot.Plotter.herd draws. The counters used are
wakeups_per_conn, kernel_wakeups_per_conn, wasted_per_conn, busiest_share, jain_index,
accept_p50_ns, accept_p99_ns, each the median over the run's samples. A file that is missing,
empty or holds no herd result is an error (exit 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pollbench_results as pr  # noqa: E402

ARRIVALS = ("steady", "burst")


def load(path: Path) -> pr.Run:
    """herd.json as a Run; raises pr.ResultsError when it holds no herd result."""
    return pr.load_area(path, "herd")


def modes(run: pr.Run) -> list[str]:
    """The modes in the order herd_bench ran them."""
    return list(dict.fromkeys(p.labels[0] for p in run.points if p.area == "herd" and p.labels))


def threads(run: pr.Run) -> list[int]:
    return run.param_values("herd", "threads")


def arrivals(run: pr.Run) -> list[str]:
    present = set(run.tag_values("herd", "arrival"))
    return [a for a in ARRIVALS if a in present]


def point(run: pr.Run, mode: str, arrival: str, t: int) -> pr.Point | None:
    points = run.select("herd", (mode,), {"arrival": arrival}, threads=t)
    return points[0] if points else None


def _per_thread_table(run: pr.Run, arrival: str) -> list[str]:
    ts = threads(run)
    lines = [f"**{arrival} arrivals**: returns from a wait per connection (times woken in the "
             "kernel per connection) · busiest thread's share of connections\n",
             "| mode | " + " | ".join(f"T={t}" for t in ts) + " |", "|---|" + "---|" * len(ts)]
    for mode in modes(run):
        cells = []
        for t in ts:
            p = point(run, mode, arrival, t)
            cells.append("–" if p is None else
                         f"{p.counter('wakeups_per_conn'):.2f} ({p.counter('kernel_wakeups_per_conn'):.1f}) · "
                         f"{100 * p.counter('busiest_share'):.0f}%")
        lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    return lines + [""]


def _at_threads_table(run: pr.Run, t: int) -> list[str]:
    lines = [f"**T = {t}**\n",
             "| mode | arrival | wakeups/conn | kernel wakeups/conn | wasted/conn | busiest share | "
             "Jain | accept p50 | accept p99 |", "|---|---|---|---|---|---|---|---|---|"]
    for arrival in arrivals(run):
        for mode in modes(run):
            p = point(run, mode, arrival, t)
            if p is None:
                continue
            c = p.counter
            lines.append(f"| {mode} | {arrival} | {c('wakeups_per_conn'):.2f} | {c('kernel_wakeups_per_conn'):.2f} | "
                         f"{c('wasted_per_conn'):.2f} | {100 * c('busiest_share'):.0f}% | {c('jain_index'):.2f} | "
                         f"{pr.format_ns(c('accept_p50_ns'))} | {pr.format_ns(c('accept_p99_ns'))} |")
    return lines + [""]


def table(run: pr.Run) -> str:
    """Markdown: per arrival, each mode's wakeups per connection (kernel wakeups) and busiest
    thread's share at every T, then the same at T = 8 with the other counters."""
    lines = []
    for arrival in arrivals(run):
        lines += _per_thread_table(run, arrival)
    if 8 in threads(run):
        lines += _at_threads_table(run, 8)
    return "\n".join(lines)


def main(run_dir, formats: tuple[str, ...] = ("png", "svg")) -> int:
    run_dir = Path(run_dir)
    source = run_dir / "herd.json"
    if not source.exists():
        print(f"pollbench_herd: cannot read {source}: no such file", file=sys.stderr)
        return 1
    try:
        run = load(source)
    except pr.ResultsError as e:
        print(f"pollbench_herd: no herd results to use: {e}", file=sys.stderr)
        return 1
    import pollbench_plot

    plotter = pollbench_plot.Plotter(run_dir, run.context, list(formats), 100)
    plotter.herd(run)
    print(table(run))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(sys.argv) != 2 else sys.stdout)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.exit(main(sys.argv[1]))
