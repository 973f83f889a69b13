"""The report's sections on what sits around the wait: the Poller layer against the bare
syscall (raw/*), the registration cost (ctl/*) and the wakeup latency (wakeup/*)."""

from __future__ import annotations

import pollbench_results as pr
from pollbench_report_base import ReportInput, fmt, pick_columns, table


def raw_table(inp: ReportInput) -> str:
    if inp.wait is None or not inp.wait.values("raw", 0):
        return "_No raw-syscall baseline in this run._"
    rows = []
    for mechanism in inp.wait.values("raw", 0):
        raw_points = [p for p in inp.wait.sweep("raw", (mechanism,)) if p.params.get("active", 1) == 1]
        if not raw_points:
            continue
        n = max(p.params.get("fds", 0) for p in raw_points)
        raw = next(p for p in raw_points if p.params.get("fds", 0) == n)
        kind = raw.labels[1] if len(raw.labels) > 1 else None
        backend = pr.raw_backend(mechanism, inp.wait)
        wrapped = inp.wait.sweep("wait", (backend, kind), fds=n, active=1)
        cells = [mechanism, f"{n:,}", fmt(raw.per_call_ns)]
        if wrapped:
            diff = wrapped[0].per_call_ns - raw.per_call_ns
            cells += [backend, fmt(wrapped[0].per_call_ns),
                      f"{'+' if diff >= 0 else '−'}{fmt(abs(diff))} ({wrapped[0].per_call_ns / raw.per_call_ns:.2f}×)"]
        else:
            cells += [backend, f"not run on {kind}s", "–"]
        rows.append(cells)
    return ("Time per wait (p50) with 1 ready, the bare system call against the pollbench backend that wraps "
            "it, at the largest N both ran:\n\n"
            + table(["syscall", "N", "raw", "backend", "pollbench", "Poller layer"], rows, "lrrlrr"))


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
