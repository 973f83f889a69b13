#!/usr/bin/env python3
"""Past the fd limit: the tables (and plot) from watched_bench's Google Benchmark JSON (docs/watched.md).

    scripts/pollbench_watched.py results/RUN     # reads RUN/watched.json (and RUN/wait.json, if there,
                                                 # for select and poll up to the fd limit), writes
                                                 # RUN/watched.png and .svg, prints the markdown tables

Importable: main(run_dir) does the same and returns the exit status; load(path) reads the file
through pollbench_results (a Run of wait_watched/<backend>/socketpair/watched:N/active:1 and
ctl_watched/<backend>/<add|remove>/watched:N points), tables(run) gives the markdown;
pollbench_plot.Plotter.watched draws. N counts watched files, which helper processes hold open,
not fds in the benchmarking process's table. Every figure is the median over the run's
repetitions of each repetition's p50 (the typical call: the mean carries preemptions).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pollbench_results as pr  # noqa: E402

fmt = pr.format_ns


def load(path: Path) -> pr.Run:
    """watched.json as a Run; raises pr.ResultsError when it holds no watched result."""
    return pr.load_area(path, "wait_watched", "ctl_watched")


def wait_points(run: pr.Run, backend: str) -> list[pr.Point]:
    """One backend's waits with 1 ready, by N watched."""
    return sorted((p for p in run.select("wait_watched", (backend,)) if p.params.get("active", 1) == 1),
                  key=lambda p: p.params["watched"])


def _grid(run: pr.Run, area: str, what: str | None, heading: str, ns: list[int]) -> list[str]:
    lines = ["", f"| {heading} | " + " | ".join(f"{n:,}" for n in ns) + " |", "|" + "---|" * (len(ns) + 1)]
    for b in run.values(area, 0):
        cells = []
        for n in ns:
            points = run.select(area, (b, what), watched=n)
            cells.append(fmt(points[0].per_call_ns) if points else "")
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    return lines


def _setup_table(run: pr.Run) -> list[str]:
    ctx = run.context
    rows = []
    for b in run.values("wait_watched", 0):
        per = ctx.get(f"setup_ns_per_watched/{b}")
        mem = ctx.get(f"kernel_bytes_per_watched/{b}")
        how = str(ctx.get(f"setup/{b}", "")).replace("|", "\\|")
        rows.append(f"| {b} | {how} | {fmt(float(per)) if per else '?'} | "
                    + (f"{float(mem) / 1024:.1f} KiB |" if mem else "? |"))
    return ["", "| backend | set-up | wall time to add one watched socket (create, register, hand to a holder) "
            "| kernel memory per watched socketpair |", "|---|---|---|---|"] + rows


def tables(run: pr.Run) -> str:
    ctx = run.context
    ns = run.param_values("wait_watched", "watched")
    out = [f"N counts watched sockets; the process's own fd limit is {ctx.get('fd_limit', '?')}, so every N above "
           "it is held open by helper processes (`holders` in the JSON) and only the active pair sits in the "
           "benchmarking process's table. " + str(ctx.get("select_poll_limit", "")) + "."]
    out += _grid(run, "wait_watched", None, "wait p50, 1 ready", ns)
    for op in run.values("ctl_watched", 1):
        out += _grid(run, "ctl_watched", op, f"ctl {op} p50", run.param_values("ctl_watched", "watched"))
    return "\n".join(out + _setup_table(run))


def main(run_dir, formats: tuple[str, ...] = ("png", "svg")) -> int:
    run_dir = Path(run_dir)
    try:
        run = load(run_dir / "watched.json")
        wait = pr.load_optional(run_dir / "wait.json")
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    import pollbench_plot

    plotter = pollbench_plot.Plotter(run_dir, run.context, list(formats), 100)
    plotter.watched(run, wait)
    print(tables(run))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.exit(main(sys.argv[1]))
