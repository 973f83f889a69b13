#!/usr/bin/env python3
"""One report across K >= 2 pollbench runs: machines, kernels or commits side by side
(scripts/compare.sh --fleet prints its summary first).

    scripts/pollbench_fleet.py RUN_DIR RUN_DIR [RUN_DIR ...] --out DIR

Absolute times drift by up to 2x between days on one VM, and differ more between machines, so
the figures that compare fairly are those taken within a run: select and poll against epoll_lt
at the same N, the log-log slope, where the slope bends (the knee), and the ready share at
which epoll_lt becomes slower than poll (the crossover). Each is computed in each sample of a
run on its own (a sample is one fresh process of bench.sh, or one repetition in a single
process's file), and quoted as the median over samples with a distribution-free interval of
that median from order statistics (median_interval). Every run is first cut down to the points
all runs measured, so no figure of one run rests on points another lacks.

Writes OUT/fleet.md (the summary, a machine table and a figures table), fleet_time.{png,svg}
(time per wait against N, one line per run per backend) and fleet_ratio.{png,svg} (the same
divided by epoll_lt within each run and sample).

Exit status: 0 written, 1 a result file is unusable, 2 usage error (fewer than 2 runs, a path
that is not a directory, a directory without wait.json).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_analysis as pa  # noqa: E402
import pollbench_probes as probes_mod  # noqa: E402
import pollbench_results as pr  # noqa: E402

# The headline N quoted in every run: fixed, so that all runs quote the same figure.
HEADLINE_N = 1000
# The interval's aimed-for coverage; with fewer samples than that allows, min-max and its coverage.
COVERAGE = 0.95
# The slopes and the knee fit N at or above this by default (below it a wait's fixed cost dominates).
FIT_MIN_FDS = 100
# The knee's two segments each span at least this many N (the break counted in both).
KNEE_MIN_POINTS = 3
RUN_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3))]


class UsageError(Exception):
    """Input the user must fix (exit 2): the message names the problem."""


# --- intervals -------------------------------------------------------------------------------------

@dataclass
class Estimate:
    """A figure's median over samples and the order-statistic interval of that median."""

    value: float
    low: float
    high: float
    samples: int
    coverage: float  # the probability that [low, high] holds the true median (0 for one sample)

    def text(self, show=lambda v: f"{v:.3g}") -> str:
        if self.samples < 2:
            return show(self.value)
        return f"{show(self.value)} [{show(self.low)}–{show(self.high)}]"


def order_ranks(n: int, coverage: float = COVERAGE) -> tuple[int, float]:
    """(k, its coverage) for median_interval: [X(k), X(n+1-k)] of n sorted samples holds the true
    median with probability 1 - 2·P(Binomial(n, 1/2) < k), whatever the distribution. k is the
    largest that keeps that probability >= `coverage`; with too few samples for any (n <= 5 at
    95%) k = 1, min-max, and its own coverage (93.75% for 5, 87.5% for 4, 50% for 2)."""
    def covered(k: int) -> float:
        return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n

    k = 1
    while k + 1 <= (n + 1) // 2 and covered(k + 1) >= coverage:
        k += 1
    return k, (covered(k) if n > 1 else 0.0)


def median_interval(values, coverage: float = COVERAGE) -> Estimate | None:
    """The median of `values` with its distribution-free interval from order statistics
    (order_ranks); None for no value, a zero-width interval of coverage 0 for one."""
    xs = sorted(v for v in values if v is not None and math.isfinite(v))
    if not xs:
        return None
    k, covered = order_ranks(len(xs), coverage)
    return Estimate(statistics.median(xs), xs[k - 1], xs[len(xs) - k], len(xs), covered)


# --- runs, their samples, and what all runs share ------------------------------------------------

def sample_ids(p: pr.Point) -> list:
    """Each sample's identity: its process index in a merged file, else its repetition index."""
    if p.processes and all(i is not None for i in p.processes):
        return list(p.processes)
    return list(range(len(p.real_ns)))


def sample_view(run: pr.Run, sid) -> pr.Run:
    """The run as sample `sid` alone measured it: each point keeps that one sample, so every
    figure pollbench_analysis computes from a run is computed within one process."""
    points = []
    for p in run.points:
        ids = sample_ids(p)
        if sid in ids:
            i = ids.index(sid)
            points.append(dataclasses.replace(p, real_ns=[p.real_ns[i]], counters=[p.counters[i]],
                                              processes=[p.processes[i]] if p.processes else []))
    return pr.Run(run.path, run.context, points, run.complexity, run.errors)


def point_key(p: pr.Point) -> tuple:
    tags = {k: p.tag(k) for k in set(p.tags) | (set(pr.DEFAULT_TAGS) if p.area in ("wait", "raw") else set())}
    return (p.area, p.labels, tuple(sorted(tags.items())), tuple(sorted(p.params.items())))


@dataclass
class FleetRun:
    label: str  # A, B, C... in the plots and tables
    path: Path
    run: pr.Run  # wait.json cut down to the points every run has
    views: list[pr.Run]  # one per sample

    @property
    def name(self) -> str:
        return self.path.resolve().name


def load_runs(dirs: list[str]) -> list[pr.Run]:
    if len(dirs) < 2:
        raise UsageError(f"a fleet report needs at least 2 run directories, got {len(dirs)}")
    if len(dirs) > len(RUN_LABELS):
        raise UsageError(f"at most {len(RUN_LABELS)} run directories, got {len(dirs)}")
    runs = []
    for d in dirs:
        path = Path(d)
        if not path.is_dir():
            raise UsageError(f"'{d}' is not a directory (expected a run directory such as results/HOST-DATE-TIME)")
        if not (path / "wait.json").is_file():
            raise UsageError(f"'{d}' holds no wait.json: not a pollbench run directory (or its wait step failed)")
        runs.append(pr.load(path / "wait.json"))  # pr.ResultsError for a bad file: exit 1
    return runs


@dataclass
class Common:
    """What every run measured, and what the comparison leaves out."""

    kind: str  # the fd kind of the N sweeps
    backends: list[str]
    ns: list[int]  # the N of the 1-ready sweep
    reference: str  # epoll_lt: what the ratios divide by
    scanning: list[str]  # select, poll
    dense_ns: list[int]  # the N with a dense ready sweep, for the crossover
    fit_min: int  # the slopes and the knee fit N at or above this
    dropped: list[str]  # what was left out, one phrase each


def common_grid(runs: list[pr.Run], labels: list[str], fit_min: int) -> tuple[Common, list[pr.Run]]:
    """Cuts every run down to the wait points all of them measured; says what it dropped."""
    kinds = [pr.main_fd_kind(r) for r in runs]
    if None in kinds or len(set(kinds)) != 1:
        raise UsageError("the runs do not sweep the same fd kind: "
                         + ", ".join(f"{lab} {k}" for lab, k in zip(labels, kinds)))
    kind = kinds[0]
    keys = [{point_key(p) for p in r.points if p.area == "wait"} for r in runs]
    shared = set.intersection(*keys)
    cut = [pr.Run(r.path, r.context, [p for p in r.points if point_key(p) in shared], r.complexity, r.errors)
           for r in runs]
    dropped = []
    backend_sets = [set(r.values("wait", 0)) for r in runs]
    for b in pr.sort_backends(set.union(*backend_sets), runs[0]):
        missing = [lab for lab, s in zip(labels, backend_sets) if b not in s]
        if missing:
            dropped.append(f"backend {b} (not in {', '.join(missing)})")
    n_sets = [set(r.param_values("wait", "fds", active=1)) for r in runs]
    for n in sorted(set.union(*n_sets)):
        missing = [lab for lab, s in zip(labels, n_sets) if n not in s]
        if missing:
            dropped.append(f"N = {n:,} (not in {', '.join(missing)})")
    dropped += other_dropped(runs, cut, labels)
    first = cut[0]
    backends = first.values("wait", 0)
    refs = [b for b in pa.references(first) if b in backends]
    reference = refs[0] if refs else None
    if reference is None:
        raise UsageError("the runs share no O(ready) backend (epoll_lt) to take ratios against")
    dense = [n for n in pa.crossover_ns(first, kind) if pa.CROSSOVER_AGAINST in backends]
    lacking = [lab for lab, r in zip(labels, runs) if not pa.crossover_ns(r, kind)]
    if lacking and not dense:
        dropped.append(f"the crossover (no dense ready sweep in {', '.join(lacking)})")
    return Common(kind, backends, first.param_values("wait", "fds", active=1), reference,
                  [b for b in pa.scanning(first) if b in backends], dense,
                  fit_min, dropped), cut


def other_dropped(runs: list[pr.Run], cut: list[pr.Run], labels: list[str]) -> list[str]:
    """The points, beyond whole backends and N, that not every run measured: how many per run,
    and the tag and parameter values that only they have (e.g. pos:first, active:250)."""
    backends = set(cut[0].values("wait", 0))
    ns = set(cut[0].param_values("wait", "fds", active=1))
    kept_values = {(k, str(v)) for p in cut[0].points
                   for k, v in [*((k, p.tag(k)) for k in pr.DEFAULT_TAGS), *p.params.items()]}
    by_count: dict[int, list[str]] = {}
    only = set()
    for lab, r, c in zip(labels, runs, cut):
        kept = {p.run_name for p in c.points}
        rest = [p for p in r.points if p.area == "wait" and p.run_name not in kept
                and p.backend in backends and p.params.get("fds") in ns]
        if rest:
            by_count.setdefault(len(rest), []).append(lab)
        only |= {(k, str(v)) for p in rest for k, v in [*((k, p.tag(k)) for k in pr.DEFAULT_TAGS), *p.params.items()]
                 if k != "fds"} - kept_values
    if not by_count:
        return []
    counts = "; ".join(f"{n:,} in {', '.join(labs)}" for n, labs in sorted(by_count.items()))
    values: dict[str, list[str]] = {}
    for k, v in sorted(only, key=lambda kv: (kv[0], int(kv[1]) if kv[1].isdigit() else kv[1])):
        values.setdefault(k, []).append(v)
    what = ", ".join(f"{k}:{'/'.join(v)}" for k, v in values.items())
    return [f"other points not in every run ({counts}" + (f"; such as {what})" if what else ")")]


def fleet_runs(dirs: list[str], fit_min: int = FIT_MIN_FDS) -> tuple[list[FleetRun], Common]:
    runs = load_runs(dirs)
    labels = list(RUN_LABELS[:len(runs)])
    common, cut = common_grid(runs, labels, fit_min)
    out = []
    for label, d, r in zip(labels, dirs, cut):
        ids = sorted({i for p in r.points for i in sample_ids(p)})
        out.append(FleetRun(label, Path(d), r, [sample_view(r, i) for i in ids]))
    return out, common


# --- the figures, each computed within one sample -------------------------------------------------

_SWEEPS: dict[int, tuple[pr.Run, dict]] = {}


def wait_ns(run: pr.Run, backend: str, kind: str, n: int) -> float | None:
    """The time per wait (p50, median over the run's samples) at N = n, 1 ready, blocking, spread:
    what pa.point finds, looked up in an index of the run's sweep (the plots ask thousands of times)."""
    cached = _SWEEPS.get(id(run))
    if cached is None or cached[0] is not run:
        index = {}
        for p in run.sweep("wait", active=1):
            if len(p.labels) > 1:
                index.setdefault((p.backend, p.labels[1], p.params.get("fds")), p)
        cached = _SWEEPS[id(run)] = (run, index)
    p = cached[1].get((backend, kind, n))
    return p.per_call_ns if p is not None else None


def ratio(run: pr.Run, slow: str, reference: str, kind: str, n: int) -> float | None:
    a, b = wait_ns(run, slow, kind, n), wait_ns(run, reference, kind, n)
    return a / b if a is not None and b else None


def slope(run: pr.Run, backend: str, kind: str, ns: list[int], fit_min: int) -> float | None:
    pairs = [(n, t) for n in ns if n >= fit_min and (t := wait_ns(run, backend, kind, n))]
    if len(pairs) < 3:
        return None
    return pr.fit_loglog_slope([n for n, _ in pairs], [t for _, t in pairs], fit_min)


@dataclass
class Knee:
    n: int  # the N where the two fitted segments meet
    below: float  # the log-log slope up to it
    above: float  # and from it on


def knee(run: pr.Run, backend: str, kind: str, ns: list[int], fit_min: int) -> Knee | None:
    """Where the log-log curve bends: the measured N that, taken as the break between two
    straight segments (each spanning KNEE_MIN_POINTS N or more, the break in both), leaves the
    least squared error. The slopes either side say how sharp the bend is; equal slopes mean
    no knee, whatever N is named."""
    import numpy as np

    pairs = [(n, t) for n in ns if n >= fit_min and (t := wait_ns(run, backend, kind, n))]
    if len(pairs) < 2 * KNEE_MIN_POINTS - 1:
        return None
    x = np.log([n for n, _ in pairs])
    y = np.log([t for _, t in pairs])
    best = None
    for i in range(KNEE_MIN_POINTS - 1, len(pairs) - KNEE_MIN_POINTS + 1):
        fits = [np.polyfit(x[s], y[s], 1, full=True) for s in (slice(0, i + 1), slice(i, None))]
        error = sum(float(f[1][0]) if len(f[1]) else 0.0 for f in fits)
        if best is None or error < best[0] - 1e-12:
            best = (error, Knee(pairs[i][0], float(fits[0][0][0]), float(fits[1][0][0])))
    return best[1]


def crossover_share(run: pr.Run, common: Common, n: int) -> float | None:
    """The share of the N fds ready at which the reference becomes slower than poll; None when
    it never does in this sample (or is slower from the start)."""
    c = pa.crossover(run, common.kind, n, common.reference)
    return c.fraction if c is not None else None


def across(fr: FleetRun, figure) -> Estimate | None:
    """`figure(view)` in every sample of the run, as a median with its interval."""
    return median_interval([figure(v) for v in fr.views])


@dataclass
class Figures:
    """One run's figures, keyed by what they are."""

    ratios: dict[tuple[str, int], Estimate | None]  # (slow backend, N)
    slopes: dict[str, Estimate | None]
    knees: dict[str, tuple[Estimate, Estimate, Estimate] | None]  # N, slope below, slope above
    crossovers: dict[int, tuple[Estimate | None, int]]  # N -> (share, how many samples cross at all)


def headline_ns(common: Common) -> list[int]:
    return sorted({n for n in (HEADLINE_N, max(common.ns)) if n in common.ns})


def figures(fr: FleetRun, common: Common) -> Figures:
    k, ref = common.kind, common.reference
    ratios = {(b, n): across(fr, lambda v, b=b, n=n: ratio(v, b, ref, k, n))
              for n in headline_ns(common) for b in common.scanning}
    slopes = {b: across(fr, lambda v, b=b: slope(v, b, k, common.ns, common.fit_min)) for b in [*common.scanning, ref]}
    knees = {}
    for b in common.scanning:
        found = [kn for v in fr.views if (kn := knee(v, b, k, common.ns, common.fit_min)) is not None]
        knees[b] = (median_interval([kn.n for kn in found]), median_interval([kn.below for kn in found]),
                    median_interval([kn.above for kn in found])) if found else None
    crossovers = {}
    for n in common.dense_ns:
        shares = [crossover_share(v, common, n) for v in fr.views]
        crossovers[n] = (median_interval(shares), sum(s is not None for s in shares))
    return Figures(ratios, slopes, knees, crossovers)


# --- text ------------------------------------------------------------------------------------------

def times(v: float) -> str:
    return f"{v:,.0f}×" if v >= 100 else f"{v:.3g}×"


def share(v: float) -> str:
    return f"{100 * v:.0f}%"


def cpu_text(context: dict) -> str:
    cpu = str(context.get("cpu_model", "unknown CPU"))
    for noise in ("(R)", "(TM)", " CPU", " Processor"):
        cpu = cpu.replace(noise, "")
    cpu = " ".join(cpu.split())
    if context.get("num_cpus"):
        cpu += f" ×{context['num_cpus']}"
    if context.get("mhz_per_cpu"):
        cpu += f" {context['mhz_per_cpu']} MHz"
    return cpu


def machine_fields(fr: FleetRun) -> list[tuple[str, str]]:
    """(column, value) of one run's machine. Machine probes measured in the run's window belong
    here too, so that they are read before any figure."""
    c = fr.run.context
    return [("run", f"{fr.label} {fr.name}"), ("date", str(c.get("date", "?"))[:16].replace("T", " ")),
            ("commit", str(c.get("git_commit", "?"))[:12]), ("kernel", pr.short_kernel(c)),
            ("CPU", cpu_text(c)), ("fd limit", str(c.get("fd_limit", "?"))),
            ("samples", f"{fr.run.samples} {fr.run.sample_kind}")]


def overlap(estimates: dict[str, Estimate | None], show) -> str:
    """Whether every run's interval overlaps every other's, else the two furthest apart."""
    have = {lab: e for lab, e in estimates.items() if e is not None and e.samples > 1}
    if len(have) < 2:
        return ""
    top = max(have, key=lambda lab: have[lab].low)
    bottom = min(have, key=lambda lab: have[lab].high)
    if have[top].low <= have[bottom].high:
        return "every run's interval overlaps the others'"
    return (f"runs differ beyond their intervals: {top}'s lowest {show(have[top].low)} "
            f"> {bottom}'s highest {show(have[bottom].high)}")


def interval_note(runs: list[FleetRun]) -> str:
    """How the intervals are taken, for each sample count among the runs."""
    notes = []
    for n in sorted({len(fr.views) for fr in runs}):
        k, covered = order_ranks(n)
        if n < 2:
            notes.append("1 sample: no interval")
        else:
            what = "min–max" if k == 1 else f"the {k}th lowest to the {k}th highest"
            notes.append(f"{n} samples: {what}, {100 * covered:.1f}% coverage")
    return "; ".join(notes)


@dataclass
class Cell:
    """One figure of one run on a summary line: `label estimate [interval]`. Cells with the same
    key across runs are checked for overlapping intervals; key None: text only."""

    key: str | None
    label: str
    estimate: Estimate | None = None
    show: object = None

    def text(self) -> str:
        if self.show is None:
            return self.label
        value = self.estimate.text(self.show) if self.estimate is not None else "–"
        return f"{self.label} {value}".strip()


def figure_block(title: str, runs: list[FleetRun], cells) -> list[str]:
    """A title line, one line per run (`cells(fr)` gives its Cells), then for each figure whether
    the runs' intervals overlap."""
    lines = [title]
    by_key: dict[str, dict[str, Estimate | None]] = {}
    shows = {}
    for fr in runs:
        row = cells(fr)
        lines.append(f"  {fr.label}  " + "  ".join(c.text() for c in row))
        for c in row:
            if c.key is not None:
                by_key.setdefault(c.key, {})[fr.label] = c.estimate
                shows[c.key] = c.show
    for key, by_run in by_key.items():
        said = overlap(by_run, shows[key])
        if said:
            lines.append(f"     {key + ': ' if key else ''}{said}")
    return lines


def ratio_cells(fig: Figures, common: Common, n: int) -> list[Cell]:
    return [Cell(f"{b}/{common.reference}", f"{b}/{common.reference}", fig.ratios[(b, n)], times)
            for b in common.scanning]


def slope_cells(fig: Figures) -> list[Cell]:
    return [Cell(b, b, e, lambda v: f"{v:.2f}") for b, e in fig.slopes.items()]


def knee_cells(fig: Figures, backend: str) -> list[Cell]:
    k = fig.knees[backend]
    if k is None:
        return [Cell(None, f"too few N to fit two segments of {KNEE_MIN_POINTS}")]
    slope_text = lambda v: f"{v:.2f}"  # noqa: E731
    return [Cell("knee N", "N", k[0], lambda v: f"{v:,.0f}"), Cell(None, "  slope below"),
            Cell(None, k[1].text(slope_text)), Cell(None, "above"), Cell("slope above", "", k[2], slope_text)]


def crossover_cells(fig: Figures, fr: FleetRun, n: int) -> list[Cell]:
    estimate, crossing = fig.crossovers[n]
    return [Cell("crossover", "", estimate, share), Cell(None, f"({crossing} of {len(fr.views)} samples cross)")]


def probe_lines(runs: list[FleetRun]) -> list[str]:
    """Each machine probe every run has, one line per probe, one figure per run: from the runs'
    probe-start.json and probe-end.json, else (a run without them) derived from every run's
    wait.json, as the two-run compare does (scripts/pollbench_probes.py)."""
    loaded = {fr.label: probes_mod.load(fr.path) for fr in runs}
    lacking = [label for label, p in loaded.items() if p is None]
    if lacking:
        loaded = {fr.label: probes_mod.derive(pr.load(fr.path / "wait.json")) for fr in runs}
        head = (f"Machine probes, DERIVED from each run's wait.json ({', '.join(lacking)} "
                f"{'has' if len(lacking) == 1 else 'have'} no probe files); median [interval]:")
    else:
        head = "Machine probes (probe-start and probe-end of each run; median [lowest lo–highest hi]):"
    keys = sorted(set.intersection(*(set(p.probes) for p in loaded.values())), key=probes_mod._order)
    if not keys:
        return ["", "Machine probes: none that every run has."]
    lines = ["", head]
    for k in keys:
        lines.append(f"  {probes_mod.label(k)}: " + "  ".join(f"{label} {p.probes[k].text()}"
                                                            for label, p in loaded.items()))
    return lines


def summary(runs: list[FleetRun], common: Common, figs: dict[str, Figures]) -> list[str]:
    lines = [f"Fleet of {len(runs)} runs (wait.json: {common.kind}s, 1 ready, blocking; p50 per wait):"]
    for fr in runs:
        f = dict(machine_fields(fr))
        lines.append(f"  {f['run']}  {f['date']}  commit {f['commit']}  Linux {f['kernel']}  {f['CPU']}  "
                     f"fd limit {f['fd limit']}  {f['samples']}")
    ns = common.ns
    lines.append(f"Compared on what every run measured: {', '.join(common.backends)}; "
                 f"N = {ns[0]:,}–{ns[-1]:,} ({len(ns)} values).")
    left_out = "; ".join(common.dropped) if common.dropped else "nothing (every run has the same points)."
    lines.append(f"Left out: {left_out}")
    lines.append(f"Each figure is taken within each sample, then the median over the run's samples "
                 f"[interval of that median from order statistics; {interval_note(runs)}].")
    single = [fr.label for fr in runs if fr.run.sample_kind != "processes"]
    if single:
        lines.append(f"{', '.join(single)}: samples are repetitions inside one process; the spread between "
                     "processes is not in them, so their intervals are too narrow to judge other runs against.")
    lines += probe_lines(runs)
    ref = common.reference
    for n in headline_ns(common):
        lines += [""] + figure_block(f"Ratio to {ref} at N = {n:,}, both in the same sample:", runs,
                                     lambda fr, n=n: ratio_cells(figs[fr.label], common, n))
    lines += [""] + figure_block(f"Log-log slope of time per wait over N >= {common.fit_min} (1 = O(N), 0 = flat):",
                                 runs, lambda fr: slope_cells(figs[fr.label]))
    for b in common.scanning:
        lines += [""] + figure_block(f"Knee of {b}: the N where its log-log curve bends (two fitted segments), "
                                     "and the slope either side:", runs, lambda fr, b=b: knee_cells(figs[fr.label], b))
    if not common.dense_ns:
        lines += ["", "Crossover: not compared (the dense ready sweep is not in every run)."]
    for n in common.dense_ns:
        lines += [""] + figure_block(
            f"Crossover: the share of N = {n:,} fds ready at which {ref} becomes slower than "
            f"{pa.CROSSOVER_AGAINST} (median over the samples that cross):", runs,
            lambda fr, n=n: crossover_cells(figs[fr.label], fr, n))
    return lines


# --- plots -----------------------------------------------------------------------------------------

def curve(fr: FleetRun, common: Common, backend: str, normalised: bool) -> tuple[list, list[Estimate]]:
    """(N, estimates) of one backend in one run: time per wait in µs, or its ratio to the
    reference taken within each sample."""
    xs, ys = [], []
    for n in common.ns:
        if normalised:
            e = across(fr, lambda v, n=n: ratio(v, backend, common.reference, common.kind, n))
        else:
            e = across(fr, lambda v, n=n: wait_ns(v, backend, common.kind, n))
            e = e and Estimate(e.value / 1e3, e.low / 1e3, e.high / 1e3, e.samples, e.coverage)
        if e is not None and e.low > 0:
            xs.append(n)
            ys.append(e)
    return xs, ys


def overlay(runs: list[FleetRun], common: Common, normalised: bool):
    """One line per run per backend (colour: backend, line style: run), each with its interval
    as a band. Returns the matplotlib figure, drawn but not saved."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    import pollbench_plot as pp

    fig, ax = plt.subplots(figsize=(10, 6))
    backends = [b for b in common.backends if not (normalised and b == common.reference)]
    for b in backends:
        colour, marker = pp.style(b)
        for i, fr in enumerate(runs):
            xs, es = curve(fr, common, b, normalised)
            if not xs:
                continue
            ax.plot(xs, [e.value for e in es], color=colour, marker=marker, markersize=3.5,
                    linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.3)
            ax.fill_between(xs, [e.low for e in es], [e.high for e in es], color=colour, alpha=0.10, linewidth=0)
    if normalised:
        ax.axhline(1.0, color="black", linewidth=0.8, alpha=0.6)
        ylabel = f"time per wait / {common.reference}'s in the same sample (log scale)"
        title = f"Time per wait relative to {common.reference} within each run: machines of any speed compare"
    else:
        ylabel = "time per wait (µs, log scale)"
        title = "Time per wait against N, every run (absolute: drifts with the machine and the day)"
    pp.Plotter.log_axes(ax, "watched fds N (log scale)",
                        f"{ylabel}\np50 per wait, median over samples; band: its interval")
    ax.set_title(f"{title}\n{common.kind}s, 1 ready, blocking", fontsize=10)
    by_backend = [Line2D([], [], color=pp.style(b)[0], marker=pp.style(b)[1], label=b) for b in backends]
    by_run = [Line2D([], [], color="black", linestyle=LINESTYLES[i % len(LINESTYLES)],
                     label=f"{fr.label}: {short_machine(fr)}") for i, fr in enumerate(runs)]
    first = ax.legend(handles=by_backend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="backend")
    ax.add_artist(first)
    ax.legend(handles=by_run, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7.5, title="run")
    fig.tight_layout()
    return fig


def short_machine(fr: FleetRun) -> str:
    c = fr.run.context
    return f"{fr.name}\n{str(c.get('git_commit', '?'))[:7]}, {pr.short_kernel(c)}, {cpu_text(c)}"


def save_plots(runs: list[FleetRun], common: Common, out: Path) -> list[str]:
    import matplotlib.pyplot as plt

    written = []
    for stem, normalised in (("fleet_time", False), ("fleet_ratio", True)):
        fig = overlay(runs, common, normalised)
        for fmt in ("png", "svg"):
            fig.savefig(out / f"{stem}.{fmt}", format=fmt, dpi=150, bbox_inches="tight")
            written.append(f"{stem}.{fmt}")
        plt.close(fig)
    return written


# --- the report ------------------------------------------------------------------------------------

def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def figures_table(runs: list[FleetRun], common: Common, figs: dict[str, Figures]) -> list[str]:
    ref = common.reference
    header = ["run"] + [f"{b}/{ref} at N = {n:,}" for n in headline_ns(common) for b in common.scanning]
    header += [f"slope {b}" for b in [*common.scanning, ref]]
    header += [f"knee {b}: N (slope below → above)" for b in common.scanning]
    header += [f"crossover at N = {n:,}" for n in common.dense_ns]
    rows = []
    for fr in runs:
        f = figs[fr.label]
        row = [fr.label] + [f.ratios[(b, n)].text(times) if f.ratios[(b, n)] else "–"
                            for n in headline_ns(common) for b in common.scanning]
        row += [e.text(lambda v: f"{v:.2f}") if e else "–" for e in f.slopes.values()]
        for b in common.scanning:
            k = f.knees[b]
            row.append("–" if k is None else f"{k[0].text(lambda v: f'{v:,.0f}')} ({k[1].text(lambda v: f'{v:.2f}')}"
                                             f" → {k[2].text(lambda v: f'{v:.2f}')})")
        for n in common.dense_ns:
            estimate, crossing = f.crossovers[n]
            row.append((estimate.text(share) if estimate else "none") + f" ({crossing}/{len(fr.views)} cross)")
        rows.append(row)
    return md_table(header, rows)


def markdown(runs: list[FleetRun], common: Common, figs: dict[str, Figures], lines: list[str]) -> list[str]:
    names = ", ".join(fr.name for fr in runs)
    md = [f"# pollbench: {len(runs)} runs side by side", "", names, "", "```", *lines, "```", "",
          "## Machines", ""]
    fields = [machine_fields(fr) for fr in runs]
    md += md_table([k for k, _ in fields[0]], [[v for _, v in row] for row in fields])
    md += ["", "## Figures taken within each run", "",
           "Median over each run's samples, each figure computed inside one sample (one process), "
           f"[interval of the median from order statistics: {interval_note(runs)}].", ""]
    md += figures_table(runs, common, figs)
    md += ["", "## Time per wait, every run", "",
           "Absolute times: these move with the machine and the day (2× between days on one VM), "
           "so a gap between runs here is not a change of the code by itself.", "",
           "![time per wait against N, one line per run per backend](fleet_time.png)", "",
           f"## Relative to {common.reference} within each run", "",
           f"Each sample's time divided by {common.reference}'s in the same sample: what compares across machines.", "",
           f"![time per wait relative to {common.reference}](fleet_ratio.png)", ""]
    left_out = "; ".join(common.dropped) if common.dropped else "nothing"
    md += [f"Left out (not measured by every run): {left_out}."]
    return md


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="One report across K >= 2 pollbench runs: each run's machine, its "
                                                 "ratios, slopes, knee and crossover with intervals, overlay plots.")
    parser.add_argument("runs", nargs="*", metavar="RUN_DIR")
    parser.add_argument("--out", required=True, metavar="DIR", help="where fleet.md and the plots go")
    parser.add_argument("--fit-min-fds", type=int, default=FIT_MIN_FDS, metavar="N",
                        help=f"the slopes and the knee fit N >= this (default {FIT_MIN_FDS})")
    args = parser.parse_args(argv)
    pr.require_modules("matplotlib", "numpy")
    try:
        runs, common = fleet_runs(args.runs, args.fit_min_fds)
        figs = {fr.label: figures(fr, common) for fr in runs}
        lines = summary(runs, common, figs)  # reads the probe files: pr.ResultsError for a bad one
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except pr.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_plots(runs, common, out)
    (out / "fleet.md").write_text("\n".join(markdown(runs, common, figs, lines)) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
