#!/usr/bin/env python3
"""Past the fd limit: the plot and tables from watched_bench's Google Benchmark JSON (docs/watched.md).

    scripts/pollbench_watched.py results/RUN     # reads RUN/watched.json (and RUN/wait.json, if there,
                                                 # for select and poll up to the fd limit), writes
                                                 # RUN/watched.png, prints the markdown tables

Importable: main(run_dir) does the same and returns the exit status; tables(data) gives the markdown
and plot(data, wait_rows, path) draws. Benchmarks are named wait_watched/<backend>/socketpair/
watched:N/active:1 and ctl_watched/<backend>/<add|remove>/watched:N; N counts watched files, which
helper processes hold open, not fds in the benchmarking process's table. Every figure is the median
over the run's repetitions of each repetition's p50 (the typical call: the mean carries preemptions).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pollbench_results as pr  # noqa: E402

NAME = re.compile(r"(?P<family>wait_watched|ctl_watched)/(?P<backend>[a-z_]+)/(?P<what>[a-z]+)/"
                  r"(?:active:\d+/)?watched:(?P<n>\d+)(?:/active:\d+)?$")
WAIT_NAME = re.compile(r"wait/(?P<backend>[a-z_]+)/socketpair/mode:block/pos:spread/fds:(?P<n>\d+)/active:1$")


def load(path: Path) -> dict:
    with open(path) as f:
        data = json.load(f)
    if not any(NAME.match(str(b.get("run_name", ""))) for b in data.get("benchmarks", [])):
        raise ValueError(f"{path}: holds no wait_watched or ctl_watched result")
    return data


def medians(benchmarks: list[dict], pattern: re.Pattern, counter: str = "p50_ns") -> dict:
    """{(family, backend, what, n): median of `counter` over the iteration rows}."""
    samples: dict = {}
    for b in benchmarks:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        m = pattern.match(str(b.get("run_name", "")))
        if not m or not isinstance(b.get(counter), (int, float)):
            continue
        g = m.groupdict()
        key = (g.get("family", "wait"), g["backend"], g.get("what", "socketpair"), int(g["n"]))
        samples.setdefault(key, []).append(float(b[counter]))
    return {k: statistics.median(v) for k, v in samples.items()}


def fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def tables(data: dict) -> str:
    rows = data["benchmarks"]
    ctx = data.get("context", {})
    wait = medians(rows, NAME)
    backends = sorted({k[1] for k in wait})
    ns = sorted({k[3] for k in wait})
    out = []
    limit = ctx.get("fd_limit", "?")
    out.append(f"N counts watched sockets; the process's own fd limit is {limit}, so every N above it is held "
               "open by helper processes (`holders` in the JSON) and only the active pair sits in the "
               "benchmarking process's table. " + str(ctx.get("select_poll_limit", "")) + ".")
    head = "| wait p50, 1 ready | " + " | ".join(f"{n:,}" for n in ns) + " |"
    out += ["", head, "|" + "---|" * (len(ns) + 1)]
    for b in backends:
        cells = [fmt_ns(wait[k]) if (k := ("wait_watched", b, "socketpair", n)) in wait else "" for n in ns]
        out.append(f"| {b} | " + " | ".join(cells) + " |")
    for op in ("add", "remove"):
        if not any(k[0] == "ctl_watched" and k[2] == op for k in wait):
            continue
        out += ["", f"| ctl {op} p50 | " + " | ".join(f"{n:,}" for n in ns) + " |", "|" + "---|" * (len(ns) + 1)]
        for b in backends:
            cells = [fmt_ns(wait[k]) if (k := ("ctl_watched", b, op, n)) in wait else "" for n in ns]
            out.append(f"| {b} | " + " | ".join(cells) + " |")
    setup = []
    for b in backends:
        per = ctx.get(f"setup_ns_per_watched/{b}")
        mem = ctx.get(f"kernel_bytes_per_watched/{b}")
        how = str(ctx.get(f"setup/{b}", "")).replace("|", "\\|")
        setup.append(f"| {b} | {how} | {fmt_ns(float(per)) if per else '?'} | "
                     f"{float(mem) / 1024:.1f} KiB |" if mem else f"| {b} | {how} | ? | ? |")
    out += ["", "| backend | set-up | wall time to add one watched socket (create, register, hand to a holder) "
            "| kernel memory per watched socketpair |", "|---|---|---|---|"] + setup
    return "\n".join(out)


def plot(data: dict, wait_rows: list[dict] | None, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wait = medians(data["benchmarks"], NAME)
    fig, ax = plt.subplots(figsize=(8, 5))
    for b in sorted({k[1] for k in wait}):
        pts = sorted((k[3], v) for k, v in wait.items() if k[0] == "wait_watched" and k[1] == b)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{b} (watched files)")
    if wait_rows:
        same = medians(wait_rows, WAIT_NAME)
        # The backends that keep their own fd array cannot pass the fd limit: they stop at it.
        for b in pr.backends_where(data.get("context"), interest="user_array"):
            pts = sorted((k[3], v) for k, v in same.items() if k[1] == b)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="s", linestyle="--",
                        label=f"{b} (fds, wait_bench)")
    limit = data.get("context", {}).get("fd_limit")
    if limit:
        ax.axvline(float(limit), color="grey", linestyle=":")
        ax.annotate(f"fd limit {int(float(limit)):,}: select and poll stop", (float(limit), ax.get_ylim()[0]),
                    rotation=90, va="bottom", ha="right", fontsize=8, color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("watched sockets (N)")
    ax.set_ylabel("time per wait, 1 ready (p50, ns)")
    ax.set_title("Waiting past the fd limit: epoll and io_uring watch files, not fd numbers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(run_dir) -> int:
    run_dir = Path(run_dir)
    try:
        data = load(run_dir / "watched.json")
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    wait_rows = None
    if (run_dir / "wait.json").exists():
        with open(run_dir / "wait.json") as f:
            wait_rows = json.load(f).get("benchmarks", [])
    plot(data, wait_rows, run_dir / "watched.png")
    print(tables(data))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.exit(main(sys.argv[1]))
