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
    return text + "\n\n" + tcp_round_ratios(inp)


TCP_REFERENCE = "epoll_lt"


def tcp_ratio(inp: ReportInput, backend: str, idle: int, active) -> pr.PointInterval | None:
    """backend's requests/s over epoll_lt's in the same round (rows with the same process_index:
    one tcp_bench process ran both, shuffled, each with a fresh server), as the median of the
    per-round ratios with its interval (min–max with its coverage below 6 rounds). None when the
    rows carry no round or either point is missing."""
    def point(b):
        pts = [p for p in inp.tcp.select("tcp", (b,), idle=idle) if p.params.get("active") == active]
        return pts[0] if pts else None

    mine, ref = point(backend), point(TCP_REFERENCE)
    if mine is None or ref is None:
        return None
    rps = "requests_per_sec"
    a, b = pr.paired_samples(mine, ref, [c.get(rps, 0.0) for c in mine.counters],
                             [c.get(rps, 0.0) for c in ref.counters])
    pairs = [(x, y) for x, y in zip(a, b) if y > 0]
    if not pairs:
        return None
    return pr.interval_of([x / y for x, y in pairs])


def tcp_ratio_text(iv: pr.PointInterval) -> str:
    if iv.lo is None:
        return f"{iv.median:.2f} (1 round)"
    return f"{iv.median:.2f} [{iv.lo:.2f}–{iv.hi:.2f}]"


def tcp_round_ratios(inp: ReportInput) -> str:
    """Each backend's requests/s as a ratio to epoll_lt's in the same round, with its interval."""
    if TCP_REFERENCE not in inp.tcp.values("tcp", 0):
        return f"_No {TCP_REFERENCE} in the TCP results, so no per-round ratios._"
    if not any(i is not None for p in inp.tcp.select("tcp") for i in p.processes):
        return ("_The TCP rows carry no round (process_index): this run predates interleaved TCP rounds, so no "
                "per-round ratios; compare the absolute figures above only within this run._")
    idles, actives = inp.tcp.param_values("tcp", "idle"), inp.tcp.param_values("tcp", "active") or [None]
    others = [b for b in inp.tcp.values("tcp", 0) if b != TCP_REFERENCE]
    rows, rounds = [], 0
    for b in others:
        for a in actives:
            cells = []
            for i in idles:
                iv = tcp_ratio(inp, b, i, a)
                cells.append(tcp_ratio_text(iv) if iv else "–")
                rounds = max(rounds, iv.n if iv else 0)
            rows.append([b, f"{a}" if a is not None else "–"] + cells)
    coverage = pr.interval_of(range(rounds))
    how = (f"min–max over {rounds} rounds, covering the median with {100 * coverage.coverage:.1f}%"
           if coverage and coverage.source == "min–max" and coverage.coverage else
           f"the order-statistic 95% interval over {rounds} rounds")
    return (f"**Per-round ratios to {TCP_REFERENCE}**: each round is one tcp_bench process that runs every backend "
            "once per point in a shuffled order, each with a fresh server; the ratio is a backend's requests/s "
            f"over {TCP_REFERENCE}'s in the same round, the median over rounds [{how}]. Machine drift from day to "
            "day (or within the run) moves both figures of a round alike and cancels in the ratio, which is what "
            "to quote across runs; the absolute figures above do not survive such drift.\n\n"
            + table(["backend", "active"] + [f"{i:,} idle" for i in idles], rows))


def tcp_ratio_sentence(inp: ReportInput) -> str:
    """One sentence for the first page: the ratios at the busiest point, or '' when there are none."""
    if inp.tcp is None or TCP_REFERENCE not in inp.tcp.values("tcp", 0):
        return ""
    idles, actives = inp.tcp.param_values("tcp", "idle"), inp.tcp.param_values("tcp", "active") or [None]
    idle, active = idles[-1], actives[-1]
    parts = [f"{b} {tcp_ratio_text(iv)}" for b in inp.tcp.values("tcp", 0) if b != TCP_REFERENCE
             if (iv := tcp_ratio(inp, b, idle, active)) is not None]
    if not parts:
        return ""
    return (f"TCP server, {active} active and {idle:,} idle connections: requests/s relative to {TCP_REFERENCE} "
            f"in the same round: {', '.join(parts)} (median over rounds [interval]; drift between days cancels "
            "in these ratios, not in the absolute requests/s).")


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
