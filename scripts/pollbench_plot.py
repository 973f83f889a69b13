#!/usr/bin/env python3
"""Draws pollbench's scaling plots (PNG and SVG) from a run's Google Benchmark JSON.

    scripts/pollbench_plot.py results/RUN            # reads RUN/wait.json and RUN/tcp.json (and herd.json,
                                                     # watched.json if there), writes RUN/*.png|svg

Every plot uses one fixed colour and marker per backend (from the run's backend list: see
style()), shows every point it draws inside its axes (a point outside is reported: see
points_outside()), names the machine (CPU, kernel, host) in
its title and says in its axis labels what the numbers are. A plot whose data the run lacks
(e.g. no tcp.json) is skipped with a note; a file that is empty, truncated or not pollbench's
is an error (exit 1).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_analysis as pa  # noqa: E402
import pollbench_herd  # noqa: E402
import pollbench_knee as pk  # noqa: E402
import pollbench_results as pr  # noqa: E402
import pollbench_watched  # noqa: E402

# The palette, colour-blind-safe tab10 hues each with its own marker. A backend's style is the
# entry at its place in the run's factory order (its context's backend_capabilities, else
# pollbench_results' fallback list), so a new backend gets the next entry with no table to edit,
# and today's backends keep their colours: select red, poll orange, epoll_lt blue, epoll_et purple,
# io_uring green, io_uring_plain cyan. Series that are not backends (herd's modes) take the
# palette in their own order through series_styles().
PALETTE = (("#d62728", "o"), ("#ff7f0e", "s"), ("#1f77b4", "^"), ("#9467bd", "v"), ("#2ca02c", "D"),
           ("#17becf", "d"), ("#8c564b", "P"), ("#e377c2", "X"), ("#7f7f7f", "*"), ("#bcbd22", "h"),
           ("#393b79", "<"), ("#ad494a", ">"))


def style(backend: str, source: pr.Run | dict | None = None) -> tuple[str, str]:
    """(colour, marker) of a backend, the same on every plot of a run (and of runs that share
    the factory's order). `source`: the Run or context whose capabilities give the order."""
    order = pr.backend_order(source)
    if backend in order:
        return PALETTE[order.index(backend) % len(PALETTE)]
    # A name the run does not describe still gets one fixed style.
    return PALETTE[sum(map(ord, backend)) % len(PALETTE)]


def series_styles(names) -> dict[str, tuple[str, str]]:
    """One palette entry per name, in the order given (for series that are not backends)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(dict.fromkeys(names))}


def points_outside(fig) -> list[str]:
    """Every data point of `fig`'s lines, error bars, collections and bars that lies outside its
    axes' x or y limits (log scales included: a point that a log axis cannot show, at or below
    zero, counts as outside too). Empty when the figure shows all its data."""
    out = []
    for index, ax in enumerate(fig.axes):
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        x_log, y_log = ax.get_xscale() == "log", ax.get_yscale() == "log"
        slack_x, slack_y = 1e-9 * (abs(x0) + abs(x1)), 1e-9 * (abs(y0) + abs(y1))
        for what, x, y in _data_points(ax):
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            inside = (x0 - slack_x <= x <= x1 + slack_x and y0 - slack_y <= y <= y1 + slack_y
                      and not (x_log and x <= 0) and not (y_log and y <= 0))
            if not inside:
                title = ax.get_title() or f"axes {index}"
                out.append(f"{title}: {what} ({x:g}, {y:g}) outside x {x0:g}..{x1:g}, y {y0:g}..{y1:g}")
    return out


def _data_points(ax):
    """(what, x, y) of everything drawn in data coordinates on `ax`."""
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.patches import Rectangle

    for line in ax.get_lines():
        if line.get_transform() != ax.transData:  # axvline/axhline: one coordinate is the axes'
            continue
        for x, y in zip(line.get_xdata(), line.get_ydata()):
            yield f"line '{line.get_label()}'", float(x), float(y)
    for coll in ax.collections:
        if coll.get_transform() != ax.transData:
            continue
        if isinstance(coll, LineCollection):  # error bars
            for segment in coll.get_segments():
                for x, y in segment:
                    yield "error bar", float(x), float(y)
        elif isinstance(coll, PathCollection):
            for x, y in coll.get_offsets():
                yield "marker", float(x), float(y)
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_transform() == ax.transData:
            yield "bar top", patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height()


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
        self.context = context
        self.formats = formats
        self.fit_min_fds = fit_min_fds
        self.written: list[Path] = []
        self.outside: list[str] = []  # data points a saved figure did not show (points_outside)

    def style(self, backend: str) -> tuple[str, str]:
        return style(backend, self.context)

    # --- helpers ---------------------------------------------------------------------------

    def figure(self, title: str, panels: int = 1, width: float = 8.0, sharey: bool = False, cols: int | None = None):
        """A figure with `panels` axes side by side (`cols` per row; default: all up to three, else
        two per row), titled with the machine."""
        cols = cols or (panels if panels <= 3 else 2)
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
        self.outside += [f"{stem}: {problem}" for problem in points_outside(fig)]
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
        if run.sweep_samples < run.samples:  # the precision phase sampled the cited points further
            return f"median of {run.sweep_samples}–{run.samples} processes, bars: min–max"
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
            colour, marker = self.style(b)
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
        # Below the axes: inside, it would cover the scanning backends' points in the upper middle.
        fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 2.0)
        ax.legend(title=title, title_fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
                  fontsize=8)
        self.save(fig, f"wait_vs_fds_active{active}")

    def wait_vs_ready(self, run: pr.Run, kind: str) -> None:
        ns = pa.crossover_ns(run, kind) or [
            n for n in run.param_values("wait", "fds")
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
                    colour, marker = self.style(b)
                    self.line_with_spread(ax, points, "active", b, colour, marker)
            for b in pa.reference_family(run):
                c = pa.crossover(run, kind, n, b)
                if c is not None and c.active is not None:
                    ax.axvline(c.active, color=self.style(b)[0], linestyle=":", linewidth=1.2,
                               label=f"{b} slower than poll from {c.active:,.0f} ready ({100 * c.fraction:.0f}%)")
            self.log_axes(ax, f"ready fds per wait (log scale), of N = {n:,} watched",
                          f"time per wait (µs, log scale)\np50, {self.spread_label(run)}")
            ax.set_title(f"N = {n:,}")
            # Below the axes: inside, it would cover select's and poll's flat lines at the top.
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=7.5)
        fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 1.6)
        self.save(fig, "wait_vs_ready")

    def position(self, run: pr.Run, kind: str) -> None:
        """Two panels: every backend on a log axis, then the scanning backends (select, poll) on a
        linear one, where their change from first to last is not flattened by the others' 0.1 µs."""
        ns = pa.position_ns(run, kind)
        if not ns:
            note("no position sweep (pos:first/middle/last): skipping position")
            return
        n = ns[-1]
        data = pa.position_table(run, kind, n)
        scanning = [b for b in pa.scanning(run) if b in data]
        fig, axes = self.figure(f"Time per wait against where the one ready fd sits, N = {n:,} {kind}s",
                                panels=2 if scanning else 1, width=8.0)
        self.position_lines(axes[0], data, 1e3)
        self.log_axes(axes[0], "position of the ready fd in scan order", f"time per wait (µs, log scale)\np50, "
                      f"{self.spread_label(run)}", logx=False)
        axes[0].set_title("every backend (log scale)")
        if scanning:
            self.position_lines(axes[1], {b: data[b] for b in scanning}, 1e6)
            axes[1].set_ylim(bottom=0)
            axes[1].set_xlabel("position of the ready fd in scan order")
            axes[1].set_ylabel(f"time per wait (ms, linear)\np50, {self.spread_label(run)}")
            axes[1].set_title(", ".join(scanning) + " (linear scale)")
        for ax in axes:
            ax.set_xticks(range(len(pa.POSITIONS)), list(pa.POSITIONS))
            ax.set_xlim(-0.3, len(pa.POSITIONS) - 0.7)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 1.2)
        fig.tight_layout(rect=(0, 0.2, 1, 1))
        self.save(fig, "position", layout=False)

    def position_lines(self, ax, data: dict, scale: float) -> None:
        xs = list(range(len(pa.POSITIONS)))
        for b, cells in data.items():
            colour, marker = self.style(b)
            for mode, ls in (("block", "-"), ("nonblock", "--")):
                points = [cells.get((mode, q)) for q in pa.POSITIONS]
                if any(p is None for p in points):
                    continue
                ys = [p.per_call_ns / scale for p in points]
                lo = [(p.per_call_ns - p.per_call_spread_ns[0]) / scale for p in points]
                hi = [(p.per_call_spread_ns[1] - p.per_call_ns) / scale for p in points]
                ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker=marker, linestyle=ls, capsize=2.5,
                            markerfacecolor=colour if mode == "block" else "white", linewidth=1.6,
                            label=f"{b}, {'blocking (1 s timeout)' if mode == 'block' else 'timeout 0'}")

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
            colours = [self.style(r.backend)[0] for r in rows]
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
            colour, marker = self.style(b)
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
            colour, marker = self.style(backend)
            self.line_with_spread(ax, raw_points, "fds", f"raw {mechanism}, no Poller layer ({kind}s)", colour, marker,
                                  "--", hollow=True)
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

    def per_fd(self, run: pr.Run, run_dir: Path) -> None:
        """The knee: time per watched fd against N for select and poll, distinct socketpairs (solid)
        against N dup()s of one idle socket (dashed, hollow), ready fd last; one panel per mode.
        The effective cache the run's pointer chase found is marked at the N whose sockets fill
        it, when watched.json measured the kernel memory per socket."""
        if not any(pk.per_fd_series(run, b, "socketpair", m) for b in pk.SCANNING for m in pk.MODES):
            note("no select/poll socketpair points with the ready fd last: skipping per_fd")
            return
        title = ("Time per watched fd: distinct socketpairs against dup()s of one socket (ready fd last)"
                 if pk.has_dup(run) else "Time per watched fd, ready fd last (this run has no dup control)")
        fig, axes = self.figure(title, panels=len(pk.MODES))
        probe = pr.load_probe(run_dir / "probe-start.json") or pr.load_probe(run_dir / "probe-end.json")
        cache = pk.effective_cache(probe)
        per_socket = pk.kernel_bytes_per_socket(run_dir)
        for ax, mode in zip(axes, pk.MODES):
            for b in pk.SCANNING:
                colour, marker = self.style(b)
                for layout in pk.LAYOUTS:
                    series = pk.per_fd_series(run, b, layout, mode)
                    if not series:
                        continue
                    xs, ys = [f.n for f in series], [f.ns for f in series]
                    lo = [max(0.0, f.ns - f.lo) if f.lo is not None else 0.0 for f in series]
                    hi = [max(0.0, f.hi - f.ns) if f.hi is not None else 0.0 for f in series]
                    what = "distinct socketpairs" if layout == "socketpair" else "dup()s of one socket"
                    ax.errorbar(xs, ys, yerr=[lo, hi], label=f"{b}, {what}", color=colour, marker=marker,
                                linestyle="-" if layout == "socketpair" else "--", markersize=5, capsize=2.5,
                                markerfacecolor="white" if layout == "dup" else colour)
            self.log_axes(ax, "watched fds N (log scale)", "time per wait / N (ns per watched fd)\n"
                          "p50, bars: interval of the median over processes", logy=False)
            ax.set_ylim(bottom=0)
            knee = pa.knee(run, pr.main_fd_kind(run) or "socketpair")
            if knee is not None:
                ax.axvspan(knee.below, knee.above, color="grey", alpha=0.12,
                           label=f"knee of the N sweep: {knee.below:,}–{knee.above:,}")
            marks = []
            if cache is not None:
                marks += [(cache.fits, f"pointer chase fits {pk.size_text(cache.fits or 0)}", "grey", ":"),
                          (cache.spills, f"pointer chase spills {pk.size_text(cache.spills or 0)}", "grey", "-.")]
            marks += [(size, f"sysfs {name} {pk.size_text(size)}", "#8c564b", (0, (1, 3)))
                      for name, size in pk.sysfs_caches(probe)]
            lo_x, hi_x = ax.get_xlim()
            for size, what, colour, style in marks if per_socket else []:
                n = size / per_socket if size else 0
                if lo_x <= n <= hi_x:
                    ax.axvline(n, color=colour, linestyle=style, linewidth=1, label=f"{what} ≈ {n:,.0f} sockets")
            ax.set_title("blocking (1 s timeout)" if mode == "block" else "timeout 0")
            ax.set_ylim(0, ax.get_ylim()[1] * 1.5)  # headroom above the lines for the legend
            ax.legend(fontsize=7.5, loc="upper left")
        self.save(fig, "per_fd")

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
                    colour, marker = self.style(b)
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
            colour, marker = self.style(b)
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
        """Requests/s and the latency against idle connections, one panel per active count, each
        panel with its own y range: 1 active runs at a third of 10 or 100 active."""
        backends = run.values("tcp", 0)
        if not backends:
            note("no tcp/* results: skipping tcp")
            return
        latency, latency_meaning = pr.tcp_latency_counter(run)
        reps = max(p.repetitions for p in run.select("tcp"))
        # bench.sh runs tcp in interleaved rounds, one fresh process each, merged as processes.
        unit = "rounds" if run.sample_kind == "processes" else "repetitions"
        spread = f"median of {reps} {unit}, bars: min–max" if reps > 1 else "one repetition: no spread"
        for stem, counter, what, logy in (
                ("tcp", "requests_per_sec", "thousand requests/s (higher is better)", False),
                ("tcp_latency", latency, f"{latency_meaning} (µs, log scale; lower is better)", True)):
            actives = run.param_values("tcp", "active") or [None]
            fig, axes = self.figure(f"TCP server against idle connections, one panel per active count ({spread})",
                                    panels=len(actives))
            for ax, a in zip(axes, actives):
                self.tcp_panel(ax, run, backends, a, counter, what, logy)
            axes[0].legend(loc="best", fontsize=8)
            self.save(fig, stem)

    def tcp_panel(self, ax, run: pr.Run, backends: list[str], active: int | None, counter: str, what: str,
                  logy: bool) -> None:
        from matplotlib.ticker import FuncFormatter

        for b in backends:
            points = sorted((p for p in run.select("tcp", (b,)) if p.params.get("active") == active
                             and "idle" in p.params and p.counter(counter) is not None),
                            key=lambda p: p.params["idle"])
            if not points:
                continue
            colour, marker = self.style(b)
            ys = [p.counter(counter) / 1e3 for p in points]
            samples = [p.counter_samples(counter) for p in points]
            lo = [max(0.0, y - min(v) / 1e3) for y, v in zip(ys, samples)]
            hi = [max(0.0, max(v) / 1e3 - y) for y, v in zip(ys, samples)]
            ax.errorbar([p.params["idle"] for p in points], ys, yerr=[lo, hi], color=colour, marker=marker,
                        label=b, capsize=2.5, markersize=5, linewidth=1.5)
        self.log_axes(ax, "idle connections (symlog scale)", what, logx=False, logy=logy)
        ax.set_xscale("symlog", linthresh=100)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        # Limits set after the scale: the linear autoscale's margins would reach -1,000 on symlog, and
        # put the largest idle count on the right edge.
        ax.set_xlim(-30, max(run.param_values("tcp", "idle") or [100]) * 1.5)
        if not logy:  # after this panel's own lines are drawn: the top fits them
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.05)
        ax.set_title(f"{active} active connection{'' if active == 1 else 's'}" if active is not None else "all")

    def herd(self, run: pr.Run) -> None:
        """herd_bench: per arrival pattern, returns from a wait and kernel wakeups per accepted
        connection and the busiest thread's share, against the number of accepting threads."""
        import pollbench_herd as ph

        panels = (("wakeups_per_conn", "returns from a wait\nper connection"),
                  ("kernel_wakeups_per_conn", "times woken in the kernel\nper connection (returned or not)"),
                  ("busiest_share", "busiest thread's share\nof connections"))
        arrivals, threads = ph.arrivals(run), ph.threads(run)
        styles = series_styles(ph.modes(run))
        fig, axes = self.figure("Thundering herd: T threads accepting on one port",
                                panels=len(panels) * len(arrivals), cols=len(panels))
        for ax, (arrival, (counter, label)) in zip(axes, [(a, c) for a in arrivals for c in panels]):
            for mode, (colour, marker) in styles.items():
                points = [(t, p.counter(counter)) for t in threads if (p := ph.point(run, mode, arrival, t))]
                if points:
                    ax.plot(*zip(*points), marker=marker, color=colour, label=mode)
            if counter == "busiest_share":
                ax.plot(threads, [1 / t for t in threads], color="black", linestyle=":", linewidth=1,
                        label="even (1/T)")
                ax.set_ylim(0, 1.05)
            else:
                ax.set_yscale("log", base=2)
            ax.set_xscale("log", base=2)
            ax.set_xticks(threads, [str(t) for t in threads])
            ax.set_xlabel("accepting threads T")
            ax.set_ylabel(label)
            ax.set_title(f"{arrival} arrivals")
        axes[len(panels) - 1].legend(fontsize=7.5, loc="upper right")
        self.save(fig, "herd")

    def watched(self, run: pr.Run, wait: pr.Run | None) -> None:
        """watched_bench: the time per wait of the kernel-interest backends up to N watched files,
        beside select and poll from wait_bench up to the fd limit."""
        fig, (ax,) = self.figure("Waiting past the fd limit: epoll and io_uring watch files, not fd numbers")
        import pollbench_watched as pw

        for b in run.values("wait_watched", 0):
            colour, marker = self.style(b)
            self.line_with_spread(ax, pw.wait_points(run, b), "watched", f"{b} (watched files)", colour, marker)
        if wait is not None:
            kind = "socketpair" if "socketpair" in wait.values("wait", 1) else pr.main_fd_kind(wait)
            # The backends that keep their own fd array cannot pass the fd limit: they stop at it.
            for b in pr.backends_where(run, interest="user_array"):
                points = wait.sweep("wait", (b, kind), active=1)
                if points:
                    colour, marker = self.style(b)
                    self.line_with_spread(ax, points, "fds", f"{b} ({kind} fds, wait_bench)", colour, marker,
                                          linestyle="--", hollow=True)
        self.log_axes(ax, "watched sockets N (log scale)",
                      "time per wait, 1 ready (µs, log scale)\np50, median over repetitions, bars: min–max")
        limit = run.context.get("fd_limit")
        if limit:
            ax.axvline(float(limit), color="grey", linestyle=":")
            ax.annotate(f"fd limit {int(float(limit)):,}: select and poll stop", (float(limit), ax.get_ylim()[0]),
                        rotation=90, va="bottom", ha="right", fontsize=8, color="grey")
        ax.legend(fontsize=8, loc="upper left")
        self.save(fig, "watched")


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


def draw_all(plotter: Plotter, run_dir: Path, wait_run: pr.Run | None, tcp_run: pr.Run | None,
             fd_kind: str | None = None) -> None:
    """Every plot the run has the data for: wait_bench's, tcp_bench's, and herd.json's and
    watched.json's when they are in run_dir. Raises pr.ResultsError on a bad file."""
    if wait_run is not None:
        if wait_run.values("wait", 1):
            kind = pick_fd_kind(wait_run, fd_kind)
            for active in sweep_actives(wait_run, kind):
                plotter.wait_vs_fds(wait_run, kind, active)
            plotter.wait_vs_ready(wait_run, kind)
            plotter.position(wait_run, kind)
            plotter.readiness_cycle(wait_run, kind)
            plotter.epoll_lt_vs_et(wait_run, kind)
            plotter.per_fd(wait_run, run_dir)
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
    if (run_dir / "herd.json").exists():
        plotter.herd(pollbench_herd.load(run_dir / "herd.json"))
    if (run_dir / "watched.json").exists():
        plotter.watched(pollbench_watched.load(run_dir / "watched.json"), wait_run)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Draw pollbench's plots from a run directory's wait.json and tcp.json "
                    "(Google Benchmark JSON written by wait_bench and tcp_bench).",
        epilog="Plots: wait_vs_fds_active1, wait_vs_fds_active<A> (the largest A), wait_vs_ready, position, "
               "readiness_cycle, epoll_lt_vs_et, per_fd (the knee, with the dup control), raw_baseline, ctl_cost, "
               "wakeup, tcp, tcp_latency, and herd and "
               "watched when RUN_DIR holds herd.json and watched.json; each in every --formats (PNG and SVG). "
               "Needs matplotlib and numpy "
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
        plotter = Plotter(out_dir, (wait_run or tcp_run).context, formats, args.fit_min_fds)
        draw_all(plotter, run_dir, wait_run, tcp_run, args.fd_kind)
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for problem in plotter.outside:
        note(f"a point lies outside its axes: {problem}")
    for path in plotter.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
