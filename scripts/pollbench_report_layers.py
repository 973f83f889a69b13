"""The report's sections on what sits around the wait: the Poller layer against the bare
syscall (raw/*), the registration cost (ctl/*) and the wakeup latency (wakeup/*)."""

from __future__ import annotations

import pollbench_results as pr
import pollbench_stats
from pollbench_report_base import ReportInput, fmt, pick_columns, table


# A layer ratio whose whole interval lies above this is flagged: the Poller layer costs more than noise.
LAYER_LIMIT = 1.05
# The N the table covers: one fd, the headline's 1,000 and the largest N the raw family ran.
LAYER_NS = (1, 1000)


def layer_ratio(wait: pr.Point, raw: pr.Point) -> pr.PointInterval | None:
    """wait ÷ raw from paired samples (the same process_index: one process, one fd pool): the median
    of the per-process ratios with its order-statistic interval (pollbench_stats.paired_ratio), or
    min–max with its coverage below 6 pairs. None when the two share no process."""
    a, b = pr.paired_samples(wait, raw)
    pairs = [(x, y) for x, y in zip(a, b) if y > 0]
    if not pairs:
        return None
    paired = pollbench_stats.paired_ratio([x for x, _ in pairs], [y for _, y in pairs])
    ci = paired.median_of_ratios
    if ci is not None:
        return pr.PointInterval(ci.median, ci.lo, ci.hi, ci.coverage, ci.n, "order statistics")
    return pr.interval_of([x / y for x, y in pairs])


def _layer_cell(iv: pr.PointInterval | None) -> tuple[str, str, bool]:
    """(ratio [interval], n, flagged)."""
    if iv is None:
        return "no paired samples", "0", False
    if iv.lo is None:
        return f"{iv.median:.2f}", str(iv.n), False
    flagged = iv.lo > LAYER_LIMIT
    cov = f", {100 * iv.coverage:.1f}%" if iv.coverage is not None else ""
    return f"{iv.median:.2f} [{iv.lo:.2f}–{iv.hi:.2f}{cov}]" + (" **⚑**" if flagged else ""), str(iv.n), flagged


def raw_table(inp: ReportInput) -> str:
    """The Poller layer's cost: wait/<b> ÷ raw/<its raw family> at N = 1, 1,000 and the largest N,
    from paired samples."""
    if inp.wait is None or not inp.wait.values("raw", 0):
        return "_No raw-syscall baseline in this run._"
    rows, flagged, missing = [], [], []
    for mechanism in inp.wait.values("raw", 0):
        raw_points = {p.params.get("fds", 0): p for p in inp.wait.sweep("raw", (mechanism,))
                      if p.params.get("active", 1) == 1}
        if not raw_points:
            continue
        wanted = sorted(set(LAYER_NS) | {max(raw_points)})
        backend = pr.raw_backend(mechanism, inp.wait)
        for n in wanted:
            raw = raw_points.get(n)
            if raw is None:
                missing.append(f"{mechanism} at N = {n:,}")
                continue
            kind = raw.labels[1] if len(raw.labels) > 1 else None
            wrapped = inp.wait.sweep("wait", (backend, kind), fds=n, active=1)
            if not wrapped:
                rows.append([mechanism, f"{n:,}", fmt(raw.per_call_ns), backend, f"not run on {kind}s", "–", "–"])
                continue
            iv = layer_ratio(wrapped[0], raw)
            cell, count, flag = _layer_cell(iv)
            if flag:
                flagged.append(f"{backend} at N = {n:,}")
            rows.append([mechanism, f"{n:,}", fmt(raw.per_call_ns), backend, fmt(wrapped[0].per_call_ns), cell, count])
    text = ("Time per wait (p50) with 1 ready, the bare system call against the pollbench backend that wraps it, "
            "and their ratio from paired samples: both measured in the same process, on the same fd pool, so what "
            "the process's layout and the machine's moment add cancels. The ratio is the median of the per-process "
            "ratios, [its distribution-free interval and coverage], over n pairs; ⚑ marks an interval lying wholly "
            f"above {LAYER_LIMIT:.2f}, a layer cost beyond noise.\n\n"
            + table(["syscall", "N", "raw", "backend", "pollbench", "pollbench ÷ raw", "n"], rows, "lrrlrrr"))
    if flagged:
        text += "\n\n**Above the bare syscall beyond its interval:** " + ", ".join(flagged) + "."
    elif rows:
        text += f"\n\nNo ratio's interval lies wholly above {LAYER_LIMIT:.2f}."
    if missing:
        text += ("\n\n_Not measured by the raw family in this run: " + ", ".join(missing)
                 + " (older runs' raw sweep skips N = 1,000)._")
    return text


def ctl_table(inp: ReportInput) -> str:
    if inp.wait is None or not inp.wait.values("ctl", 0):
        return "_No registration (ctl) results in this run._"
    ops = [op for op in ("add", "modify", "remove") if inp.wait.select("ctl", (None, op))]
    ops += [op for op in inp.wait.values("ctl", 1) if op not in ops]
    ns = inp.wait.param_values("ctl", "fds")
    shown = [ns[0], ns[-1]] if len(ns) > 1 else ns
    rows = []
    for b in inp.wait.values("ctl", 0):
        for n in shown:
            cells = [fmt(pts[0].per_call_ns) if (pts := inp.wait.select("ctl", (b, op), fds=n)) else "–" for op in ops]
            rows.append([b, f"{n:,}"] + cells)
    return (f"Time per call (p50 of single calls, {inp.samples_text()}) with N fds already registered:\n\n"
            + table(["backend", "N"] + ops, rows))


def wakeup_table(inp: ReportInput) -> str:
    if inp.wait is None or not inp.wait.values("wakeup", 0):
        return "_No wakeup results in this run._"
    ns = pick_columns(inp.wait.param_values("wakeup", "fds"), 4)
    rows = []
    for b in inp.wait.values("wakeup", 0):
        cells = []
        for n in ns:
            pts = inp.wait.select("wakeup", (b,), fds=n)
            if not pts:
                cells.append("–")
                continue
            p50 = pts[0].per_call_ns
            cells.append(f"{fmt(p50)} / {fmt(pts[0].counter('p99_ns'))}")
        rows.append([b] + cells)
    return ("Wakeup latency, p50 / p99, among N idle fds:\n\n"
            + table(["backend"] + [f"N = {n:,}" for n in ns], rows))
