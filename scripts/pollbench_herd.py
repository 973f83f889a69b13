#!/usr/bin/env python3
"""The thundering-herd plot and table from herd_bench's Google Benchmark JSON (docs/herd.md).

    scripts/pollbench_herd.py results/RUN        # reads RUN/herd.json, writes RUN/herd.png,
                                                 # prints the markdown tables to stdout

Importable: main(run_dir) does the same and returns the exit status; table(benchmarks) and
plot(benchmarks, context, path) take the parsed JSON. Benchmarks are named
herd/<mode>/threads:T/arrival:<steady|burst>; the counters used are wakeups_per_conn,
kernel_wakeups_per_conn, wasted_per_conn, busiest_share, jain_index, accept_p50_ns,
accept_p99_ns. A file that is missing, empty or holds no herd result is an error (exit 1).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NAME = re.compile(r"herd/(?P<mode>[a-z_]+)/threads:(?P<threads>\d+)/arrival:(?P<arrival>steady|burst)$")
ARRIVALS = ("steady", "burst")
# One colour and marker per mode, the same in every panel.
MODE_STYLE = {
    "shared_epoll_lt": ("#1f77b4", "^"),
    "shared_epoll_et": ("#9467bd", "v"),
    "epoll_per_thread": ("#17becf", "<"),
    "epoll_exclusive": ("#d62728", "o"),
    "reuseport": ("#2ca02c", "D"),
    "poll_per_thread": ("#ff7f0e", "s"),
    "io_uring_per_thread": ("#8c564b", "P"),
}


def load(path: Path) -> tuple[dict, dict]:
    """{(mode, arrival): {threads: benchmark}} and the run context."""
    with open(path) as f:
        data = json.load(f)
    results: dict = {}
    for b in data.get("benchmarks", []):
        m = NAME.match(b.get("name", ""))
        if not m or b.get("error_occurred"):
            continue
        # With --benchmark_repetitions, keep the median aggregate when there is one.
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        key = (m["mode"], m["arrival"])
        threads = int(m["threads"])
        if b.get("run_type") == "aggregate" or threads not in results.get(key, {}):
            results.setdefault(key, {})[threads] = b
    return results, data.get("context", {})


def modes_in(results: dict) -> list[str]:
    seen = {mode for mode, _ in results}
    return [m for m in MODE_STYLE if m in seen] + sorted(seen - set(MODE_STYLE))


def table(results: dict) -> str:
    """Markdown: per arrival, each mode's wakeups per connection (kernel wakeups) and busiest
    thread's share at every T, then the same at T = 8 with the other counters."""
    lines = []
    threads = sorted({t for per in results.values() for t in per})
    for arrival in ARRIVALS:
        if not any(a == arrival for _, a in results):
            continue
        lines.append(f"**{arrival} arrivals**: returns from a wait per connection (times woken in the "
                     "kernel per connection) · busiest thread's share of connections\n")
        lines.append("| mode | " + " | ".join(f"T={t}" for t in threads) + " |")
        lines.append("|---|" + "---|" * len(threads))
        for mode in modes_in(results):
            per = results.get((mode, arrival), {})
            cells = []
            for t in threads:
                b = per.get(t)
                cells.append("–" if b is None else
                             f"{b['wakeups_per_conn']:.2f} ({b['kernel_wakeups_per_conn']:.1f}) · "
                             f"{100 * b['busiest_share']:.0f}%")
            lines.append(f"| {mode} | " + " | ".join(cells) + " |")
        lines.append("")
    if any(8 in per for per in results.values()):
        lines.append("**T = 8**\n")
        lines.append("| mode | arrival | wakeups/conn | kernel wakeups/conn | wasted/conn | busiest share | "
                     "Jain | accept p50 µs | accept p99 µs |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for arrival in ARRIVALS:
            for mode in modes_in(results):
                b = results.get((mode, arrival), {}).get(8)
                if b is None:
                    continue
                lines.append(f"| {mode} | {arrival} | {b['wakeups_per_conn']:.2f} | {b['kernel_wakeups_per_conn']:.2f} | "
                             f"{b['wasted_per_conn']:.2f} | {100 * b['busiest_share']:.0f}% | {b['jain_index']:.2f} | "
                             f"{b['accept_p50_ns'] / 1000:.0f} | {b['accept_p99_ns'] / 1000:.0f} |")
        lines.append("")
    return "\n".join(lines)


def plot(results: dict, context: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("wakeups_per_conn", "returns from a wait\nper connection"),
        ("kernel_wakeups_per_conn", "times woken in the kernel\nper connection (returned or not)"),
        ("busiest_share", "busiest thread's share\nof connections"),
    ]
    arrivals = [a for a in ARRIVALS if any(x == a for _, x in results)]
    fig, axes = plt.subplots(len(arrivals), len(panels), figsize=(4.2 * len(panels), 3.4 * len(arrivals)),
                             squeeze=False)
    threads = sorted({t for per in results.values() for t in per})
    for row, arrival in enumerate(arrivals):
        for col, (counter, label) in enumerate(panels):
            ax = axes[row][col]
            for mode in modes_in(results):
                per = results.get((mode, arrival), {})
                ts = sorted(per)
                if not ts:
                    continue
                colour, marker = MODE_STYLE.get(mode, ("#7f7f7f", "*"))
                ax.plot(ts, [per[t][counter] for t in ts], marker=marker, color=colour, label=mode)
            if counter == "busiest_share":
                ax.plot(threads, [1 / t for t in threads], color="black", linestyle=":", linewidth=1, label="even (1/T)")
                ax.set_ylim(0, 1.05)
            else:
                ax.set_yscale("log", base=2)
            ax.set_xscale("log", base=2)
            ax.set_xticks(threads)
            ax.set_xticklabels([str(t) for t in threads])
            ax.set_xlabel("accepting threads T")
            ax.set_ylabel(label)
            ax.set_title(f"{arrival} arrivals", fontsize=10)
            ax.grid(True, alpha=0.3)
    axes[0][-1].legend(fontsize=7.5, loc="upper right")
    where = ", ".join(x for x in (context.get("cpu_model", ""), f"{context.get('num_cpus', '?')} CPUs",
                                   context.get("kernel", "")) if x)
    fig.suptitle(f"Thundering herd: T threads accepting on one port ({where})", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(run_dir) -> int:
    run_dir = Path(run_dir)
    source = run_dir / "herd.json"
    try:
        results, context = load(source)
    except (OSError, json.JSONDecodeError) as e:
        print(f"pollbench_herd: cannot read {source}: {e}", file=sys.stderr)
        return 1
    if not results:
        print(f"pollbench_herd: {source} holds no herd/<mode>/threads:T/arrival:A result", file=sys.stderr)
        return 1
    plot(results, context, run_dir / "herd.png")
    print(table(results))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(sys.argv) != 2 else sys.stdout)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.exit(main(sys.argv[1]))
