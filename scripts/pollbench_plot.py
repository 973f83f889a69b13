#!/usr/bin/env python3
"""Draws pollbench's scaling plots (PNG and SVG) from a run's Google Benchmark JSON.

    scripts/pollbench_plot.py results/RUN            # reads RUN/wait.json and RUN/tcp.json, writes RUN/*.png|svg

Every plot uses one fixed colour and marker per backend, names the machine (CPU, kernel, host) in
its title and says in its axis labels what the numbers are. A plot whose data the run lacks
(e.g. no tcp.json) is skipped with a note; a file that is empty, truncated or not pollbench's
is an error (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_analysis as pa  # noqa: E402
import pollbench_herd  # noqa: E402
import pollbench_results as pr  # noqa: E402
import pollbench_watched  # noqa: E402

# One colour and marker per backend, the same in every plot (colour-blind-safe tab10 hues).
BACKEND_STYLE = {
    "select": ("#d62728", "o"),
    "poll": ("#ff7f0e", "s"),
    "epoll_lt": ("#1f77b4", "^"),
    "epoll_et": ("#9467bd", "v"),
    "io_uring": ("#2ca02c", "D"),
    "io_uring_plain": ("#17becf", "d"),
}
_SPARE_STYLES = [("#8c564b", "P"), ("#e377c2", "X"), ("#7f7f7f", "*"), ("#bcbd22", "h"), ("#393b79", "<")]


def style(backend: str) -> tuple[str, str]:
    if backend in BACKEND_STYLE:
        return BACKEND_STYLE[backend]
    # An unknown name still gets the same style on every plot of the run.
    return _SPARE_STYLES[sum(map(ord, backend)) % len(_SPARE_STYLES)]


class Plotter:
    def __init__(self, out_dir: Path, context: dict, formats: list[str], fit_min_fds: int):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt
        plt.rcParams.update({
            "figure.dpi": 100, "savefig.dpi": 150, "font.size": 10, "axes.titlesize": 11,
            "legend.fontsize": 8.5, "axes.grid": True, "grid.alpha": 0.3, "svg.fonttype": "none",
        })
        self.out_dir = out_dir
        self.machine = pr.machine_title(context)
        self.formats = formats
        self.fit_min_fds = fit_min_fds
        self.written: list[Path] = []

    # --- helpers ---------------------------------------------------------------------------

    def figure(self, title: str, panels: int = 1, width: float = 8.0, sharey: bool = False):
        """A figure with `panels` axes side by side (two per row beyond three), titled with the machine."""
        cols = panels if panels <= 3 else 2
        rows = -(-panels // cols)
        size = (width, 5.4) if panels == 1 else (5.2 * cols, 4.6 * rows + 0.8)
        fig, axes = self.plt.subplots(rows, cols, figsize=size, squeeze=False, sharey=sharey)
        fig.suptitle(f"{title}\n{self.machine}", fontsize=11)
        axes = [ax for row in axes for ax in row]
        for spare in axes[panels:]:
            spare.remove()
        return fig, axes[:panels]

    def save(self, fig, stem: str, layout: bool = True) -> None:
        if layout:
            fig.tight_layout()
        for fmt in self.formats:
            path = self.out_dir / f"{stem}.{fmt}"
            fig.savefig(path, format=fmt)
            self.written.append(path)
        self.plt.close(fig)

    @staticmethod
    def log_axes(ax, xlabel: str, ylabel: str, logx: bool = True, logy: bool = True) -> None:
        """Log scales with plain tick labels (10,000 and 0.25, not 10^4 and 2.5x10^-1)."""
        import math

        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:.3g}")
        for axis, is_log, scale in ((ax.xaxis, logx, ax.set_xscale), (ax.yaxis, logy, ax.set_yscale)):
            if not is_log:
                continue
            scale("log")
            axis.set_major_formatter(plain)
            low, high = axis.get_view_interval()
            decades = math.log10(high / low) if low > 0 and high > low else 0.0
            if decades < 1:  # less than a decade shown: label the minor ticks too, or there are no numbers
                axis.set_minor_formatter(plain)
            else:
                axis.set_minor_formatter(NullFormatter())
                if decades < 3:  # few decades: label 1, 2, 5 of each
                    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="minor", alpha=0.12)

    def line_with_spread(self, ax, points, x_key: str, label: str, colour: str, marker: str,
                         linestyle: str = "-", hollow: bool = False) -> None:
        """Per-call p50 (median over repetitions), with min-max over repetitions as error bars, in µs."""
        points = sorted(points, key=lambda p: p.params[x_key])
        xs = [p.params[x_key] for p in points]
        ys = [p.per_call_ns / 1e3 for p in points]
        lo = [max(0.0, (p.per_call_ns - p.per_call_spread_ns[0]) / 1e3) for p in points]
        hi = [max(0.0, (p.per_call_spread_ns[1] - p.per_call_ns) / 1e3) for p in points]
        ax.errorbar(xs, ys, yerr=[lo, hi], label=label, color=colour, marker=marker, linestyle=linestyle,
                    markersize=5, capsize=2.5, linewidth=1.6,
                    markerfacecolor="white" if hollow else colour)

    def fit_label(self, run: pr.Run, points) -> str:
        """'slope 0.98, BigO 3.1 ns·N' for the legend: our log-log fit of the per-call p50, and Google
        Benchmark's fit of its mean times."""
        slope = pr.fit_loglog_slope([p.params["fds"] for p in points], [p.per_call_ns for p in points],
                                    self.fit_min_fds)
        parts = [f"slope {slope:.2f}" if slope is not None else f"slope n/a (<2 points with N≥{self.fit_min_fds})"]
        families = [p.family_index for p in points]
        family = max(set(families), key=families.count) if families else None
        fitted = run.complexity.get(family)
        if fitted is not None:
            term = "" if fitted.big_o == "(1)" else f"·{fitted.big_o}"
            parts.append(f"BigO {pr.format_ns(fitted.coefficient_ns)}{term}")
        return ", ".join(parts)

    # --- the plots -------------------------------------------------------------------------

    def spread_label(self, run: pr.Run) -> str:
        return f"median of {run.samples} {run.sample_kind}, bars: min–max"

    def wait_vs_fds(self, run: pr.Run, kind: str, active: int) -> None:
        backends = [b for b in run.values("wait", 0) if len(run.sweep("wait", (b, kind), active=active)) > 0]
        if not backends:
            note(f"no wait/*/{kind}/.../active:{active} results: skipping wait_vs_fds_active{active}")
            return
        # A backend whose wait leaves work to the writing thread is marked, so its line is not read as
        # the whole cost (decided from the data: pollbench_analysis.offloaded).
        offloaded = {o.backend for o in pa.offloaded(run, kind)} if active == 1 else set()
        ready = "1 ready fd" if active == 1 else f"{active} ready fds"
        fig, (ax,) = self.figure(f"Time per wait against watched fds, {ready} ({kind}s, blocking wait)")
        for b in backends:
            points = run.sweep("wait", (b, kind), active=active)
            colour, marker = style(b)
            label = f"{b}: {self.fit_label(run, points)}"
            if b in offloaded:
                label = f"{b} †: {self.fit_label(run, points)}"
            self.line_with_spread(ax, points, "fds", label, colour, marker,
                                  linestyle=":" if b in offloaded else "-", hollow=b in offloaded)
        self.log_axes(ax, "watched fds N (log scale)",
                      f"time per wait (µs, log scale)\np50 of single waits, {self.spread_label(run)}")
        title = f"backend: log-log slope of the p50 for N≥{self.fit_min_fds}, Google Benchmark's BigO of the mean"
        if offloaded:
            title += "\n† its wait excludes work the writing thread pays for (see readiness_cycle)"
        ax.legend(title=title, title_fontsize=8.5, loc="upper left")
        self.save(fig, f"wait_vs_fds_active{active}")

    def wait_vs_ready(self, run: pr.Run, kind: str) -> None:
        ns = pa.crossover_ns(run, kind) or [n for n in run.param_values("wait", "fds")
                                            if len({p.params.get("active") for p in run.sweep("wait", (None, kind), fds=n)}) >= 2][-1:]
        if not ns:
            note(f"no wait/*/{kind} results with several active counts at one N: skipping wait_vs_ready")
            return
        ns = ns[-2:]
        fig, axes = self.figure(f"Time per wait against ready fds ({kind}s, blocking wait, ready fds spread evenly)",
                                panels=len(ns))
        for ax, n in zip(axes, ns):
            for b in run.values("wait", 0):
                points = [p for p in run.sweep("wait", (b, kind), fds=n) if "active" in p.params]
                if points:
                    colour, marker = style(b)
                    self.line_with_spread(ax, points, "active", b, colour, marker)
            for b in pa.reference_family(run):
                c = pa.crossover(run, kind, n, b)
                if c is not None and c.active is not None:
                    ax.axvline(c.active, color=style(b)[0], linestyle=":", linewidth=1.2,
                               label=f"{b} slower than poll from {c.active:,.0f} ready ({100 * c.fraction:.0f}%)")
            self.log_axes(ax, f"ready fds per wait (log scale), of N = {n:,} watched",
                          f"time per wait (µs, log scale)\np50, {self.spread_label(run)}")
            ax.set_title(f"N = {n:,}")
            ax.legend(loc="upper left", fontsize=7.5)
        self.save(fig, "wait_vs_ready")

    def position(self, run: pr.Run, kind: str) -> None:
        ns = pa.position_ns(run, kind)
        if not ns:
            note("no position sweep (pos:first/middle/last): skipping position")
            return
        n = ns[-1]
        data = pa.position_table(run, kind, n)
        fig, (ax,) = self.figure(f"Time per wait against where the one ready fd sits, N = {n:,} {kind}s")
        xs = list(range(len(pa.POSITIONS)))
        for b, cells in data.items():
            colour, marker = style(b)
            for mode, ls in (("block", "-"), ("nonblock", "--")):
                points = [cells.get((mode, q)) for q in pa.POSITIONS]
                if any(p is None for p in points):
                    continue
                ys = [p.per_call_ns / 1e3 for p in points]
                lo = [(p.per_call_ns - p.per_call_spread_ns[0]) / 1e3 for p in points]
                hi = [(p.per_call_spread_ns[1] - p.per_call_ns) / 1e3 for p in points]
                ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker=marker, linestyle=ls, capsize=2.5,
                            markerfacecolor=colour if mode == "block" else "white", linewidth=1.6,
                            label=f"{b}, {'blocking (1 s timeout)' if mode == 'block' else 'timeout 0'}")
        self.log_axes(ax, "position of the ready fd in scan order", f"time per wait (µs, log scale)\np50, "
                      f"{self.spread_label(run)}", logx=False)
        ax.set_xticks(xs, [f"{q}" for q in pa.POSITIONS])
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
        self.save(fig, "position")

    def readiness_cycle(self, run: pr.Run, kind: str) -> None:
        ns = pa.cycle_ns(run, kind)
        if not ns:
            note("no write_ns counter in the waits: skipping readiness_cycle")
            return
        offloaded = {o.backend for o in pa.offloaded(run, kind)}
        fig, axes = self.figure(f"One readiness round trip, 1 ready ({kind}s): the writer's write() and the wait",
                                panels=len(ns))
        for ax, n in zip(axes, ns):
            rows = pa.cycle(run, kind, n)
            names = [r.backend + (" †" if r.backend in offloaded else "") for r in rows]
            xs = list(range(len(rows)))
            writes = [r.write_ns / 1e3 for r in rows]
            waits = [r.wait_ns / 1e3 for r in rows]
            colours = [style(r.backend)[0] for r in rows]
            ax.bar(xs, writes, color=colours, alpha=0.45, hatch="//", edgecolor="black", linewidth=0.5)
            ax.bar(xs, waits, bottom=writes, color=colours, edgecolor="black", linewidth=0.5)
            for x, r in zip(xs, rows):
                ax.annotate(f"{pr.format_ns(r.total_ns)}\nwriter {100 * r.write_ns / r.total_ns:.0f}%",
                            (x, r.total_ns / 1e3), ha="center", va="bottom", fontsize=7.5)
            ax.set_xticks(xs, names, rotation=20)
            totals = [r.total_ns / 1e3 for r in rows]
            if max(totals) > 50 * min(totals):  # select/poll at large N dwarf the rest: log, every segment shown
                ax.set_yscale("log")
                ax.set_ylim(bottom=min(writes) / 2, top=max(totals) * 8)
                ax.set_ylabel("µs per round trip (mean), log scale")
            else:
                ax.set_ylim(top=max(totals) * 1.25)
                ax.set_ylabel("µs per round trip (mean)")
            ax.set_title(f"N = {n:,} watched")
        from matplotlib.patches import Patch

        fig.legend(handles=[Patch(facecolor="#bbbbbb", hatch="//", edgecolor="black",
                                  label="writer: the write() that makes the fd ready (counter write_ns)"),
                            Patch(facecolor="#555555", edgecolor="black", label="waiter: the wait")]
                   + ([Patch(facecolor="white", edgecolor="white",
                             label="† its wait excludes work the writing thread pays for")] if offloaded else []),
                   loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        self.save(fig, "readiness_cycle", layout=False)

    def epoll_lt_vs_et(self, run: pr.Run, kind: str) -> None:
        """One mechanism's level- against its edge-triggered backend (epoll_lt, epoll_et)."""
        pair = pa.trigger_pair(run)
        if pair is None:
            note("no mechanism with a level- and an edge-triggered O(ready) backend: skipping epoll_lt_vs_et")
            return
        family, level, edge = pair
        actives = sorted({p.params.get("active") for b in (level, edge)
                          for p in run.sweep("wait", (b, kind)) if len(run.sweep("wait", (b, kind),
                                                                               active=p.params.get("active"))) >= 3})
        if not actives or not run.sweep("wait", (level, kind)) or not run.sweep("wait", (edge, kind)):
            note(f"wait results lack {level} or {edge}: skipping {family}_lt_vs_et")
            return
        shown = [a for a in (actives[0], actives[-1]) if a is not None]
        shown = sorted(set(shown))
        linestyles = ["-", "--"]
        fig, (ax,) = self.figure(f"{family} level- against edge-triggered ({kind}s)")
        for b in (level, edge):
            colour, marker = style(b)
            for a, ls in zip(shown, linestyles):
                points = run.sweep("wait", (b, kind), active=a)
                if points:
                    self.line_with_spread(ax, points, "fds", f"{b}, {a} ready", colour, marker, ls, hollow=(ls != "-"))
        self.log_axes(ax, "watched fds N (log scale)",
                      f"time per wait (µs, log scale)\np50 of single waits, {self.spread_label(run)}")
        ax.legend(loc="upper left")
        self.save(fig, "epoll_lt_vs_et")

    def raw_baseline(self, run: pr.Run) -> None:
        mechanisms = run.values("raw", 0)
        if not mechanisms:
            note("no raw/* results: skipping raw_baseline")
            return
        fig, axes = self.figure("Poller backend against the bare syscall (1 ready fd)", panels=len(mechanisms))
        for ax, mechanism in zip(axes, mechanisms):
            raw_points = [p for p in run.sweep("raw", (mechanism,)) if p.params.get("active", 1) == 1]
            if not raw_points:
                continue
            kind = raw_points[0].labels[1] if len(raw_points[0].labels) > 1 else None
            backend = pr.raw_backend(mechanism, run)
            colour, marker = style(backend)
            self.line_with_spread(ax, raw_points, "fds", f"raw {mechanism}, no Poller layer ({kind}s)", colour, marker, "--", hollow=True)
            wrapped = run.sweep("wait", (backend, kind), active=1)
            wrapped_kind = kind
            if not wrapped:  # the backend was not run on that fd kind: show what there is, and say so
                wrapped = run.sweep("wait", (backend, None), active=1)
                wrapped_kind = wrapped[0].labels[1] if wrapped else None
                wrapped = [p for p in wrapped if p.labels[1:2] == (wrapped_kind,)]
            if wrapped:
                self.line_with_spread(ax, wrapped, "fds", f"pollbench {backend} ({wrapped_kind}s)", colour, marker)
            self.log_axes(ax, "watched fds N (log scale)", "time per wait (µs, log scale), p50")
            ax.set_title(mechanism)
            ax.legend(loc="upper left")
        self.save(fig, "raw_baseline")

    def ctl_cost(self, run: pr.Run) -> None:
        ops = [op for op in ("add", "modify", "remove") if run.select("ctl", (None, op))]
        ops += [op for op in run.values("ctl", 1) if op not in ops]
        if not ops:
            note("no ctl/* results: skipping ctl_cost")
            return
        fig, axes = self.figure("Registration cost per call", panels=len(ops), sharey=True)
        for ax, op in zip(axes, ops):
            for b in run.values("ctl", 0):
                points = [p for p in run.select("ctl", (b, op)) if "fds" in p.params]
                if points:
                    colour, marker = style(b)
                    self.line_with_spread(ax, points, "fds", b, colour, marker)
            self.log_axes(ax, "fds already watched N (log scale)", f"time per {op} (µs, log scale), p50")
            ax.set_title(op)
        axes[0].legend(loc="best")  # the panels share backends and colours
        self.save(fig, "ctl_cost")

    def wakeup(self, run: pr.Run) -> None:
        backends = run.values("wakeup", 0)
        if not backends:
            note("no wakeup/* results: skipping wakeup")
            return
        fig, (ax,) = self.figure("Wakeup latency (write on one fd to return from wait) against idle fds")
        for b in backends:
            points = sorted((p for p in run.select("wakeup", (b,)) if "fds" in p.params), key=lambda p: p.params["fds"])
            colour, marker = style(b)
            xs = [p.params["fds"] for p in points]
            p50 = [p.per_call_ns / 1e3 for p in points]
            ax.plot(xs, p50, color=colour, marker=marker, linestyle="-", label=f"{b} p50", markersize=5)
            p99 = [p.counter("p99_ns") for p in points]
            if all(v is not None for v in p99):
                ax.plot(xs, [v / 1e3 for v in p99], color=colour, marker=marker, linestyle="--",
                        markerfacecolor="white", label=f"{b} p99", markersize=5)
        self.log_axes(ax, "idle watched fds N (log scale)", "wakeup latency (µs, log scale)\nsolid: p50, dashed: p99")
        ax.legend(loc="upper left", ncol=2)
        self.save(fig, "wakeup")

    def tcp(self, run: pr.Run) -> None:
        backends = run.values("tcp", 0)
        if not backends:
            note("no tcp/* results: skipping tcp")
            return
        from matplotlib.ticker import FuncFormatter

        latency, latency_meaning = pr.tcp_latency_counter(run)
        reps = max(p.repetitions for p in run.select("tcp"))
        spread = f"median of {reps} repetitions, bars: min–max" if reps > 1 else "one repetition: no spread"
        for stem, counter, what, scale, logy in (
                ("tcp", "requests_per_sec", "thousand requests/s (higher is better)", 1e3, False),
                ("tcp_latency", latency, f"{latency_meaning} (µs, log scale; lower is better)", 1e3, True)):
            actives = run.param_values("tcp", "active") or [None]
            fig, axes = self.figure(f"TCP server against idle connections, one panel per active count ({spread})",
                                    panels=len(actives), sharey=not logy)
            for ax, a in zip(axes, actives):
                for b in backends:
                    points = sorted((p for p in run.select("tcp", (b,)) if p.params.get("active") == a
                                     and "idle" in p.params and p.counter(counter) is not None),
                                    key=lambda p: p.params["idle"])
                    if not points:
                        continue
                    colour, marker = style(b)
                    xs = [p.params["idle"] for p in points]
                    ys = [p.counter(counter) / scale for p in points]
                    samples = [p.counter_samples(counter) for p in points]
                    lo = [max(0.0, y - min(v) / scale) for y, v in zip(ys, samples)]
                    hi = [max(0.0, max(v) / scale - y) for y, v in zip(ys, samples)]
                    ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker=marker, label=b, capsize=2.5,
                                markersize=5, linewidth=1.5)
                self.log_axes(ax, "idle connections (symlog scale)", what, logx=False, logy=logy)
                ax.set_xscale("symlog", linthresh=100)
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
                if not logy:
                    ax.set_ylim(bottom=0)
                ax.set_title(f"{a} active connections" if a is not None else "all")
            axes[0].legend(loc="best", fontsize=8)
            self.save(fig, stem)


def note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def pick_fd_kind(run: pr.Run, wanted: str | None) -> str:
    kinds = run.values("wait", 1)
    if wanted:
        if wanted not in kinds:
            raise pr.ResultsError(f"{run.path}: no wait results for fd kind '{wanted}' (it has: {', '.join(kinds)})")
        return wanted
    return pr.main_fd_kind(run)


def sweep_actives(run: pr.Run, kind: str) -> list[int]:
    """The ready counts to draw against N: 1, and 100 (else the largest one swept over N)."""
    swept = [a for a in run.param_values("wait", "active")
             if len({p.params.get("fds") for p in run.sweep("wait", (None, kind), active=a)}) >= 2]
    many = [a for a in swept if a > 1]
    return [1] + ([100] if 100 in many else many[-1:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Draw pollbench's plots from a run directory's wait.json and tcp.json "
                    "(Google Benchmark JSON written by wait_bench and tcp_bench).",
        epilog="Plots: wait_vs_fds_active1, wait_vs_fds_active<A> (the largest A), wait_vs_ready, position, "
               "readiness_cycle, epoll_lt_vs_et, raw_baseline, ctl_cost, wakeup, tcp, tcp_latency; each as PNG and SVG. Needs matplotlib and numpy "
               "(Debian: apt-get install python3-matplotlib python3-numpy; they serve /usr/bin/python3).")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="directory holding wait.json and/or tcp.json")
    parser.add_argument("--out", metavar="DIR", help="where to write the plots (default: RUN_DIR)")
    parser.add_argument("--wait", metavar="FILE", help="per-wait results (default: RUN_DIR/wait.json)")
    parser.add_argument("--tcp", metavar="FILE", help="TCP results (default: RUN_DIR/tcp.json)")
    parser.add_argument("--fd-kind", metavar="KIND",
                        help="fd kind of the per-wait plots: pipe, socketpair or tcp (default: the one measured most)")
    parser.add_argument("--fit-min-fds", type=int, default=100, metavar="N",
                        help="fit the log-log slope over points with N >= this (default: 100)")
    parser.add_argument("--formats", default="png,svg", help="comma-separated image formats (default: png,svg)")
    args = parser.parse_args(argv)

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        parser.error(f"RUN_DIR '{run_dir}' is not a directory")
    out_dir = Path(args.out) if args.out else run_dir
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("png", "svg", "pdf")]
    if unknown or not formats:
        parser.error(f"--formats takes png, svg and/or pdf, not '{args.formats}'")
    pr.require_modules("matplotlib", "numpy")

    try:
        wait_run = pr.load_optional(args.wait or run_dir / "wait.json")
        tcp_run = pr.load_optional(args.tcp or run_dir / "tcp.json")
        if wait_run is None and tcp_run is None:
            raise pr.ResultsError(f"{run_dir}: holds neither wait.json nor tcp.json; run scripts/bench.sh first")
        out_dir.mkdir(parents=True, exist_ok=True)
        context = (wait_run or tcp_run).context
        plotter = Plotter(out_dir, context, formats, args.fit_min_fds)
        if wait_run is not None:
            kinds = wait_run.values("wait", 1)
            if kinds:
                kind = pick_fd_kind(wait_run, args.fd_kind)
                for active in sweep_actives(wait_run, kind):
                    plotter.wait_vs_fds(wait_run, kind, active)
                plotter.wait_vs_ready(wait_run, kind)
                plotter.position(wait_run, kind)
                plotter.readiness_cycle(wait_run, kind)
                plotter.epoll_lt_vs_et(wait_run, kind)
            else:
                note(f"{wait_run.path}: no wait/* results: skipping the per-wait plots")
            plotter.raw_baseline(wait_run)
            plotter.ctl_cost(wait_run)
            plotter.wakeup(wait_run)
        else:
            note(f"no {run_dir / 'wait.json'}: skipping the per-wait, ctl, wakeup and raw plots")
        if tcp_run is not None:
            plotter.tcp(tcp_run)
        else:
            note(f"no {run_dir / 'tcp.json'}: skipping the TCP plot")
        # herd.json and watched.json have plotting modules of their own; PNG only.
        if (run_dir / "herd.json").exists():
            results, herd_context = pollbench_herd.load(run_dir / "herd.json")
            pollbench_herd.plot(results, herd_context, out_dir / "herd.png")
            plotter.written.append(out_dir / "herd.png")
        if (run_dir / "watched.json").exists():
            wait_rows = json.loads(Path(wait_run.path).read_text())["benchmarks"] if wait_run is not None else None
            pollbench_watched.plot(pollbench_watched.load(run_dir / "watched.json"), wait_rows, out_dir / "watched.png")
            plotter.written.append(out_dir / "watched.png")
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for path in plotter.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
