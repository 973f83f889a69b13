#!/usr/bin/env python3
"""A run's machine probes, and how two runs' probes differ: what scripts/pollbench_compare.py
prints first and uses to tell the machine's drift from a change of the code.

A run directory holds probe-start.json and probe-end.json (bench/probe/machine_probe's JSON,
taken right before the first benchmark and right after the last): each probe then has two
readings per run, each a median with its own interval {lo, hi}. A run made before the probes
existed has neither file; its probes are then DERIVED from its own wait.json, each from the
benchmark point closest to what the probe measures (see derive()). Two runs are always compared
on probes of the same origin: when either lacks the files, both are derived.

Which probe explains which point (matching_probe): the wait of an O(ready) backend (and its raw
family's, its wakeup latency, and TCP) goes with epoll_wait at N = 1; the wait of an O(watched)
backend goes with poll's per-fd cost at the nearest N, in the same mode and layout (distinct
sockets; the dup layout for wait_bench's dup fd kind);
ctl goes with the CPU loop. Backends are told apart by their capabilities from the run's context
(pollbench_results.capability), never by name.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_results as pr  # noqa: E402

PROBE_FILES = ("probe-start.json", "probe-end.json")
# Derived per-fd probes use the position sweep's N from here up: below it a wait's fixed cost
# hides the per-fd one.
DERIVED_PER_FD_MIN_N = 1000

CPU = ("cpu_loop",)
EPOLL = ("epoll_wait",)


def chase_key(size: int) -> tuple:
    return ("pointer_chase", size)


def per_fd_key(fds: int, layout: str, mode: str) -> tuple:
    return ("poll_per_fd", fds, layout, mode)


def label(key: tuple) -> str:
    if key[0] == "pointer_chase":
        size = key[1]
        text = f"{size // (1 << 20)} MiB" if size % (1 << 20) == 0 else f"{size // 1024} KiB"
        return f"pointer chase {text} (per load)"
    if key == CPU:
        return "CPU loop (per step)"
    if key == EPOLL:
        return "epoll_wait N=1 (per wait)"
    _, fds, layout, mode = key
    return f"poll per fd, {layout}, {mode}, N={fds:,}"


def _order(key: tuple) -> tuple:
    rank = {"pointer_chase": 0, "cpu_loop": 1, "epoll_wait": 2, "poll_per_fd": 3}[key[0]]
    return (rank, *[str(k).rjust(12) if isinstance(k, int) else k for k in key[1:]])


@dataclass
class Reading:
    """One measurement of a probe: a median and its interval (min-max where none reaches 95%)."""

    median: float
    lo: float
    hi: float


@dataclass
class Probe:
    key: tuple
    readings: list[Reading] = field(default_factory=list)  # probe-start, probe-end (one when derived)
    source: str = ""  # where a derived probe comes from (a benchmark point's name)

    @property
    def value(self) -> float:
        return statistics.median(r.median for r in self.readings)

    @property
    def low(self) -> float:
        return min(r.lo for r in self.readings)

    @property
    def high(self) -> float:
        return max(r.hi for r in self.readings)

    @property
    def spread(self) -> float:
        return self.high - self.low

    def text(self) -> str:
        return f"{pr.format_ns(self.value)} [{pr.format_ns(self.low)}–{pr.format_ns(self.high)}]"


@dataclass
class MachineProbes:
    probes: dict[tuple, Probe]
    derived: bool
    origin: str  # "probe-start.json, probe-end.json" or "derived from wait.json"


# --- reading probe files -------------------------------------------------------------------------

def _reading(figure: dict, scale: float = 1.0) -> Reading | None:
    """machine_probe's figure {median, lo, hi, samples}: lo/hi are null below 6 samples, then min-max."""
    if not isinstance(figure, dict) or not isinstance(figure.get("median"), (int, float)):
        return None
    samples = [s for s in figure.get("samples") or [] if isinstance(s, (int, float))]
    lo, hi = figure.get("lo"), figure.get("hi")
    if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
        lo, hi = (min(samples), max(samples)) if samples else (figure["median"], figure["median"])
    return Reading(figure["median"] * scale, lo * scale, hi * scale)


def _probe_figures(data: dict) -> dict[tuple, Reading]:
    out: dict[tuple, Reading] = {}

    def put(key, figure):
        r = _reading(figure)
        if r is not None:
            out[key] = r
    put(CPU, (data.get("cpu_loop") or {}).get("ns_per_step"))
    put(EPOLL, (data.get("epoll_wait") or {}).get("ns_per_wait"))
    for row in data.get("pointer_chase") or []:
        if isinstance(row, dict) and isinstance(row.get("bytes"), int):
            put(chase_key(row["bytes"]), row.get("ns_per_load"))
    for row in data.get("poll_per_fd") or []:
        if isinstance(row, dict) and isinstance(row.get("fds"), int):
            put(per_fd_key(row["fds"], str(row.get("layout")), str(row.get("mode"))), row.get("ns_per_fd"))
    return out


def load(run_dir: Path) -> MachineProbes | None:
    """The run's probe files (either may be missing; None when both are). A file that exists but
    is not machine_probe's JSON raises pr.ResultsError naming it."""
    probes: dict[tuple, Probe] = {}
    names = []
    for name in PROBE_FILES:
        path = Path(run_dir) / name
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise pr.ResultsError(f"{path}: is not machine_probe's JSON ({e})") from None
        if not isinstance(data, dict) or not any(k in data for k in ("cpu_loop", "epoll_wait", "pointer_chase")):
            raise pr.ResultsError(f"{path}: is not machine_probe's JSON (no cpu_loop, epoll_wait or pointer_chase)")
        names.append(name)
        for key, reading in _probe_figures(data).items():
            probes.setdefault(key, Probe(key)).readings.append(reading)
    if not names:
        return None
    return MachineProbes(probes, False, ", ".join(names))


# --- deriving probes from wait.json --------------------------------------------------------------

def _from_point(key: tuple, p: pr.Point, scale: float = 1.0) -> Probe | None:
    samples = p.per_call_samples
    if not samples:
        return None
    interval = pr.median_interval(samples)
    lo, hi = (interval[0], interval[1]) if interval else (min(samples), max(samples))
    return Probe(key, [Reading(statistics.median(samples) * scale, lo * scale, hi * scale)], p.run_name)


def _cpu_proxy(run: pr.Run) -> Probe | None:
    """The add of the backends whose interest set is a user-space array (select, poll): a few
    stores into that array, CPU-bound. Google Benchmark's mean time per call, since the p50
    counter's 10 ns steps are too coarse at ~40 ns. Per sample (process), the geometric mean over
    every N; then the median over samples and its interval."""
    arrays = pr.backends_where(run, interest="user_array")
    points = [p for p in run.points if p.area == "ctl" and len(p.labels) >= 2 and p.labels[0] in arrays
              and p.labels[1] == "add" and p.real_ns]
    counts = {len(p.real_ns) for p in points}
    if not points or len(counts) != 1:
        return None
    per_sample = [math.exp(statistics.fmean(math.log(p.real_ns[i]) for p in points)) for i in range(counts.pop())]
    interval = pr.median_interval(per_sample)
    lo, hi = (interval[0], interval[1]) if interval else (min(per_sample), max(per_sample))
    source = f"ctl/{{{','.join(sorted({p.labels[0] for p in points}))}}}/add/fds:* (mean time)"
    return Probe(CPU, [Reading(statistics.median(per_sample), lo, hi)], source)


def _poll_backend(run: pr.Run) -> str | None:
    """The O(watched) backend whose raw system call is poll(2), else the first O(watched) one."""
    watched = pr.backends_where(run, wait_cost="O(watched)")
    return next((b for b in watched if pr.capability(run, b, "raw") == "poll"), next(iter(watched), None))


def derive(run: pr.Run) -> MachineProbes:
    """Proxy probes from the run's own wait.json (for runs without probe files):
      - epoll_wait N=1: the first level-triggered O(ready) backend's blocking wait at the smallest
        N, 1 ready (epoll_lt at N = 1);
      - poll per fd (distinct): the poll backend's wait with the ready fd last, blocking and
        nonblocking, divided by N, at each N >= 1,000 of the position sweep (1,000, 10,000 and the
        largest in a full run);
      - CPU loop: the user-array backends' ctl add (_cpu_proxy).
    Pointer chase and the dup layout have no proxy."""
    probes: dict[tuple, Probe] = {}
    kind = pr.main_fd_kind(run)
    ready = pr.backends_where(run, wait_cost="O(ready)", trigger="level") or pr.backends_where(run, wait_cost="O(ready)")
    for b in ready:
        sweep = [p for p in run.sweep("wait", (b, kind), active=1)]
        if sweep:
            smallest = min(sweep, key=lambda p: p.params["fds"])
            probe = _from_point(EPOLL, smallest)
            if probe:
                probes[EPOLL] = probe
            break
    poll = _poll_backend(run)
    if poll is not None:
        for mode in ("block", "nonblock"):
            for p in run.select("wait", (poll, kind), {"mode": mode, "pos": "last"}, active=1):
                n = p.params.get("fds", 0)
                if n >= DERIVED_PER_FD_MIN_N:
                    probe = _from_point(per_fd_key(n, "distinct", mode), p, 1.0 / n)
                    if probe:
                        probes[probe.key] = probe
    cpu = _cpu_proxy(run)
    if cpu:
        probes[CPU] = cpu
    return MachineProbes(probes, True, "derived from wait.json")


def for_pair(old_dir: Path, new_dir: Path, old_wait: pr.Run | None,
             new_wait: pr.Run | None) -> tuple[MachineProbes | None, MachineProbes | None, str]:
    """Both runs' probes, of the same origin: the probe files when both runs have them, else
    derived from both wait.json. The third item says why derived ('' when not)."""
    old, new = load(old_dir), load(new_dir)
    if old is not None and new is not None:
        return old, new, ""
    lacking = [name for name, probes in (("old", old), ("new", new)) if probes is None]
    why = f"{' and '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} no probe-start.json/probe-end.json"
    return (derive(old_wait) if old_wait else None, derive(new_wait) if new_wait else None, why)


# --- comparing -----------------------------------------------------------------------------------

@dataclass
class ProbeChange:
    old: Probe
    new: Probe

    @property
    def key(self) -> tuple:
        return self.new.key

    @property
    def ratio(self) -> float:
        return self.new.value / self.old.value if self.old.value > 0 else float("inf")

    @property
    def judged(self) -> bool:
        return self.old.spread > 0 or self.new.spread > 0

    @property
    def moved(self) -> bool:
        """Moved beyond both runs' spread (each run's envelope of its readings' intervals)."""
        diff = abs(self.new.value - self.old.value)
        return self.judged and self.old.value > 0 and diff > self.old.spread and diff > self.new.spread

    def line(self, derived: bool) -> str:
        verdict = "MOVED beyond both runs' spread" if self.moved else "within spread"
        text = f"{label(self.key)}: {self.old.text()} -> {self.new.text()} (×{self.ratio:.2f}, {verdict})"
        return text + (f"  [derived: {self.new.source}]" if derived else "")


def compare(old: MachineProbes, new: MachineProbes) -> list[ProbeChange]:
    keys = sorted(set(old.probes) & set(new.probes), key=_order)
    return [ProbeChange(old.probes[k], new.probes[k]) for k in keys]


def _nearest_per_fd(changes: dict[tuple, ProbeChange], n: int, layout: str, mode: str) -> ProbeChange | None:
    candidates = [k for k in changes if k[0] == "poll_per_fd" and k[2] == layout and k[3] == mode]
    if not candidates:
        return None
    best = min(candidates, key=lambda k: (abs(math.log(k[1] / max(n, 1))), k[1]))
    return changes[best]


def matching_probe(p: pr.Point, run: pr.Run, changes: dict[tuple, ProbeChange]) -> ProbeChange | None:
    """The probe whose drift would move point p (see the module's docstring), None if none."""
    if p.area == "ctl":
        return changes.get(CPU)
    backend = pr.raw_backend(p.backend, run) if p.area == "raw" else p.backend
    cost = pr.capability(run, backend, "wait_cost")
    if p.area in ("tcp", "wakeup"):
        return changes.get(EPOLL) or changes.get(CPU)
    if p.area not in ("wait", "raw") or cost is None:
        return None
    if cost == "O(ready)":
        return changes.get(EPOLL)
    # wait_bench's dup fd kind (N dup()s of one socket) goes with the probe's dup layout.
    layout = "dup" if len(p.labels) > 1 and p.labels[1] == "dup" else "distinct"
    return (_nearest_per_fd(changes, p.params.get("fds", 1), layout, p.tag("mode") or "block")
            or _nearest_per_fd(changes, p.params.get("fds", 1), "distinct", p.tag("mode") or "block"))
