"""The report's sections on servers: the TCP server under load (tcp.json), threads sharing one
listening socket (herd.json) and waiting past the fd limit (watched.json)."""

from __future__ import annotations

import pollbench_herd
import pollbench_results as pr
import pollbench_watched
from pollbench_report_base import ReportInput, fmt, table


def tcp_table(inp: ReportInput) -> str:
    if inp.tcp is None:
        return ("_No TCP results: this run has no tcp.json (the tcp step failed or was not run; see Status)._")
    idles = inp.tcp.param_values("tcp", "idle")
    actives = inp.tcp.param_values("tcp", "active")
    latency, latency_meaning = pr.tcp_latency_counter(inp.tcp)
    rows, troubled = [], []
    for b in inp.tcp.values("tcp", 0):
        for a in actives or [None]:
            cells = []
            for i in idles:
                pts = [p for p in inp.tcp.select("tcp", (b,), idle=i) if p.params.get("active") == a]
                if not pts:
                    cells.append("–")
                    continue
                rps = pts[0].counter("requests_per_sec")
                rps_text = f"{rps:,.0f}/s" if rps is not None else "–"
                samples = pts[0].counter_samples("requests_per_sec")
                if len(samples) > 1:
                    rps_text += f" ({min(samples) / 1e3:,.0f}–{max(samples) / 1e3:,.0f}k)"
                cells.append(f"{rps_text} / {fmt(pts[0].counter(latency))}")
                errors = sum(pts[0].counter(c) or 0 for c in ("loadgen_errors", "server_errors"))
                if errors:
                    troubled.append(f"`{pts[0].run_name}`: {errors:.0f} errors")
            rows.append([b, f"{a}" if a is not None else "–"] + cells)
    reps = max(p.repetitions for p in inp.tcp.points)
    text = (f"Requests answered per second (min–max over the repetitions, in thousands) / {latency_meaning}, "
            f"against idle connections; medians over {reps} repetitions"
            + (", each with a fresh server and load generator" if reps > 1 else " (one repetition: no spread)")
            + ":\n\n"
            + table(["backend", "active"] + [f"{i:,} idle" for i in idles], rows))
    if troubled:
        text += ("\n\n**Errors during the run** (loadgen_errors + server_errors), so these points are suspect: "
                 + "; ".join(troubled) + ".")
    return text


def herd_section(inp: ReportInput) -> str:
    path = inp.run_dir / "herd.json"
    if not path.exists():
        return "_No herd.json in this run (herd_bench)._"
    return ("herd_bench counts, per accepted connection, how many threads returned from their wait and how "
            "many were woken in the kernel, and how the connections spread over the threads. These are counts, "
            "so they hold on any number of cores; the accept latencies are scheduler-bound on 2 cores "
            "(docs/herd.md).\n\n" + pollbench_herd.table(pollbench_herd.load(path)))


def watched_section(inp: ReportInput) -> str:
    path = inp.run_dir / "watched.json"
    if not path.exists():
        return "_No watched.json in this run (watched_bench)._"
    return pollbench_watched.tables(pollbench_watched.load(path)) + (
        "\n\nThe million: `build/release/bin/watched_bench --max-watched=1000000` (docs/watched.md).")
