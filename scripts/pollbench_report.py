#!/usr/bin/env python3
"""Writes a run's report.md: the headline with its numbers, machine metadata, tables, plots, and
the command that reproduces the run.

    scripts/pollbench_report.py results/RUN        # reads RUN/wait.json, RUN/tcp.json, writes RUN/report.md

Every figure in the report is computed from the JSON; nothing is typed in. A missing tcp.json or
wait.json is reported as missing and the rest still renders; an empty, truncated or foreign file
is an error (exit 1). Plots are embedded when their PNG exists beside the report (draw them first
with pollbench_plot.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_analysis as pa  # noqa: E402
import pollbench_herd  # noqa: E402
import pollbench_results as pr  # noqa: E402
import pollbench_watched  # noqa: E402

fmt = pr.format_ns

# The plots pollbench_plot.py draws, in reading order, with what each shows.
PLOTS = [
    ("wait_vs_fds_active1", "Time per wait against the number of watched fds, one of them ready. On log-log axes "
     "a slope of 1 is O(N) and a slope of 0 does not depend on N; the legend gives each backend's fitted slope. "
     "A backend marked † leaves part of its readiness work to the writing thread (see the readiness cycle)."),
    ("wait_vs_fds_active*", "The same with many fds ready per wait: the O(ready) part now shows in every backend."),
    ("wait_vs_ready", "Time per wait against the number of ready fds, at each N of the dense ready sweep; "
     "the dotted lines mark where epoll becomes slower than poll."),
    ("position", "Time per wait with one ready fd against where it sits in scan order, blocking (1 s timeout, "
     "solid) and non-blocking (timeout 0, dashed)."),
    ("readiness_cycle", "One readiness round trip: the writer's write() that makes the fd ready (hatched) and "
     "the waiter's wait, stacked, at the smallest and the largest N."),
    ("epoll_lt_vs_et", "epoll level- against edge-triggered, at one and at many ready fds."),
    ("raw_baseline", "Each backend against the bare system calls it wraps (dashed): the cost of the Poller layer."),
    ("ctl_cost", "Registration cost: one add, modify or remove, against the number of fds already registered."),
    ("wakeup", "Wakeup latency: from a write on one fd by another thread until the wait returns, among N idle "
     "fds; p50 solid, p99 dashed."),
    ("tcp", "TCP server: requests answered per second against idle connections, one panel per active count; "
     "bars span the repetitions (each a fresh server and load generator)."),
    ("tcp_latency", "TCP server: the p99 latency against idle connections, one panel per active count."),
    ("herd", "Threads sharing one listening socket: returns from a wait and kernel wakeups per accepted connection, "
     "and the busiest thread's share, against the number of threads, per mode (docs/herd.md)."),
    ("watched", "Time per wait past the fd limit: epoll and io_uring watching up to N sockets that helper processes "
     "hold open, beside select and poll, which stop at the fd limit (docs/watched.md)."),
]


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def pick_columns(values: list[int], most: int = 6) -> list[int]:
    """Up to `most` of the sorted `values`, always the first and the last, evenly spaced by index
    (the sweeps are geometric, so that is even on a log scale)."""
    if len(values) <= most:
        return values
    picks = {values[round(i * (len(values) - 1) / (most - 1))] for i in range(most)}
    return sorted(picks)


def ratio(slow: float, fast: float) -> str:
    r = slow / fast
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%" if value >= 0.1 else f"{100 * value:.1f}%"


def spread(p: pr.Point) -> str:
    """'1.20 ms (1.10–1.31 ms, cv 3.2%)': the median with its min-max and cv over samples."""
    lo, hi = p.per_call_spread_ns
    text = f"{fmt(p.per_call_ns)} ({fmt(lo)}–{fmt(hi)}"
    return text + (f", cv {pct(p.per_call_cv)})" if p.per_call_cv is not None else ")")


class Report:
    def __init__(self, run_dir: Path, wait: pr.Run | None, tcp: pr.Run | None, kind: str | None, fit_min_fds: int):
        self.run_dir = run_dir
        self.wait = wait
        self.tcp = tcp
        self.fit_min_fds = fit_min_fds
        self.kind = kind
        if wait is not None and kind is None:
            self.kind = pr.main_fd_kind(wait)
        self.context = (wait or tcp).context

    # --- pieces ------------------------------------------------------------------------------

    def wait_point(self, backend: str, fds: int, active: int, mode: str = "block", pos: str = "spread") -> pr.Point | None:
        return pa.point(self.wait, "wait", backend, self.kind, fds, active, mode, pos)

    def slope(self, backend: str, active: int) -> float | None:
        points = self.wait.sweep("wait", (backend, self.kind), active=active)
        return pr.fit_loglog_slope([p.params["fds"] for p in points], [p.per_call_ns for p in points],
                                    self.fit_min_fds)

    def samples_text(self) -> str:
        """'the median over 5 processes' (or repetitions, for a single process's file)."""
        run = self.wait or self.tcp
        return f"the median over {run.samples} {run.sample_kind}"

    def headline(self) -> str:
        if self.wait is None or not self.kind:
            return "_This run holds no per-wait results (see Status), so there is no headline._"
        kind = self.kind
        h = pa.headline(self.wait, kind)
        if h is None:
            return "_This run lacks select/poll and an O(ready) backend at 1 ready fd on a common N, so there is no headline._"
        n, reference = h.n, h.reference
        ref = self.wait_point(reference, n, 1)
        costs = " and ".join(f"{spread(self.wait_point(b, n, 1))} with {b}" for b in h.slow)
        times = " and ".join(f"{b} {ratio(self.wait_point(b, n, 1).per_call_ns, ref.per_call_ns)}" for b in h.slow)
        text = (f"**With {n:,} watched {kind}s and 1 ready, the median wait took {costs}, against "
                f"{spread(ref)} with {reference}: {times} slower than {reference}.**")
        if h.worst_cv is None:
            text += (f" (One sample per point, so no spread across processes: N = {n:,} is simply the largest N; "
                     "run more processes to know which N reproduces.)")
        elif h.within:
            text += (f" N = {n:,} is the largest N at which every one of these figures has a cross-process cv of at "
                     f"most {pct(pa.HEADLINE_MAX_CV)} (the largest here: {pct(h.worst_cv)}); the figures are "
                     f"{self.samples_text()}, with their min–max.")
        else:
            text += (f" No N kept every one of these figures within a cross-process cv of {pct(pa.HEADLINE_MAX_CV)}; "
                     f"N = {n:,} is the steadiest (largest cv {pct(h.worst_cv)}), so treat the ratio as rough.")
        if h.n_max != n:
            at_max = "; ".join(f"{b} {spread(p)}" for b in [*h.slow, reference]
                               if (p := self.wait_point(b, h.n_max, 1)) is not None)
            text += f" At the largest N, {h.n_max:,} (the fd limit of this run): {at_max}."
        slopes = [(b, self.slope(b, 1)) for b in h.slow + [reference]]
        if all(s is not None for _, s in slopes):
            text += (" Fitted on log-log axes for N ≥ " + f"{self.fit_min_fds}, the cost grows as N^slope with slope "
                     + ", ".join(f"{s:.2f} for {b}" for b, s in slopes) + ".")
        offload = pa.offloaded(self.wait, kind)
        if offload:
            text += (" Note: "
                     + "; ".join(f"{o.backend}'s wait leaves work to the writing thread (its write() costs "
                                 f"{fmt(o.write_ns)} against {fmt(o.others_write_ns)} for the others, at N = {o.n:,})"
                                 for o in offload) + ", see the readiness cycle.")
        text += f" ({pr.machine_title(self.context)}.)"
        return text

    def machine(self) -> str:
        c = self.context
        limit = c.get("fd_limit", "?") + (f" (hard {c['fd_limit_hard']})" if "fd_limit_hard" in c else "")
        rows = [
            ["CPU", f"{c.get('cpu_model', '?')} ({c.get('num_cpus', '?')} CPUs allowed: {c.get('allowed_cpus', '?')}, "
                    f"{c.get('mhz_per_cpu', '?')} MHz)"],
            ["Kernel", c.get("kernel", "?")],
            ["Host", c.get("host_name", "?")],
            ["Date", c.get("date", "?")],
            ["fd limit (soft)", limit],
            ["Compiler", c.get("compiler", "?")],
            ["Flags", f"`{c.get('flags', '?')}`"],
            ["Build type", f"{c.get('build_type', '?')} (optimized: {c.get('optimized', '?')}); "
                           f"Google Benchmark library: {c.get('library_build_type', '?')}"],
            ["Commit", f"`{c.get('git_commit', '?')}`"],
            ["Benchmark thread pinned to CPU", c.get("pinned_cpu", "?")],
            ["CPU frequency scaling", "enabled" if c.get("cpu_scaling_enabled") else "disabled or unknown"],
            ["Load average at start", ", ".join(f"{v:.2f}" for v in c.get("load_avg", [])) or "?"],
        ]
        if self.wait is not None:
            count = c.get("pollbench_processes")
            rows.append(["wait_bench processes", (f"{count} fresh processes, one repetition each; each figure is "
                                                  "the median over them") if count else
                         "one process (its repetitions are the samples)"])
        text = table(["", ""], rows, "ll")
        mitigations = str(c.get("mitigations", "?")).split("; ")
        text += ("\n\n<details><summary>CPU vulnerability mitigations (from /sys/devices/system/cpu/vulnerabilities)"
                 "</summary>\n\n" + "\n".join(f"- {m}" for m in mitigations) + "\n\n</details>")
        if c.get("library_build_type") == "debug":
            text += ("\n\nGoogle Benchmark reports itself as a debug build: that is Debian's libbenchmark "
                     "package and concerns only its own bookkeeping outside the timed region; pollbench itself "
                     "is built as shown under Build type.")
        return text

    def per_wait_tables(self) -> str:
        if self.wait is None or not self.kind:
            return "_No per-wait results in this run._"
        out = []
        backends = self.wait.values("wait", 0)
        for active in sorted({a for a in self.wait.param_values("wait", "active")
                              if len({p.params["fds"] for p in self.wait.sweep("wait", (None, self.kind), active=a)}) >= 2}):
            all_ns = sorted({p.params["fds"] for p in self.wait.sweep("wait", (None, self.kind), active=active)})
            ns = pick_columns(all_ns)
            rows = []
            for b in backends:
                cells = []
                for n in ns:
                    p = self.wait_point(b, n, active)
                    if p is None:
                        cells.append("–")
                        continue
                    cells.append(" / ".join(fmt(v) for v in (p.per_call_ns, p.counter("p99_ns"), p.mean_ns)))
                last = self.wait_point(b, ns[-1], active)
                lo_hi = "–"
                if last is not None:
                    lo, hi = last.per_call_spread_ns
                    lo_hi = f"{fmt(lo)}–{fmt(hi)}, cv {pct(last.per_call_cv)}"
                if any(c != "–" for c in cells):
                    rows.append([b] + cells + [lo_hi])
            if rows:
                ready = "1 ready fd" if active == 1 else f"{active} ready fds"
                out.append(f"**{ready}** ({self.kind}s, blocking wait, ready fds spread evenly): "
                           "p50 / p99 / mean time per wait\n\n"
                           + table(["backend"] + [f"N = {n:,}" for n in ns] + [f"p50 at N = {ns[-1]:,}: min–max"], rows))
        if not out:
            return "_No per-wait sweep over N in this run._"
        return ("Each cell: the p50 and p99 of single waits from pollbench's histogram (the p50 is what the "
                "headline, the plots and the fitted slopes use), then the mean time per wait that Google Benchmark "
                f"reports; each {self.samples_text()}. The last column gives the spread of the p50 across them at "
                "the largest N. A mean well above the p50 means rare slow waits (preemption, interrupts).\n\n"
                + "\n\n".join(out))

    def kinds_table(self) -> str:
        """The same wait on each fd kind: what the kernel's per-fd poll callback costs differs."""
        kinds = self.wait.values("wait", 1) if self.wait is not None else []
        if len(kinds) < 2:
            return ""
        per_kind = [{p.params["fds"] for p in self.wait.sweep("wait", (None, k), active=1)} for k in kinds]
        common = set.intersection(*per_kind)
        if not common:
            return ""
        n = max(common)
        rows = []
        for b in self.wait.values("wait", 0):
            cells = []
            for k in kinds:
                pts = self.wait.sweep("wait", (b, k), fds=n, active=1)
                cells.append(fmt(pts[0].per_call_ns) if pts else "–")
            rows.append([b] + cells)
        return (f"The same wait on each kind of fd, N = {n:,} watched and 1 ready (p50); the tables above use "
                f"{self.kind}s:\n\n" + table(["backend"] + [f"{k}s" for k in kinds], rows))

    def slope_table(self) -> str:
        if self.wait is None or not self.kind:
            return "_No per-wait results in this run._"
        actives = [a for a in self.wait.param_values("wait", "active")
                   if len({p.params["fds"] for p in self.wait.sweep("wait", (None, self.kind), active=a)}) >= 3]
        rows = []
        for b in self.wait.values("wait", 0):
            cells = []
            for a in actives:
                points = self.wait.sweep("wait", (b, self.kind), active=a)
                s = self.slope(b, a)
                families = [p.family_index for p in points]
                fitted = self.wait.complexity.get(max(set(families), key=families.count)) if families else None
                big_o = "–"
                if fitted is not None:
                    term = "" if fitted.big_o == "(1)" else f"·{fitted.big_o}"
                    big_o = f"{fmt(fitted.coefficient_ns)}{term}"
                cells += [f"{s:.2f}" if s is not None else "–", big_o]
            rows.append([b] + cells)
        headers = ["backend"]
        for a in actives:
            headers += [f"slope, {a} ready", f"BigO, {a} ready"]
        return (f"Slope of log(time per wait) against log(N) for N ≥ {self.fit_min_fds} (numpy.polyfit): "
                "1 means the cost doubles when N doubles (O(N)), 0 means it does not depend on N. "
                "Fitted on the p50 of single waits. BigO is Google Benchmark's own least-squares fit of its mean times over the family.\n\n"
                + table(headers, rows))

    def ready_table(self) -> str:
        if self.wait is None or not self.kind:
            return ""
        candidates = pa.crossover_ns(self.wait, self.kind) or [
            n for n in self.wait.param_values("wait", "fds")
            if len({p.params.get("active") for p in self.wait.sweep("wait", (None, self.kind), fds=n)}) >= 2]
        out = []
        for n in candidates[-2:]:
            actives = sorted({p.params["active"] for p in self.wait.sweep("wait", (None, self.kind), fds=n)})
            rows = []
            for b in self.wait.values("wait", 0):
                cells = [fmt(p.per_call_ns) if (p := self.wait_point(b, n, a)) else "–" for a in actives]
                if any(c != "–" for c in cells):
                    rows.append([b] + cells)
            out.append(f"Time per wait (p50) with N = {n:,} watched {self.kind}s, against how many are ready "
                       "(spread evenly, blocking wait):\n\n" + table(["backend"] + [f"{a:,} ready" for a in actives], rows))
        return "\n\n".join(out)

    def crossover_section(self) -> str:
        """Where epoll becomes slower per wait than poll as the share of ready fds grows."""
        if self.wait is None or not self.kind:
            return ""
        ns = pa.crossover_ns(self.wait, self.kind)
        epolls = [b for b in self.wait.values("wait", 0) if b in pa.reference_family(self.wait)]
        if not ns or not epolls:
            return "_This run has no dense ready sweep with poll and epoll, so no crossover._"
        rows, found = [], []
        for n in ns:
            for b in epolls:
                c = pa.crossover(self.wait, self.kind, n, b)
                if c is None:
                    continue
                if c.slower_from_start:
                    verdict, frac = f"slower already at {c.actives[0]:,} ready", "–"
                elif c.active is None:
                    verdict, frac = f"never slower, up to {c.actives[-1]:,} ready", "–"
                else:
                    verdict, frac = f"≈ {c.active:,.0f} ready", pct(c.fraction)
                    found.append(f"{b} at {pct(c.fraction)} of {n:,}")
                ratios = ", ".join(f"{a:,}: {r:.2f}" for a, r in zip(c.actives, c.ratios))
                rows.append([f"{n:,}", b, verdict, frac, ratios])
        text = ("As more of the N fds are ready, epoll's cost grows with them while poll's stays tied to N. The "
                "crossover is the first share of ready fds at which epoll's wait (p50) becomes slower than poll's, "
                "interpolated linearly between the two measured ready counts around it (blocking waits, ready fds "
                "spread evenly).")
        if found:
            text += " **epoll becomes slower than poll from about " + "; ".join(found) + " fds ready.**"
        return text + "\n\n" + table(["N", "backend", "slower than poll from", "share of N",
                                        "epoll / poll per ready count"], rows, "rlrrl")

    def position_section(self) -> str:
        if self.wait is None or not self.kind:
            return ""
        ns = pa.position_ns(self.wait, self.kind)
        if not ns:
            return "_This run has no position sweep (the ready fd first, middle or last), so no position table._"
        n = ns[-1]
        data = pa.position_table(self.wait, self.kind, n)
        combos = [(m, q) for m in pa.MODES for q in pa.POSITIONS]
        rows = []
        for b, cells in data.items():
            rows.append([b] + [f"{fmt(p.per_call_ns)} ({pct(p.per_call_cv)})" if (p := cells.get(c)) else "–"
                               for c in combos])
        headers = ["backend"] + [f"{'blocking' if m == 'block' else 'timeout 0'}, {q}" for m, q in combos]
        facts = []
        for b in pa.scanning(self.wait):
            cells = data.get(b, {})
            if all(("block", q) in cells for q in pa.POSITIONS) and all(("nonblock", q) in cells for q in pa.POSITIONS):
                blk = [cells[("block", q)].per_call_ns for q in pa.POSITIONS]
                non = [cells[("nonblock", q)].per_call_ns for q in pa.POSITIONS]
                facts.append(f"a blocking {b} took {fmt(blk[0])} with its ready fd first, {fmt(blk[1])} in the middle "
                             f"and {fmt(blk[2])} last ({blk[2] / blk[0]:.1f}× from first to last); with timeout 0 it "
                             f"took {fmt(min(non))}–{fmt(max(non))} wherever the fd sat "
                             f"({non[2] / non[0]:.1f}× from first to last)")
        text = (f"One ready fd among N = {n:,} {self.kind}s, placed first, in the middle or last in the order select "
                "and poll scan, with a blocking wait (1 s timeout, as the rest of the suite waits) and with timeout 0 "
                "(what a busy-polling loop pays). p50 per wait, with its cross-process cv:\n\n"
                + table(headers, rows))
        if facts:
            text += "\n\nMeasured here: " + "; ".join(facts) + "."
        text += ("\n\nWhy: a blocking select or poll adds a wait-queue entry to every fd it checks until it meets "
                 "the first ready one (from then on it only checks), and removes all of those entries before it "
                 "returns; so the further the first ready fd sits in scan order, the more entries it adds and "
                 "removes. With timeout 0 the kernel passes no poll table and adds no entry at all, so only the scan "
                 "itself is paid, wherever the ready fd sits. epoll and io_uring keep their wait-queue entries "
                 "registered between waits, so neither depends on the position.")
        return text

    def cycle_section(self) -> str:
        if self.wait is None or not self.kind:
            return ""
        ns = pa.cycle_ns(self.wait, self.kind)
        if not ns:
            return "_No write_ns counter in this run's waits, so no readiness cycle._"
        rows = []
        for n in ns:
            for r in pa.cycle(self.wait, self.kind, n):
                rows.append([r.backend, f"{n:,}", fmt(r.write_ns), fmt(r.wait_ns), fmt(r.total_ns),
                             pct(r.write_ns / r.total_ns)])
        text = ("One readiness round trip with 1 ready fd: the writer's `write()` that makes the fd ready (counter "
                "`write_ns`, timed apart from the wait) and the waiter's wait, whose sum no mechanism can shrink by "
                "moving work from one side to the other. Mean times (write_ns is a mean), "
                f"{self.samples_text()}; blocking waits.\n\n"
                + table(["backend", "N", "writer: write()", "waiter: wait", "round trip", "writer's share"], rows))
        offload = pa.offloaded(self.wait, self.kind)
        if offload:
            text += ("\n\n**Marked † on the headline plot:** " + "; ".join(
                f"{o.backend}, whose write() costs {fmt(o.write_ns)} against a median {fmt(o.others_write_ns)} for the "
                f"other backends at N = {o.n:,}, an excess larger than its whole wait ({fmt(o.wait_ns)})"
                for o in offload) + ". Its per-wait figure leaves out work that the writing thread pays for.")
        else:
            text += ("\n\nNo backend's write() costs more than the others' by more than its own wait, so no "
                     "per-wait figure here leaves its work to the writer.")
        return text

    def raw_table(self) -> str:
        if self.wait is None or not self.wait.values("raw", 0):
            return "_No raw-syscall baseline in this run._"
        rows = []
        for mechanism in self.wait.values("raw", 0):
            raw_points = [p for p in self.wait.sweep("raw", (mechanism,)) if p.params.get("active", 1) == 1]
            if not raw_points:
                continue
            n = max(p.params.get("fds", 0) for p in raw_points)
            raw = next(p for p in raw_points if p.params.get("fds", 0) == n)
            kind = raw.labels[1] if len(raw.labels) > 1 else None
            backend = pr.raw_backend(mechanism, self.wait)
            wrapped = self.wait.sweep("wait", (backend, kind), fds=n, active=1)
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

    def ctl_table(self) -> str:
        if self.wait is None or not self.wait.values("ctl", 0):
            return "_No registration (ctl) results in this run._"
        ops = [op for op in ("add", "modify", "remove") if self.wait.select("ctl", (None, op))]
        ops += [op for op in self.wait.values("ctl", 1) if op not in ops]
        ns = self.wait.param_values("ctl", "fds")
        shown = [ns[0], ns[-1]] if len(ns) > 1 else ns
        rows = []
        for b in self.wait.values("ctl", 0):
            for n in shown:
                cells = [fmt(pts[0].per_call_ns) if (pts := self.wait.select("ctl", (b, op), fds=n)) else "–" for op in ops]
                rows.append([b, f"{n:,}"] + cells)
        return (f"Time per call (p50 of single calls, {self.samples_text()}) with N fds already registered:\n\n"
                + table(["backend", "N"] + ops, rows))

    def wakeup_table(self) -> str:
        if self.wait is None or not self.wait.values("wakeup", 0):
            return "_No wakeup results in this run._"
        ns = pick_columns(self.wait.param_values("wakeup", "fds"), 4)
        rows = []
        for b in self.wait.values("wakeup", 0):
            cells = []
            for n in ns:
                pts = self.wait.select("wakeup", (b,), fds=n)
                if not pts:
                    cells.append("–")
                    continue
                p50 = pts[0].per_call_ns
                cells.append(f"{fmt(p50)} / {fmt(pts[0].counter('p99_ns'))}")
            rows.append([b] + cells)
        return ("Wakeup latency, p50 / p99, among N idle fds:\n\n"
                + table(["backend"] + [f"N = {n:,}" for n in ns], rows))

    def tcp_table(self) -> str:
        if self.tcp is None:
            return ("_No TCP results: this run has no tcp.json (the tcp step failed or was not run; see Status)._")
        idles = self.tcp.param_values("tcp", "idle")
        actives = self.tcp.param_values("tcp", "active")
        latency, latency_meaning = pr.tcp_latency_counter(self.tcp)
        rows, troubled = [], []
        for b in self.tcp.values("tcp", 0):
            for a in actives or [None]:
                cells = []
                for i in idles:
                    pts = [p for p in self.tcp.select("tcp", (b,), idle=i) if p.params.get("active") == a]
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
        reps = max(p.repetitions for p in self.tcp.points)
        text = (f"Requests answered per second (min–max over the repetitions, in thousands) / {latency_meaning}, "
                f"against idle connections; medians over {reps} repetitions"
                + (", each with a fresh server and load generator" if reps > 1 else " (one repetition: no spread)")
                + ":\n\n"
                + table(["backend", "active"] + [f"{i:,} idle" for i in idles], rows))
        if troubled:
            text += ("\n\n**Errors during the run** (loadgen_errors + server_errors), so these points are suspect: "
                     + "; ".join(troubled) + ".")
        return text

    def spread_section(self) -> str:
        """The cross-process cv of every point the plots draw, as grids of rows × N (or A, or idle)."""
        grids: list[tuple[str, list[pr.Point], callable, str]] = []
        if self.wait is not None and self.kind:
            kind = self.kind
            grids.append((f"wait, {kind}s, blocking, spread (rows: backend, ready fds)",
                          self.wait.sweep("wait", (None, kind)), lambda p: f"{p.backend}, {p.params['active']:,} ready", "fds"))
            for n in pa.position_ns(self.wait, kind)[-1:]:
                grids.append((f"position sweep, N = {n:,} (columns: mode/position)",
                              [p for p in self.wait.select("wait", (None, kind), fds=n, active=1)
                               if p.tag("pos") in pa.POSITIONS], lambda p: p.backend, "combo"))
            grids.append(("raw system calls, 1 ready", [p for p in self.wait.sweep("raw") if p.params.get("active") == 1],
                          lambda p: p.backend, "fds"))
            grids.append(("registration (ctl)", self.wait.select("ctl"), lambda p: f"{p.backend} {p.labels[1]}", "fds"))
            grids.append(("wakeup", self.wait.select("wakeup"), lambda p: p.backend, "fds"))
        if self.tcp is not None:
            grids.append(("TCP requests/s (columns: idle connections)", self.tcp.select("tcp"),
                          lambda p: f"{p.backend}, {p.params.get('active')} active", "idle"))
        parts, everything = [], []
        for title, points, row_of, column in grids:
            if not points:
                continue
            col_of = ((lambda p: f"{p.tag('mode')}/{p.tag('pos')}") if column == "combo" else (lambda p: p.params.get(column)))
            cols = sorted({col_of(p) for p in points}, key=lambda c: (str(type(c)), c))
            order = {b: i for i, b in enumerate(pr.sort_backends({p.backend for p in points}, self.wait))}
            rows_keys = [row_of(p) for p in sorted(points, key=lambda p: (order[p.backend], p.labels[1:],
                                                                           p.params.get("active", 0)))]
            rows_keys = list(dict.fromkeys(rows_keys))
            cells = {(row_of(p), col_of(p)): p for p in points}
            rows = []
            for r in rows_keys:
                line = [r]
                for c in cols:
                    p = cells.get((r, c))
                    value = None
                    if p is not None:
                        value = (pr.cv(p.counter_samples("requests_per_sec")) if p.area == "tcp" else p.per_call_cv)
                        if value is not None:
                            everything.append((value, p.run_name))
                    line.append(pct(value) if p is not None else "")
                rows.append(line)
            header = [column if column != "combo" else "backend"] + [f"{c:,}" if isinstance(c, int) else str(c) for c in cols]
            parts.append(f"**{title}**\n\n" + table(header, rows))
        if not everything:
            return ("_Each point has one sample (one process, one repetition), so there is no spread to show; "
                    "run scripts/bench.sh with --processes 5._")
        steady = sum(1 for v, _ in everything if v <= pa.HEADLINE_MAX_CV)
        worst = sorted(everything, reverse=True)[:3]
        run = self.wait or self.tcp
        text = (f"The coefficient of variation (stdev / mean) of each plotted figure across the {run.samples} "
                f"{run.sample_kind} (TCP: across its repetitions): what a rerun would move. {steady} of "
                f"{len(everything)} points are within {pct(pa.HEADLINE_MAX_CV)}; the largest: "
                + ", ".join(f"`{name}` {pct(v)}" for v, name in worst) + ".")
        return text + "\n\n<details><summary>cv of every plotted point</summary>\n\n" + "\n\n".join(parts) + "\n\n</details>"

    def surprises(self) -> str:
        """Each shape a careful reader would question, with the measurement in this run that explains it."""
        items = []
        if self.wait is not None and self.kind:
            kind = self.kind
            items += self.surprise_one_vs_ten(kind)
            items += self.surprise_all_ready(kind)
            items += self.surprise_offload(kind)
            items += self.turns(pa.wait_dips(self.wait, kind), "Curves that dip as N grows",
                                "more watched fds should never make a wait cheaper", fmt, "N = ")
        if self.tcp is not None:
            items += self.turns(pa.tcp_rises(self.tcp), "TCP throughput that rises with idle connections",
                                "more idle connections should not make a server faster",
                                lambda v: f"{v:,.0f}/s", "", " idle")
        if not items:
            return "_Nothing in this run's curves goes against expectation._"
        return "\n\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))

    @staticmethod
    def turns(dips: list[pa.Dip], title: str, why_odd: str, show, before: str, after: str = "") -> list[str]:
        """The curves that turn the wrong way, grouped by whether the samples' spread explains them."""
        def one(d: pa.Dip) -> str:
            return (f"{d.curve}: {show(d.y0)} at {before}{d.x0:,}{after} (min–max {show(d.spread0[0])}–"
                    f"{show(d.spread0[1])}), {show(d.y1)} at {before}{d.x1:,}{after} ({show(d.spread1[0])}–"
                    f"{show(d.spread1[1])})")
        groups = (
            ([d for d in dips if d.has_spread and d.within_spread], "inside the spread",
             "The min–max ranges of the two points overlap: this is the noise a rerun moves, not a shape."),
            ([d for d in dips if d.has_spread and not d.within_spread], "beyond the spread",
             f"The ranges do not overlap, so every sample saw it, yet {why_odd}. This run holds no measurement that "
             "explains it: treat the step as the resolution limit of the method at that point and check it with a "
             "rerun (scripts/compare.sh shows whether it moves)."),
            ([d for d in dips if not d.has_spread], "with one sample each",
             "One sample per point gives no spread to judge these turns by: run more processes or repetitions."),
        )
        return [f"**{title}, {label}.** " + "; ".join(one(d) for d in group) + ". " + verdict
                for group, label, verdict in groups if group]

    def surprise_one_vs_ten(self, kind: str) -> list[str]:
        out = []
        for b in pa.scanning(self.wait):
            ns = [n for n in self.wait.param_values("wait", "fds", active=1)
                  if self.wait_point(b, n, 1) and self.wait_point(b, n, 10)]
            if not ns:
                continue
            n = ns[-1]
            one, ten = self.wait_point(b, n, 1), self.wait_point(b, n, 10)
            if one.per_call_ns <= ten.per_call_ns:
                continue
            text = (f"**1 ready is slower than 10 ready for {b}** at N = {n:,}: {spread(one)} against {spread(ten)}. "
                    f"With 1 ready, spread evenly puts it in the middle (index {n // 2:,}); with 10, the first sits "
                    f"at index {n // 20:,}. A blocking wait pays per fd checked before the first ready one")
            pos_ns = [m for m in pa.position_ns(self.wait, kind) if m <= n]
            if pos_ns:
                m = pos_ns[-1]
                first = self.wait_point(b, m, 1, "block", "first")
                middle = self.wait_point(b, m, 1, "block", "middle")
                nonblock = self.wait_point(b, m, 1, "nonblock", "middle")
                if first and middle:
                    text += (f": the position sweep at N = {m:,} measured {fmt(first.per_call_ns)} with the ready fd "
                             f"first against {fmt(middle.per_call_ns)} in the middle"
                             + (f", and {fmt(nonblock.per_call_ns)} in the middle with timeout 0" if nonblock else ""))
            out.append(text + (". See the position section." if pos_ns else "."))
        return out

    def surprise_all_ready(self, kind: str) -> list[str]:
        out = []
        for n in pa.crossover_ns(self.wait, kind)[-1:] or self.wait.param_values("wait", "fds", active=1)[-1:]:
            poll = self.wait_point(pa.CROSSOVER_AGAINST, n, n)
            if poll is None:
                continue
            slower = [(b, p) for b in self.wait.values("wait", 0) if b in pa.reference_family(self.wait)
                      and (p := self.wait_point(b, n, n)) is not None and p.per_call_ns > poll.per_call_ns]
            if not slower:
                continue
            facts = []
            for b, p in slower:
                one = self.wait_point(b, n, 1)
                per_ready = (p.per_call_ns - one.per_call_ns) / (n - 1) if one else None
                facts.append(f"{b} {spread(p)}" + (f", {per_ready:.0f} ns per ready fd beyond the first" if per_ready else ""))
            poll_one = self.wait_point(pa.CROSSOVER_AGAINST, n, 1)
            per_fd = poll.per_call_ns / n
            text = (f"**With all {n:,} fds ready, epoll is slower than poll**: poll {spread(poll)} "
                    f"({per_fd:.0f} ns per fd); " + "; ".join(facts) + ". poll's cost per watched fd is a check of "
                    "the fd and a store into the array it copies back once; epoll's per ready fd is more: for each "
                    "fd on its ready list it calls the fd's poll method again, copies one event to user space, and "
                    "(level-triggered) puts the fd back on the ready list for the next wait.")
            if poll_one is not None:
                text += (f" poll's own cost barely depends on how many are ready ({fmt(poll_one.per_call_ns)} with 1 "
                         f"ready, {fmt(poll.per_call_ns)} with all), so the epoll line crosses it; the crossover "
                         "section gives where.")
            out.append(text)
        return out

    def surprise_offload(self, kind: str) -> list[str]:
        out = []
        offload = {o.backend: o for o in pa.offloaded(self.wait, kind)}
        # The O(ready) backends of another mechanism than the reference (io_uring against epoll_lt).
        family = pa.reference_family(self.wait)
        ring = [b for b in self.wait.values("wait", 0) if b in pa.references(self.wait) and b not in family]
        for b in ring:
            ns = self.wait.param_values("wait", "fds", active=1)
            p = self.wait_point(b, ns[0], 1) if ns else None
            epoll = self.wait_point(family[0], ns[0], 1) if ns and family else None
            if p is None or epoll is None or p.per_call_ns >= epoll.per_call_ns:
                continue
            text = (f"**{b}'s wait is small**: {fmt(p.per_call_ns)} against {family[0]}'s {fmt(epoll.per_call_ns)} at "
                    f"N = {ns[0]:,}.")
            if b in offload:
                o = offload[b]
                text += (f" Its write() costs {fmt(o.write_ns)} against {fmt(o.others_write_ns)} for the others: "
                         "on this ring the kernel re-checks the fd and posts the completion from task work that runs "
                         "when the writing thread returns from write(), outside the timed wait. The readiness cycle "
                         "puts both sides together.")
            else:
                w, e = p.counter("write_ns"), epoll.counter("write_ns")
                rows = pa.cycle(self.wait, kind, ns[0])
                text += (f" Its write() costs {fmt(w)} ({family[0]}'s: {fmt(e)}; all backends: "
                         f"{fmt(min(r.write_ns for r in rows))}–{fmt(max(r.write_ns for r in rows))}), not more than "
                         "the others' by as much as a wait costs, so this run does not show it leaving its work to the "
                         "writer: its wait runs the poll re-check and posts the completion itself (the ring's set-up, "
                         f"`backend_setup` in the context: {self.context.get('backend_setup', '?')}), and that costs less "
                         "than an epoll_wait. The readiness cycle gives both sides.")
            out.append(text)
        return out

    def status(self) -> str:
        lines = []
        steps = self.run_dir / "steps.tsv"
        if steps.exists():
            rows = [line.split("\t") for line in steps.read_text().splitlines() if line.strip()]
            rows = [r + [""] * (4 - len(r)) for r in rows]
            failed = [r for r in rows if r[1] not in ("ok", "skipped")]
            lines.append(table(["step", "result", "seconds", "detail"], [r[:4] for r in rows], "llrl"))
            if failed:
                lines.insert(0, "**This run is incomplete: " + ", ".join(f"step '{r[0]}' {r[1]}" for r in failed)
                             + ".** The tables below show what finished.")
        for run in (self.wait, self.tcp):
            if run is not None and run.errors:
                lines.append(f"{len(run.errors)} benchmarks in {run.path.name} reported errors:\n\n"
                             + "\n".join(f"- `{name}`: {msg}" for name, msg in run.errors[:20]))
        return "\n\n".join(lines)

    def plots(self, plot_dir: Path, report_dir: Path) -> str:
        out, shown = [], set()
        for stem, caption in PLOTS:
            for png in sorted(plot_dir.glob(stem + ".png"), key=lambda p: (len(p.name), p.name)):
                if png in shown:
                    continue
                shown.add(png)
                rel = os.path.relpath(png, report_dir)
                svg = png.with_suffix(".svg")
                link = f" ([SVG]({os.path.relpath(svg, report_dir)}))" if svg.exists() else ""
                out.append(f"![{png.stem}]({rel})\n\n*{caption}*{link}")
        return "\n\n".join(out) if out else "_No plots found beside the report: run scripts/pollbench_plot.py first._"

    def herd_section(self) -> str:
        path = self.run_dir / "herd.json"
        if not path.exists():
            return "_No herd.json in this run (herd_bench)._"
        results, _ = pollbench_herd.load(path)
        return ("herd_bench counts, per accepted connection, how many threads returned from their wait and how "
                "many were woken in the kernel, and how the connections spread over the threads. These are counts, "
                "so they hold on any number of cores; the accept latencies are scheduler-bound on 2 cores "
                "(docs/herd.md).\n\n" + pollbench_herd.table(results))

    def watched_section(self) -> str:
        path = self.run_dir / "watched.json"
        if not path.exists():
            return "_No watched.json in this run (watched_bench)._"
        return pollbench_watched.tables(pollbench_watched.load(path)) + (
            "\n\nThe million: `build/release/bin/watched_bench --max-watched=1000000` (docs/watched.md).")

    def quick(self) -> bool:
        command_file = self.run_dir / "command.txt"
        return (pr.is_quick(self.wait) or pr.is_quick(self.tcp)
                or (command_file.exists() and "--quick" in command_file.read_text().split()))

    def reproduce(self) -> str:
        command_file = self.run_dir / "command.txt"
        commit = self.context.get("git_commit", "?")
        if command_file.exists():
            command = command_file.read_text().strip()
        else:
            command = "scripts/bench.sh --out DIR"
        return (f"At commit `{commit}`, on a machine like the one above:\n\n```sh\n{command}\n```\n\n"
                "`scripts/bench.sh --help` explains the options; `scripts/compare.sh OLD_DIR NEW_DIR` compares "
                "two runs with Google Benchmark's compare.py.")

    def render(self, plot_dir: Path, report_dir: Path) -> str:
        c = self.context
        title = f"# pollbench results: {c.get('host_name', '?')}, {str(c.get('date', '?'))[:10]}"
        cite = (f"pollbench `{c.get('git_commit', '?')}`, run `{self.run_dir.resolve().name}`, "
                f"{pr.machine_title(c)}")
        sections = [title]
        if self.quick():
            sections.append("> **Quick run** (`--quick`): short sweeps over "
                            + (f"only {self.wait.samples} {self.wait.sample_kind}" if self.wait else "few repetitions")
                            + ", for trying things out. Do not cite these numbers; cite a full run.")
        sections += [
            self.headline(),
            f"Cite this run as: {cite}.",
        ]
        status = self.status()
        if status:
            sections += ["## Status", status]
        sections += [
            "## Machine", self.machine(),
            "## Time per wait", self.per_wait_tables(),
            self.kinds_table(),
            "## Scaling: fitted slopes", self.slope_table(),
            "## Where the ready fd sits", self.position_section(),
            "## Ready fds at a fixed N", self.ready_table(),
            "## Crossover: where epoll becomes slower than poll", self.crossover_section(),
            "## The readiness cycle: writer and waiter", self.cycle_section(),
            "## Poller layer against the bare syscall", self.raw_table(),
            "## Registration cost", self.ctl_table(),
            "## Wakeup latency", self.wakeup_table(),
            "## TCP server", self.tcp_table(),
            "## Threads sharing one listening socket: the thundering herd", self.herd_section(),
            "## Past the fd limit: watched sockets", self.watched_section(),
            "## What is surprising here, and why", self.surprises(),
            "## Spread across processes", self.spread_section(),
            "## Plots", self.plots(plot_dir, report_dir),
            "## How to read this",
            "Each benchmark times one call at a time (one wait, one add, ...) with a clock read around exactly "
            "that call and hands the interval to Google Benchmark (manual time); untimed work around it (the "
            "writes that make fds ready, the reads that drain them) stays out. Every call's time goes into "
            "pollbench's histogram (≤1% relative error), whose p50 and p99 each run reports beside Google "
            "Benchmark's mean. scripts/bench.sh runs wait_bench in several fresh processes (each a new fd pool and so "
            "a new kernel memory layout, which moves large-N figures far more than repetitions inside one process "
            "do), one repetition each; every figure here is the median over "
            "those processes. The headline, the plots and the slopes use the p50, the typical single call, which a "
            "rare preempted call cannot move; the tables give the mean too. On the plots, bars span the lowest and "
            "highest process. "
            "Log-log axes turn O(N) into a line of slope 1 and O(1) into a flat line, so the legend's slope "
            "reads directly as the exponent; Google Benchmark's own BigO fit is beside it.",
            "## Reproduce", self.reproduce(),
        ]
        return "\n\n".join(s for s in sections if s) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Write report.md for a pollbench run from its wait.json and tcp.json "
                    "(Google Benchmark JSON), embedding the plots pollbench_plot.py drew.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="directory holding wait.json and/or tcp.json")
    parser.add_argument("--out", metavar="FILE", help="where to write the report (default: RUN_DIR/report.md)")
    parser.add_argument("--plots", metavar="DIR", help="where the PNG plots are (default: RUN_DIR)")
    parser.add_argument("--fd-kind", metavar="KIND", help="fd kind of the per-wait tables (default: the one measured most)")
    parser.add_argument("--fit-min-fds", type=int, default=100, metavar="N",
                        help="fit the log-log slope over points with N >= this (default: 100)")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        parser.error(f"RUN_DIR '{run_dir}' is not a directory")
    pr.require_modules("numpy")
    try:
        wait = pr.load_optional(run_dir / "wait.json")
        tcp = pr.load_optional(run_dir / "tcp.json")
        if wait is None and tcp is None:
            raise pr.ResultsError(f"{run_dir}: holds neither wait.json nor tcp.json; run scripts/bench.sh first")
        if args.fd_kind and (wait is None or args.fd_kind not in wait.values("wait", 1)):
            raise pr.ResultsError(f"{run_dir}: no per-wait results for fd kind '{args.fd_kind}'")
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else run_dir / "report.md"
    report = Report(run_dir, wait, tcp, args.fd_kind, args.fit_min_fds)
    text = report.render(Path(args.plots) if args.plots else run_dir, out.parent)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
