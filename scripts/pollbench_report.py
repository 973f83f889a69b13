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
import pollbench_results as pr  # noqa: E402

fmt = pr.format_ns

# The plots pollbench_plot.py draws, in reading order, with what each shows.
PLOTS = [
    ("wait_vs_fds_active1", "Time per wait against the number of watched fds, one of them ready. On log-log axes "
     "a slope of 1 is O(N) and a slope of 0 does not depend on N; the legend gives each backend's fitted slope."),
    ("wait_vs_fds_active*", "The same with many fds ready per wait: the O(ready) part now shows in every backend."),
    ("wait_vs_ready", "Time per wait against the number of ready fds, at a fixed large N."),
    ("epoll_lt_vs_et", "epoll level- against edge-triggered, at one and at many ready fds."),
    ("raw_baseline", "Each backend against the bare system calls it wraps (dashed): the cost of the Poller layer."),
    ("ctl_cost", "Registration cost: one add, modify or remove, against the number of fds already registered."),
    ("wakeup", "Wakeup latency: from a write on one fd by another thread until the wait returns, among N idle "
     "fds; p50 solid, p99 dashed."),
    ("tcp", "TCP server: requests answered per second and the p99 latency, against idle connections."),
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

    def wait_point(self, backend: str, fds: int, active: int) -> pr.Point | None:
        points = self.wait.select("wait", (backend, self.kind), fds=fds, active=active)
        return points[0] if points else None

    def slope(self, backend: str, active: int) -> float | None:
        points = self.wait.select("wait", (backend, self.kind), active=active)
        return pr.fit_loglog_slope([p.params["fds"] for p in points], [p.per_call_ns for p in points],
                                    self.fit_min_fds)

    def headline(self) -> str:
        if self.wait is None or not self.kind:
            return "_This run holds no per-wait results (see Status), so there is no headline._"
        kind = self.kind
        reference = next((b for b in ("epoll_lt", "epoll_et", "io_uring")
                          if self.wait.select("wait", (b, kind), active=1)), None)
        slow = [b for b in ("select", "poll") if self.wait.select("wait", (b, kind), active=1)]
        if reference is None or not slow:
            return "_This run lacks select/poll or an O(ready) backend at 1 ready fd, so there is no headline._"
        # The largest N measured for the reference and at least one of select / poll.
        common = [n for n in self.wait.param_values("wait", "fds", active=1)
                  if self.wait_point(reference, n, 1) and any(self.wait_point(b, n, 1) for b in slow)]
        if not common:
            return "_select/poll and epoll share no N in this run, so there is no headline._"
        n = max(common)
        ref = self.wait_point(reference, n, 1)
        slow = [b for b in slow if self.wait_point(b, n, 1)]
        costs = " and ".join(f"{fmt(self.wait_point(b, n, 1).per_call_ns)} with {b}" for b in slow)
        times = " and ".join(f"{b} {ratio(self.wait_point(b, n, 1).per_call_ns, ref.per_call_ns)}" for b in slow)
        text = (f"**With {n:,} watched {kind}s and 1 ready, the median wait took {costs}, against "
                f"{fmt(ref.per_call_ns)} with {reference}: {times} slower than {reference}.**")
        slopes = [(b, self.slope(b, 1)) for b in slow + [reference]]
        if all(s is not None for _, s in slopes):
            text += (" Fitted on log-log axes for N ≥ " + f"{self.fit_min_fds}, the cost grows as N^slope with slope "
                     + ", ".join(f"{s:.2f} for {b}" for b, s in slopes) + ".")
        reps = max(p.repetitions for p in self.wait.points)
        text += f" (Medians of {reps} repetitions, {pr.machine_title(self.context)}.)"
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
                              if len(self.wait.param_values("wait", "fds", active=a)) >= 2}):
            ns = pick_columns(self.wait.param_values("wait", "fds", active=active))
            rows = []
            for b in backends:
                cells = []
                for n in ns:
                    p = self.wait_point(b, n, active)
                    if p is None:
                        cells.append("–")
                        continue
                    cells.append(" / ".join(fmt(v) for v in (p.counter("p50_ns"), p.counter("p99_ns"), p.mean_ns)))
                if any(c != "–" for c in cells):
                    rows.append([b] + cells)
            if rows:
                ready = "1 ready fd" if active == 1 else f"{active} ready fds"
                out.append(f"**{ready}** ({self.kind}s): p50 / p99 / mean time per wait\n\n"
                           + table(["backend"] + [f"N = {n:,}" for n in ns], rows))
        if not out:
            return "_No per-wait sweep over N in this run._"
        reps = max(p.repetitions for p in self.wait.select("wait"))
        return ("Each cell: the p50 and p99 of single waits from pollbench's histogram (the p50 is what the "
                "headline, the plots and the fitted slopes use), then the mean time per wait that Google Benchmark "
                f"reports; each the median over {reps} repetitions. A mean well above the p50 means rare slow "
                "waits (preemption, interrupts) in that repetition.\n\n"
                + "\n\n".join(out) + self.write_note())

    def write_note(self) -> str:
        """Where readiness work is paid when it is not in the wait: the write that made an fd ready."""
        n_max = max(self.wait.param_values("wait", "fds", active=1), default=None)
        if n_max is None:
            return ""
        rows = []
        for b in self.wait.values("wait", 0):
            p = self.wait_point(b, n_max, 1)
            if p is not None and p.counter("write_ns") is not None:
                rows.append([b, fmt(p.mean_ns), fmt(p.counter("write_ns"))])
        if not rows:
            return ""
        return ("\n\nThe timed interval is the wait alone. The write that makes an fd ready is timed apart "
                "(counter write_ns): epoll queues the fd on its ready list, and io_uring posts the completion, "
                f"inside that write, so their share is there. With N = {n_max:,} and 1 ready:\n\n"
                + table(["backend", "wait (mean)", "write that made it ready (mean)"], rows))

    def kinds_table(self) -> str:
        """The same wait on each fd kind: what the kernel's per-fd poll callback costs differs."""
        kinds = self.wait.values("wait", 1) if self.wait is not None else []
        if len(kinds) < 2:
            return ""
        per_kind = [{p.params["fds"] for p in self.wait.select("wait", (None, k), active=1)} for k in kinds]
        common = set.intersection(*per_kind)
        if not common:
            return ""
        n = max(common)
        rows = []
        for b in self.wait.values("wait", 0):
            cells = []
            for k in kinds:
                pts = self.wait.select("wait", (b, k), fds=n, active=1)
                cells.append(fmt(pts[0].per_call_ns) if pts else "–")
            rows.append([b] + cells)
        return (f"The same wait on each kind of fd, N = {n:,} watched and 1 ready (p50); the tables above use "
                f"{self.kind}s:\n\n" + table(["backend"] + [f"{k}s" for k in kinds], rows))

    def slope_table(self) -> str:
        if self.wait is None or not self.kind:
            return "_No per-wait results in this run._"
        actives = [a for a in self.wait.param_values("wait", "active")
                   if len(self.wait.param_values("wait", "fds", active=a)) >= 2]
        rows = []
        for b in self.wait.values("wait", 0):
            cells = []
            for a in actives:
                points = self.wait.select("wait", (b, self.kind), active=a)
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
        candidates = [n for n in self.wait.param_values("wait", "fds")
                      if len({p.params.get("active") for p in self.wait.select("wait", (None, self.kind), fds=n)}) >= 2]
        if not candidates:
            return ""
        n = max(candidates)
        actives = sorted({p.params["active"] for p in self.wait.select("wait", (None, self.kind), fds=n)
                          if "active" in p.params})
        rows = []
        for b in self.wait.values("wait", 0):
            cells = [fmt(p.per_call_ns) if (p := self.wait_point(b, n, a)) else "–" for a in actives]
            if any(c != "–" for c in cells):
                rows.append([b] + cells)
        return (f"Time per wait (p50) with N = {n:,} watched {self.kind}s, against how many are ready:\n\n"
                + table(["backend"] + [f"{a:,} ready" for a in actives], rows))

    def raw_table(self) -> str:
        if self.wait is None or not self.wait.values("raw", 0):
            return "_No raw-syscall baseline in this run._"
        rows = []
        for mechanism in self.wait.values("raw", 0):
            raw_points = [p for p in self.wait.select("raw", (mechanism,)) if p.params.get("active", 1) == 1]
            n = max(p.params.get("fds", 0) for p in raw_points)
            raw = next(p for p in raw_points if p.params.get("fds", 0) == n)
            kind = raw.labels[1] if len(raw.labels) > 1 else None
            backend = pr.RAW_TO_BACKEND.get(mechanism, mechanism)
            wrapped = self.wait.select("wait", (backend, kind), fds=n, active=1)
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
        return ("Time per call (p50 of single calls, median over repetitions) with N fds already registered:\n\n"
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
                    cells.append(f"{rps_text} / {fmt(pts[0].counter(latency))}")
                    errors = sum(pts[0].counter(c) or 0 for c in ("loadgen_errors", "server_errors"))
                    if errors:
                        troubled.append(f"`{pts[0].run_name}`: {errors:.0f} errors")
                rows.append([b, f"{a}" if a is not None else "–"] + cells)
        text = (f"Requests answered per second / {latency_meaning}, against idle connections "
                "(medians over repetitions):\n\n"
                + table(["backend", "active"] + [f"{i:,} idle" for i in idles], rows))
        if troubled:
            text += ("\n\n**Errors during the run** (loadgen_errors + server_errors), so these points are suspect: "
                     + "; ".join(troubled) + ".")
        return text

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
            sections.append("> **Quick run** (`--quick`): short sweeps with few repetitions, for trying things out. "
                            "Do not cite these numbers; cite a full run.")
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
        ]
        ready = self.ready_table()
        if ready:
            sections += ["## Ready fds at a fixed N", ready]
        sections += [
            "## Poller layer against the bare syscall", self.raw_table(),
            "## Registration cost", self.ctl_table(),
            "## Wakeup latency", self.wakeup_table(),
            "## TCP server", self.tcp_table(),
            "## Plots", self.plots(plot_dir, report_dir),
            "## How to read this",
            "Each benchmark times one call at a time (one wait, one add, ...) with a clock read around exactly "
            "that call and hands the interval to Google Benchmark (manual time); untimed work around it (the "
            "writes that make fds ready, the reads that drain them) stays out. Every call's time goes into "
            "pollbench's histogram (≤1% relative error), whose p50 and p99 each repetition reports beside Google "
            "Benchmark's mean; each benchmark runs several repetitions, and every figure here is the median over "
            "them. The headline, the plots and the slopes use the p50, the typical single call, which a rare "
            "preempted call cannot move; the tables give the mean too. On the plots, bars span the lowest and "
            "highest repetition. "
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
