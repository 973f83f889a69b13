#!/usr/bin/env python3
"""What changed between two pollbench runs, in a summary that fits a screen (scripts/compare.sh
prints it first): the machine probes of both runs, the headline points (N = 1,000 and the
largest N both runs measured), each family's fitted slope, and only the changes larger than both
runs' spread. Writes the same and every change to OUT/compare.md, and OUT/overlay.png: both runs'
time per wait against N on one log-log axis.

    scripts/pollbench_compare.py OLD_RUN_DIR NEW_RUN_DIR --out DIR

A point's spread is the min-max over its samples (processes, or repetitions in a single
process's file). A change counts when old and new medians differ by more than the spread of
each run, so the noise a rerun moves is never called better or worse. When the point's matching
machine probe (pollbench_probes.matching_probe) moved beyond its own spread too, the point's new
figure is divided by the probe's ratio first: only a change still beyond both spreads, in the
same direction, is better or worse; the rest is "machine". Points pair up by what was measured
(area, backend, fd kind, mode, position, N, ready count), whatever run options Google Benchmark
appended; a file written before mode and position existed counts as mode:block/pos:spread.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_analysis as pa  # noqa: E402
import pollbench_probes as probes_mod  # noqa: E402
import pollbench_results as pr  # noqa: E402

fmt = pr.format_ns
# The summary's budget: compare.sh promises about 60 lines.
SUMMARY_CHANGES = 15


def key(p: pr.Point) -> tuple:
    tags = {k: p.tag(k) for k in set(p.tags) | (set(pr.DEFAULT_TAGS) if p.area in ("wait", "raw") else set())}
    return (p.area, p.labels, tuple(sorted(tags.items())), tuple(sorted(p.params.items())))


def name(p: pr.Point) -> str:
    parts = [p.area, *p.labels]
    parts += [f"{k}:{p.tag(k)}" for k in ("mode", "pos") if p.tag(k) is not None]
    parts += [f"{k}:{v}" for k, v in p.params.items()]
    return "/".join(parts)


@dataclass
class Figure:
    """The figure compared for one point: ns per call, or requests/s for TCP (higher is better)."""

    value: float
    low: float
    high: float
    samples: int
    higher_is_better: bool

    @property
    def spread(self) -> float:
        return self.high - self.low

    def text(self) -> str:
        show = (lambda v: f"{v:,.0f}/s") if self.higher_is_better else fmt
        if self.samples < 2:
            return show(self.value)
        return f"{show(self.value)} [{show(self.low)}–{show(self.high)}]"


def figure(p: pr.Point) -> Figure | None:
    if p.area == "tcp":
        samples = p.counter_samples("requests_per_sec")
        if not samples:
            return None
        return Figure(p.counter("requests_per_sec"), min(samples), max(samples), len(samples), True)
    lo, hi = p.per_call_spread_ns
    return Figure(p.per_call_ns, lo, hi, p.repetitions, False)


@dataclass
class Change:
    old: pr.Point
    new: pr.Point
    before: Figure
    after: Figure
    probe: probes_mod.ProbeChange | None = None  # the machine probe that would move this point

    @property
    def ratio(self) -> float:
        return self.after.value / self.before.value if self.before.value else float("inf")

    @property
    def judged(self) -> bool:
        """Whether at least one run has a spread to judge against."""
        return self.before.samples > 1 or self.after.samples > 1

    @staticmethod
    def _beyond(before: Figure, after: Figure) -> bool:
        diff = abs(after.value - before.value)
        return diff > before.spread and diff > after.spread

    @property
    def beyond_spread(self) -> bool:
        return self.judged and self._beyond(self.before, self.after)

    @property
    def machine_moved(self) -> bool:
        return self.probe is not None and self.probe.moved

    @property
    def normalised(self) -> Figure:
        """The new figure as it would be had the machine not moved: divided by the probe's ratio
        (times per call), or multiplied by it (requests/s, which fall as times rise)."""
        r = self.probe.ratio if self.machine_moved else 1.0
        f = r if self.after.higher_is_better else 1.0 / r
        a = self.after
        return Figure(a.value * f, a.low * f, a.high * f, a.samples, a.higher_is_better)

    @property
    def beyond_machine(self) -> bool:
        """Beyond both spreads after normalising, in the same direction as before."""
        n = self.normalised
        same_way = (n.value > self.before.value) == (self.after.value > self.before.value)
        return self.beyond_spread and same_way and self._beyond(self.before, n)

    @property
    def verdict(self) -> str:
        if not self.beyond_spread:
            return "within spread" if self.judged else "no spread to judge"
        if self.machine_moved and not self.beyond_machine:
            return "machine"
        better = (self.ratio > 1) == self.after.higher_is_better
        return "better" if better else "worse"

    @property
    def changed(self) -> bool:
        return self.verdict in ("better", "worse")

    def why(self) -> str:
        """What the probe says, for a point beyond its spread whose probe moved."""
        if not (self.machine_moved and self.beyond_spread):
            return ""
        normalised = (self.normalised.value / self.before.value - 1) * 100
        return (f"; probe {probes_mod.label(self.probe.key)} ×{self.probe.ratio:.2f}, "
                f"normalised {normalised:+.1f}%")

    def line(self) -> str:
        change = (self.ratio - 1) * 100
        return (f"{name(self.new)}: {self.before.text()} -> {self.after.text()} "
                f"({change:+.1f}%, {self.verdict}{self.why()})")


def pair(old: pr.Run, new: pr.Run, probe_changes: dict[tuple, probes_mod.ProbeChange] | None = None) -> list[Change]:
    olds = {}
    for p in old.points:
        olds.setdefault(key(p), p)
    out = []
    for p in new.points:
        q = olds.get(key(p))
        if q is None:
            continue
        a, b = figure(q), figure(p)
        if a is not None and b is not None and a.value > 0:
            probe = probes_mod.matching_probe(p, new, probe_changes) if probe_changes else None
            out.append(Change(q, p, a, b, probe))
    return out


def describe(run: pr.Run, label: str) -> str:
    c = run.context
    return (f"{label}: {run.path.parent}  (commit {c.get('git_commit', '?')}, {str(c.get('date', '?'))[:16]}, "
            f"{run.samples} {run.sample_kind} per point)")


def headline_changes(old: pr.Run, new: pr.Run, changes: list[Change]) -> list[Change]:
    """The fixed headline points (pollbench_analysis.fixed_headline): select, poll and epoll_lt at
    N = 1,000 (or the nearest below) and at the largest N both runs measured, so that two runs
    always quote the same figures whatever their spread."""
    kind = pr.main_fd_kind(new)
    h = pa.fixed_headline(new, kind) if kind else None
    if h is None:
        return []
    backends = [*h.slow, h.reference]
    shared = [n for n in new.param_values("wait", "fds", active=1)
              if all(pa.point(r, "wait", b, kind, n, 1) for r in (old, new) for b in backends)]
    if not shared:
        return []
    below = [n for n in shared if n <= pa.HEADLINE_FDS]
    by_key = {key(c.new): c for c in changes}
    out = []
    for n in sorted({below[-1] if below else shared[0], shared[-1]}):
        for b in backends:
            p = pa.point(new, "wait", b, kind, n, 1)
            if p is not None and key(p) in by_key:
                out.append(by_key[key(p)])
    return out


def slopes(run: pr.Run, fit_min: int) -> dict[tuple[str, int], float]:
    kind = pr.main_fd_kind(run)
    out = {}
    if not kind:
        return out
    for b in run.values("wait", 0):
        for a in run.param_values("wait", "active"):
            points = run.sweep("wait", (b, kind), active=a)
            if len({p.params["fds"] for p in points if p.params["fds"] >= fit_min}) >= 3:
                s = pr.fit_loglog_slope([p.params["fds"] for p in points], [p.per_call_ns for p in points], fit_min)
                if s is not None:
                    out[(b, a)] = s
    return out


def probe_block(old: probes_mod.MachineProbes | None, new: probes_mod.MachineProbes | None,
                why_derived: str) -> tuple[list[str], dict[tuple, probes_mod.ProbeChange]]:
    """The summary's first block: every probe old -> new, its ratio and whether it moved beyond
    both runs' spread; and the probe changes by key, for matching points to them."""
    if old is None or new is None:
        return ["Machine probes: none (a run has neither probe files nor wait.json to derive them from)", ""], {}
    changes = probes_mod.compare(old, new)
    if new.derived:
        head = (f"Machine probes, old -> new, DERIVED from each run's wait.json ({why_derived}); "
                "median [interval]:")
    else:
        head = ("Machine probes, old -> new (probe-start and probe-end of each run; median [lowest lo–highest hi "
                "of the two readings]):")
    lines = [head]
    lines += ["  " + c.line(new.derived) for c in changes] or ["  (the runs share no probe)"]
    moved = [c for c in changes if c.moved]
    lines.append(f"  {len(moved)} of {len(changes)} probes moved beyond both runs' spread"
                 + (": a point that moved no further than its probe is marked 'machine'." if moved else "."))
    lines.append("")
    return lines, {c.key: c for c in changes}


def verdict_counts(changes: list[Change]) -> str:
    counts = {v: sum(1 for c in changes if c.verdict == v) for v in ("better", "worse", "machine")}
    unchanged = len(changes) - sum(counts.values())
    return (f"better {counts['better']}, worse {counts['worse']}, machine {counts['machine']}, "
            f"unchanged {unchanged}")


def summary(old: pr.Run | None, new: pr.Run | None, old_tcp: pr.Run | None, new_tcp: pr.Run | None,
            fit_min: int, probes: tuple = (None, None, "")) -> tuple[list[str], list[str]]:
    """(the summary's lines, compare.md's extra lines: every change beyond the spread).
    probes: (old's MachineProbes, new's, why they are derived), as pollbench_probes.for_pair gives."""
    lines, probe_changes = probe_block(*probes)
    extra: list[str] = []
    changes: list[Change] = []
    if old is not None and new is not None:
        lines += [describe(old, "old"), describe(new, "new"), ""]
        changes = pair(old, new, probe_changes)
        heads = headline_changes(old, new, changes)
        lines.append("Headline points (1 ready, blocking, spread; N = 1,000 and the largest N both runs measured; "
                     "p50 per wait, median [min–max]):")
        lines += ["  " + c.line() for c in heads] or ["  (the runs share no headline point)"]
        lines.append("")
        before, after = slopes(old, fit_min), slopes(new, fit_min)
        families = [k for k in after if k in before]
        lines.append(f"Fitted log-log slopes for N >= {fit_min} (old -> new; 1 = O(N), 0 = flat):")
        by_backend: dict[str, list[str]] = {}
        for b, a in families:
            by_backend.setdefault(b, []).append(f"{a} ready {before[(b, a)]:.2f} -> {after[(b, a)]:.2f}")
        lines += [f"  {b}: " + "; ".join(v) for b, v in by_backend.items()] or ["  (no family with 3 N >= "
                                                                                 f"{fit_min} in both runs)"]
        lines.append("")
    elif old is not None or new is not None:
        lines.append("wait.json is only in one run: not compared")
    if old_tcp is not None and new_tcp is not None:
        changes += pair(old_tcp, new_tcp, probe_changes)
    elif old_tcp is not None or new_tcp is not None:
        lines.append("tcp.json is only in one run: not compared")
    if not changes:
        return lines + ["No benchmark is in both runs."], extra
    beyond = sorted((c for c in changes if c.beyond_spread), key=lambda c: -abs(math.log(c.ratio)))
    real = [c for c in beyond if c.changed]
    machine = [c for c in beyond if c.verdict == "machine"]
    unjudged = sum(1 for c in changes if not c.judged)
    lines.append(f"Changes larger than both runs' spread: {len(beyond)} of {len(changes)} points in both runs"
                 + (f" ({unjudged} have one sample on each side and cannot be judged)" if unjudged else "") + ":")
    lines.append(f"  {verdict_counts(changes)}")
    lines += ["  " + c.line() for c in real[:SUMMARY_CHANGES]]
    if len(real) > SUMMARY_CHANGES:
        lines.append(f"  ... and {len(real) - SUMMARY_CHANGES} more better or worse in compare.md")
    if machine:
        lines.append(f"  {len(machine)} moved no further than their machine probe ('machine'; listed in compare.md)")
    if not beyond:
        lines.append("  (none: every difference is inside the spread a rerun shows)")
    extra += ["## Every change larger than both runs' spread", ""] + [f"- `{c.line()}`" for c in beyond]
    extra += ["", "## Every point in both runs", "", "| benchmark | old | new | change | verdict | probe |",
              "| --- | ---: | ---: | ---: | --- | --- |"]
    extra += [f"| {name(c.new)} | {c.before.text()} | {c.after.text()} | {(c.ratio - 1) * 100:+.1f}% | {c.verdict} "
              f"| {probes_mod.label(c.probe.key) + f' ×{c.probe.ratio:.2f}' if c.probe else '–'} |"
              for c in changes]
    return lines, extra


def overlay(old: pr.Run, new: pr.Run, old_name: str, new_name: str, path: Path, fit_min: int) -> bool:
    """Both runs' time per wait against N (1 ready, default combination) on one log-log axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import pollbench_plot as pp

    kind = pr.main_fd_kind(new)
    if not kind:
        return False
    fig, ax = plt.subplots(figsize=(9, 5.8))
    drawn = False
    for b in pr.sort_backends(set(old.values("wait", 0)) | set(new.values("wait", 0)), new):
        colour, marker = pp.style(b)
        for run, label, ls, hollow in ((old, old_name, "--", True), (new, new_name, "-", False)):
            points = sorted(run.sweep("wait", (b, kind), active=1), key=lambda p: p.params["fds"])
            if not points:
                continue
            xs = [p.params["fds"] for p in points]
            ys = [p.per_call_ns / 1e3 for p in points]
            lo = [(p.per_call_ns - p.per_call_spread_ns[0]) / 1e3 for p in points]
            hi = [(p.per_call_spread_ns[1] - p.per_call_ns) / 1e3 for p in points]
            ax.errorbar(xs, ys, yerr=[lo, hi], color=colour, marker=marker, linestyle=ls, capsize=2, markersize=4.5,
                        markerfacecolor="white" if hollow else colour, linewidth=1.4, label=f"{b}, {label}")
            drawn = True
    if not drawn:
        plt.close(fig)
        return False
    pp.Plotter.log_axes(ax, "watched fds N (log scale)",
                        "time per wait (µs, log scale)\np50, median over samples, bars: min–max")
    ax.set_title(f"Time per wait, 1 ready ({kind}s, blocking): {old_name} (dashed) against {new_name} (solid)\n"
                 f"{pr.machine_title(new.context)}", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Summarise what changed between two pollbench runs; write "
                                                 "compare.md and overlay.png to --out.")
    parser.add_argument("old", metavar="OLD_RUN_DIR")
    parser.add_argument("new", metavar="NEW_RUN_DIR")
    parser.add_argument("--out", required=True, metavar="DIR", help="where compare.md and overlay.png go")
    parser.add_argument("--fit-min-fds", type=int, default=100, metavar="N")
    args = parser.parse_args(argv)
    pr.require_modules("matplotlib", "numpy")
    old_dir, new_dir, out = Path(args.old), Path(args.new), Path(args.out)
    try:
        old, new = pr.load_optional(old_dir / "wait.json"), pr.load_optional(new_dir / "wait.json")
        old_tcp, new_tcp = pr.load_optional(old_dir / "tcp.json"), pr.load_optional(new_dir / "tcp.json")
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        probes = probes_mod.for_pair(old_dir, new_dir, old, new)
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    lines, extra = summary(old, new, old_tcp, new_tcp, args.fit_min_fds, probes)
    out.mkdir(parents=True, exist_ok=True)
    plot = out / "overlay.png"
    drew = old is not None and new is not None and overlay(old, new, old_dir.resolve().name,
                                                          new_dir.resolve().name, plot, args.fit_min_fds)
    print("\n".join(lines))
    md = [f"# pollbench: {new_dir.resolve().name} against {old_dir.resolve().name}", "", "```", *lines, "```", ""]
    if drew:
        md += ["![both runs on one log-log axis](overlay.png)", ""]
    md += extra
    md += ["", "Google Benchmark's compare.py and the counter comparison, in full: compare-full.txt."]
    (out / "compare.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
