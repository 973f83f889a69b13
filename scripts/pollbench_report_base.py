"""What every section of report.md shares: the run it reads (ReportInput), the Section record
that pollbench_report.py lists in reading order, the figures and their captions, and the
markdown helpers (tables, ratios, spreads, intervals).

A section is a function ReportInput -> markdown (empty: the section is left out), in a module
of its own kind (pollbench_report_wait.py, ..._layers, ..._servers, ..._surprises, ..._meta,
..._summary), so each can be rendered and tested alone on a fixture run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import pollbench_analysis as pa
import pollbench_results as pr

fmt = pr.format_ns

# Each figure pollbench_plot.py draws, with its caption. A section names the stems it shows.
FIGURES = {
    "wait_vs_fds_active1": "Time per wait against the number of watched fds, one of them ready. On log-log axes a "
    "slope of 1 is O(N) and a slope of 0 does not depend on N; the legend gives each backend's fitted slope. A "
    "backend marked † leaves part of its readiness work to the writing thread (see the readiness cycle).",
    "wait_vs_fds_active*": "The same with many fds ready per wait: the O(ready) part now shows in every backend.",
    "wait_vs_ready": "Time per wait against the number of ready fds, at each N of the dense ready sweep; the dotted "
    "lines mark where epoll becomes slower than poll.",
    "position": "Time per wait with one ready fd against where it sits in scan order, blocking (1 s timeout, solid) "
    "and non-blocking (timeout 0, dashed); right: select and poll on a linear axis.",
    "readiness_cycle": "One readiness round trip: the writer's write() that makes the fd ready (hatched) and the "
    "waiter's wait, stacked, at the smallest and the largest N.",
    "epoll_lt_vs_et": "epoll level- against edge-triggered, at one and at many ready fds.",
    "per_fd": "Time per watched fd (p50 / N) against N for select and poll, ready fd last: distinct socketpairs "
    "(solid) against N dup()s of one idle socket (dashed), blocking and timeout 0; the shaded band is the knee of "
    "the N sweep, the vertical lines the effective cache the pointer chase measured, converted to sockets at the "
    "kernel memory per socket watched_bench measured (when the run has both).",
    "raw_baseline": "Each backend against the bare system calls it wraps (dashed): the cost of the Poller layer.",
    "ctl_cost": "Registration cost: one add, modify or remove, against the number of fds already registered.",
    "wakeup": "Wakeup latency: from a write on one fd by another thread until the wait returns, among N idle fds; "
    "p50 solid, p99 dashed.",
    "tcp": "TCP server: requests answered per second against idle connections, one panel per active count, each "
    "with its own y axis; bars span the repetitions (each a fresh server and load generator).",
    "tcp_latency": "TCP server: the p99 latency against idle connections, one panel per active count.",
    "herd": "Threads sharing one listening socket: returns from a wait and kernel wakeups per accepted connection, "
    "and the busiest thread's share, against the number of threads, per mode (docs/herd.md).",
    "watched": "Time per wait past the fd limit: epoll and io_uring watching up to N sockets that helper processes "
    "hold open, beside select and poll, which stop at the fd limit (docs/watched.md).",
}


@dataclass
class ReportInput:
    """The run a report describes, and the choices that shape it."""

    run_dir: Path
    wait: pr.Run | None
    tcp: pr.Run | None
    kind: str | None = None  # the fd kind of the per-wait tables (default: the one measured most)
    fit_min_fds: int = 100  # slopes are fitted over N >= this
    knee_fds: int | None = None  # the last N below the knee (None: found from the data, pa.knee)
    plot_dir: Path | None = None  # where the PNGs are (default: run_dir)
    report_dir: Path | None = None  # where report.md goes, for relative links (default: run_dir)

    def __post_init__(self):
        if self.wait is not None and self.kind is None:
            self.kind = pr.main_fd_kind(self.wait)
        self.plot_dir = Path(self.plot_dir or self.run_dir)
        self.report_dir = Path(self.report_dir or self.run_dir)

    @property
    def context(self) -> dict:
        return (self.wait or self.tcp).context

    @property
    def has_waits(self) -> bool:
        return self.wait is not None and bool(self.kind)

    def wait_point(self, backend: str, fds: int, active: int, mode: str = "block",
                   pos: str = "spread") -> pr.Point | None:
        return pa.point(self.wait, "wait", backend, self.kind, fds, active, mode, pos)

    def slope(self, backend: str, active: int, max_fds: int | None = None, min_fds: int | None = None) -> float | None:
        points = self.wait.sweep("wait", (backend, self.kind), active=active)
        return pr.fit_loglog_slope([p.params["fds"] for p in points], [p.per_call_ns for p in points],
                                   self.fit_min_fds if min_fds is None else min_fds, max_fds)

    def knee(self) -> pa.Knee | None:
        return pa.knee(self.wait, self.kind, self.fit_min_fds, self.knee_fds) if self.has_waits else None

    @cached_property
    def precision(self) -> dict | None:
        """precision.json of the run (bench.sh's precision phase), None for runs without one."""
        return pr.load_precision(self.run_dir / "precision.json")

    @cached_property
    def probes(self) -> dict[str, dict]:
        """machine_probe's output by when it ran ("start", "end"); missing files are left out."""
        found = {w: pr.load_probe(self.run_dir / f"probe-{w}.json") for w in ("start", "end")}
        return {w: d for w, d in found.items() if d is not None}

    def interval(self, p: pr.Point) -> pr.PointInterval | None:
        """The point's quoted interval: precision.json's when it has the point, else over processes."""
        per_process = list(pr.samples_by_process(p).values()) or p.per_call_samples
        return pr.interval_of(per_process, pr.precision_entry(self.precision, p))

    def samples_text(self) -> str:
        """'the median over 5 processes' (or repetitions, for a single process's file); with a
        precision phase, the sweep's process count and the most any sampled point reached."""
        run = self.wait or self.tcp
        if run.sweep_samples < run.samples:
            return (f"the median over the sweep's {run.sweep_samples} processes (up to {run.samples} for the points "
                    f"the precision phase sampled further)")
        return f"the median over {run.samples} {run.sample_kind}"

    def pngs(self, stem: str) -> list[Path]:
        return sorted(self.plot_dir.glob(stem + ".png"), key=lambda p: (len(p.name), p.name))

    def link(self, path: Path) -> str:
        return os.path.relpath(path, self.report_dir)

    def figures(self, stems) -> str:
        """The markdown of the figures (every PNG matching each stem, each once) with their
        captions and SVG links, or '' when none was drawn."""
        out, shown = [], set()
        for stem in stems:
            for png in self.pngs(stem):
                if png not in shown:
                    shown.add(png)
                    out.append(self.figure_markdown(png, FIGURES.get(stem, "")))
        return "\n\n".join(out)

    def figure_markdown(self, png: Path, caption: str) -> str:
        svg = png.with_suffix(".svg")
        link = f" ([SVG]({self.link(svg)}))" if svg.exists() else ""
        return f"![{png.stem}]({self.link(png)})\n\n*{caption}*{link}"

    def figure_ref(self, stem: str) -> str:
        """'[figure: position](position.png)' when drawn, else the plain name."""
        pngs = self.pngs(stem)
        return f"[{stem}]({self.link(pngs[0])})" if pngs else stem


@dataclass
class Section:
    """One numbered section of report.md: its title, what writes its text, and the figures shown
    beside that text (stems of FIGURES, drawn first)."""

    title: str
    body: Callable[[ReportInput], str]
    figures: tuple[str, ...] = field(default_factory=tuple)

    def render(self, inp: ReportInput, number: int) -> str:
        text = self.body(inp)
        figures = inp.figures(self.figures)
        if not text and not figures:
            return ""
        return "\n\n".join(p for p in (f"## {number}. {self.title}", figures, text) if p)


# --- markdown helpers --------------------------------------------------------------------------

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


def ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 32nd ..."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def times(r: float) -> str:
    """'164×', '19,400×', '2.5×', '0.85×': three significant figures at most (the samples' spread
    leaves no more)."""
    if r >= 100:
        digits = len(str(int(r))) - 3
        return f"{round(r, -digits):,.0f}×"
    return f"{r:.0f}×" if r >= 10 else f"{r:.2g}×" if r < 1 else f"{r:.1f}×"


def ratio(slow: float, fast: float) -> str:
    return times(slow / fast)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%" if value >= 0.1 else f"{100 * value:.1f}%"


def spread(p: pr.Point) -> str:
    """'1.20 ms (1.10–1.31 ms, cv 3.2%)': the median with its min-max and cv over samples."""
    lo, hi = p.per_call_spread_ns
    text = f"{fmt(p.per_call_ns)} ({fmt(lo)}–{fmt(hi)}"
    return text + (f", cv {pct(p.per_call_cv)})" if p.per_call_cv is not None else ")")


def with_interval(p: pr.Point, inp: ReportInput | None = None) -> str:
    """'169 µs [139–181 µs]': the median and its distribution-free interval (pr.median_interval;
    precision.json's median and interval when `inp` is given and the precision phase sampled p)."""
    iv = inp.interval(p) if inp is not None else None
    if iv is not None and iv.source == "precision":
        if iv.lo is None:  # its samples were too few for the spells they came in (serial_median_ci)
            return f"{fmt(iv.median)} [no interval]"
        return f"{fmt(iv.median)} [{fmt(iv.lo)}–{fmt(iv.hi)}]"
    interval = p.per_call_interval
    if interval is None:
        return fmt(p.per_call_ns)
    return f"{fmt(p.per_call_ns)} [{fmt(interval[0])}–{fmt(interval[1])}]"


def quoted_ns(p: pr.Point, inp: ReportInput | None = None) -> float:
    """The median the report quotes for p: precision.json's when the precision phase sampled it."""
    iv = inp.interval(p) if inp is not None else None
    return iv.median if iv is not None and iv.source == "precision" else p.per_call_ns


def _bounds(p: pr.Point, inp: ReportInput | None) -> tuple[float, float] | None:
    iv = inp.interval(p) if inp is not None else None
    if iv is not None and iv.source == "precision":
        return (iv.lo, iv.hi) if iv.lo is not None else None
    interval = p.per_call_interval
    return None if interval is None else (interval[0], interval[1])


def ratio_interval(slow: pr.Point, fast: pr.Point, inp: ReportInput | None = None) -> tuple[float, float] | None:
    """The range of slow/fast that both points' intervals allow: (slow low / fast high, slow
    high / fast low). With each interval at coverage c, both hold with probability >= 2c - 1."""
    a, b = _bounds(slow, inp), _bounds(fast, inp)
    if a is None or b is None or b[0] <= 0:
        return None
    return a[0] / b[1], a[1] / b[0]


def interval_text(iv: pr.PointInterval | None, unit=fmt) -> str:
    """'1.20 ms [1.10–1.31 ms, 95.1%, n = 12]': the median, its interval and coverage, n."""
    if iv is None:
        return "–"
    if iv.lo is None:
        return f"{unit(iv.median)} (n = {iv.n}, no interval)"
    cov = f"{100 * iv.coverage:.1f}%" if iv.coverage is not None else "?"
    return f"{unit(iv.median)} [{unit(iv.lo)}–{unit(iv.hi)}, {cov}, n = {iv.n}]"


def interval_note(inp: ReportInput) -> str:
    """What the bracketed intervals are, for this run's sample count."""
    run = inp.wait or inp.tcp
    # With a precision phase, most points have only the sweep's processes; the sampled ones say their own n.
    n = run.sweep_samples
    over = f"the sweep's {n} processes" if n < run.samples else f"{n} {run.sample_kind}"
    interval = pr.median_interval(range(n))
    if interval is None:
        return "One sample per point: no interval (run more processes)."
    lo, hi, coverage = interval
    which = ("their min–max" if (lo, hi) == (0, n - 1)
             else f"their {ordinal(lo + 1)}-lowest to {ordinal(lo + 1)}-highest")
    return f"[brackets]: a distribution-free {100 * coverage:.1f}% interval of the median over {over} ({which})."


def words(text: str) -> int:
    """Words of a markdown item, for keeping the findings short."""
    return len(text.split())
