#!/usr/bin/env python3
"""Loads and validates pollbench's Google Benchmark JSON; shared by the plot, report and compare scripts.

A pollbench result file is Google Benchmark 1.7 JSON (--benchmark_out_format=json) whose benchmark
names say what was measured, as slash-separated labels and key:value parameters:

    wait/<backend>/<fdkind>/mode:<M>/pos:<P>/fds:<N>/active:<A>   one wait with N watched fds, A ready
    ctl/<backend>/<op>/fds:<N>                     one add / modify / remove with N watched
    wakeup/<backend>/fds:<N>                       write-to-wakeup latency with N idle fds
    raw/<mechanism>/<fdkind>/mode:<M>/pos:<P>/fds:<N>/active:<A>  the bare syscall, no Poller layer
    tcp/<backend>/idle:<I>/active:<A>              a server under load with I idle connections

mode (block: a 1 s timeout; nonblock: timeout 0) and pos (where the ready fds sit in scan order:
first, middle, last, spread) are tags: key:value parts whose value is a word. A file without them
(written before they existed) counts as mode:block/pos:spread, the default combination.

Google Benchmark appends how it ran (repeats:3, manual_time, ...); those parts are dropped here.
Every row of one benchmark becomes one sample of one Point: bench.sh runs wait_bench in several
fresh processes and merges them (merge_processes; each row carries its process_index), so the
samples of a merged file are processes; in a single process's file they are repetitions. The
figures used everywhere are the median over samples, with min-max and cv as its spread.
Per-family BigO / RMS rows lose their arguments in the name, so they are kept by family_index.

Run as a program, it checks files and prints what they hold:
    pollbench_results.py wait.json tcp.json
and exits 1 with a message naming the problem when one is empty, truncated or not pollbench's.
Only the standard library is needed for loading; fitting slopes needs numpy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollbench_stats  # noqa: E402

AREAS = ("wait", "ctl", "wakeup", "raw", "tcp", "herd", "wait_watched", "ctl_watched")
# Areas whose names carry a parameter that Google Benchmark also uses as a run option: herd's
# threads:T is the number of accepting threads it measures, not how Google Benchmark ran it.
_AREA_PARAMS = {"herd": {"threads"}}
# What each backend is comes from the run's own context: the binaries write every backend's
# capabilities there ("backend_capabilities", what `backends_list --json` prints), in the
# factory's order, and the scripts ask for a capability, never for a name (see capabilities()).
#
# FALLBACK, only for runs made before the results carried capabilities (the reference runs under
# results/ up to vm-20261201-022846): the same fields for the backends of that time. Nothing
# else in the scripts lists backends; a new backend needs no line here.
_CAPABILITIES_BEFORE_CONTEXT = (
    {"name": "select", "trigger": "level", "wait_cost": "O(watched)", "interest": "user_array",
     "reports_hangup": False, "raw": "select"},
    {"name": "poll", "trigger": "level", "wait_cost": "O(watched)", "interest": "user_array",
     "reports_hangup": True, "raw": "poll"},
    {"name": "epoll_lt", "trigger": "level", "wait_cost": "O(ready)", "interest": "kernel",
     "reports_hangup": True, "raw": "epoll"},
    {"name": "epoll_et", "trigger": "edge", "wait_cost": "O(ready)", "interest": "kernel",
     "reports_hangup": True, "raw": "epoll"},
    {"name": "io_uring", "trigger": "edge", "wait_cost": "O(ready)", "interest": "kernel",
     "reports_hangup": True, "raw": "io_uring"},
    {"name": "io_uring_plain", "trigger": "edge", "wait_cost": "O(ready)", "interest": "kernel",
     "reports_hangup": True, "raw": "io_uring"},
)
# The raw family's older name in those runs (raw/epoll_wait/...).
_RAW_ALIASES_BEFORE_CONTEXT = {"epoll_wait": "epoll"}
# The tag values of the full N sweep; files without tags count as these.
DEFAULT_TAGS = {"mode": "block", "pos": "spread"}
# Parts of a name that Google Benchmark adds to say how it ran, not what ran.
_RUN_OPTION_KEYS = {"repeats", "min_time", "min_warmup_time", "iterations", "threads"}
_RUN_OPTION_WORDS = {"manual_time", "real_time", "process_time"}
# Row fields that are not user counters.
_STANDARD_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "aggregate_name", "aggregate_unit", "label", "error_occurred", "error_message",
    "big_o", "real_coefficient", "cpu_coefficient", "rms", "process_index",
}
_NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class ResultsError(Exception):
    """A result file that cannot be used; the message names the file and the problem."""


@dataclass
class Point:
    """One benchmark (one name and its arguments) with all its repetitions."""

    run_name: str
    area: str
    labels: tuple[str, ...]  # e.g. ("select", "pipe") for wait/select/pipe/...
    params: dict[str, int]  # e.g. {"fds": 1000, "active": 1}
    family_index: int
    tags: dict[str, str] = field(default_factory=dict)  # e.g. {"mode": "block", "pos": "first"}
    real_ns: list[float] = field(default_factory=list)  # one per sample (process or repetition)
    counters: list[dict[str, float]] = field(default_factory=list)  # one per sample
    processes: list[int | None] = field(default_factory=list)  # each sample's process_index, if merged
    aggregates: dict[str, dict] = field(default_factory=dict)  # aggregate_name -> row, times in ns

    @property
    def backend(self) -> str:
        return self.labels[0] if self.labels else ""

    def tag(self, key: str) -> str | None:
        return self.tags.get(key, DEFAULT_TAGS.get(key) if self.area in ("wait", "raw") else None)

    @property
    def mean_ns(self) -> float:
        """Google Benchmark's time: the mean time per call (manual time: per wait) of a sample,
        median over samples."""
        if self.real_ns:
            return statistics.median(self.real_ns)
        return self.aggregates["median"]["real_time"]

    @property
    def per_call_samples(self) -> list[float]:
        """The typical single call of each sample: the p50 of single calls (pollbench's histogram
        counter p50_ns), else Google Benchmark's mean time."""
        values = [c["p50_ns"] for c in self.counters if c.get("p50_ns", 0) > 0]
        return values if values and len(values) == len(self.counters) else list(self.real_ns)

    @property
    def per_call_ns(self) -> float:
        """The typical single call: the p50 of single calls, median over samples (processes).
        Robust to the rare preempted call that drags a mean up on a busy machine. Falls back to
        mean_ns for benchmarks without the counter."""
        return statistics.median(self.per_call_samples)

    @property
    def per_call_spread_ns(self) -> tuple[float, float]:
        """Lowest and highest sample of per_call_ns: the error bars."""
        values = self.per_call_samples
        return min(values), max(values)

    @property
    def per_call_interval(self) -> tuple[float, float, float] | None:
        """A distribution-free interval of per_call_ns and its coverage (see median_interval)."""
        return median_interval(self.per_call_samples)

    @property
    def per_call_cv(self) -> float | None:
        """Coefficient of variation of per_call_ns over samples (stdev / mean), None for one sample."""
        return cv(self.per_call_samples)

    @property
    def repetitions(self) -> int:
        """Number of samples (processes × repetitions each)."""
        return len(self.real_ns)

    @property
    def process_count(self) -> int:
        """Distinct processes among the samples; 1 for a single process's file."""
        return len({p for p in self.processes if p is not None}) or 1

    def counter(self, name: str) -> float | None:
        """A counter's median over samples, or None when the benchmark has no such counter."""
        values = [c[name] for c in self.counters if name in c]
        if values:
            return statistics.median(values)
        if "median" in self.aggregates and name in self.aggregates["median"]:
            return float(self.aggregates["median"][name])
        return None

    def counter_samples(self, name: str) -> list[float]:
        return [c[name] for c in self.counters if name in c]


def cv(values) -> float | None:
    values = list(values)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean > 0 else None


@dataclass
class Complexity:
    """Google Benchmark's fitted complexity for one family: time ~ coefficient * big_o(N)."""

    big_o: str
    coefficient_ns: float
    rms: float | None = None

    def label(self) -> str:
        return f"BigO {self.coefficient_ns:.3g}·{self.big_o}"


@dataclass
class Run:
    """One result file."""

    path: Path
    context: dict
    points: list[Point]
    complexity: dict[int, Complexity]  # by family_index
    errors: list[tuple[str, str]]  # (benchmark name, error message) of runs that failed

    def select(self, area: str, labels: tuple[str | None, ...] = (), tags: dict[str, str] | None = None,
               **params: int) -> list[Point]:
        """Points of `area` whose leading labels match (None matches any), whose tags match (a point
        without a tag has DEFAULT_TAGS' value) and whose params match.

        A name measured by two families is returned once (the first)."""
        out, names = [], set()
        for p in self.points:
            if p.area != area or p.run_name in names:
                continue
            if any(want is not None and (i >= len(p.labels) or p.labels[i] != want) for i, want in enumerate(labels)):
                continue
            if tags and any(p.tag(k) != v for k, v in tags.items()):
                continue
            if any(p.params.get(k) != v for k, v in params.items()):
                continue
            out.append(p)
            names.add(p.run_name)
        return out

    def sweep(self, area: str, labels: tuple[str | None, ...] = (), **params: int) -> list[Point]:
        """select() in the default combination (DEFAULT_TAGS: mode:block/pos:spread) that the full
        N sweep runs."""
        return self.select(area, labels, DEFAULT_TAGS, **params)

    @property
    def sample_kind(self) -> str:
        """'processes' when the file merges several processes (bench.sh), else 'repetitions'."""
        return "processes" if any(p.process_count > 1 for p in self.points) else "repetitions"

    @property
    def samples(self) -> int:
        """The most samples any point has: processes (or repetitions)."""
        if self.sample_kind == "processes":
            return max(p.process_count for p in self.points)
        return max(p.repetitions for p in self.points)

    @property
    def sweep_samples(self) -> int:
        """The samples every point has: the broad sweep's processes when a precision phase sampled
        some points further (bench.sh's context says how many), else `samples`."""
        sweep = str((self.context or {}).get("pollbench_sweep_processes", ""))
        return int(sweep) if sweep.isdigit() and 0 < int(sweep) < self.samples else self.samples

    def tag_values(self, area: str, key: str) -> list[str]:
        return sorted({p.tag(key) for p in self.points if p.area == area and p.tag(key) is not None})

    def values(self, area: str, position: int) -> list[str]:
        """The distinct labels at `position` of `area`'s names, backends first in pollbench's order."""
        seen = []
        for p in self.points:
            if p.area == area and position < len(p.labels) and p.labels[position] not in seen:
                seen.append(p.labels[position])
        if position != 0:
            return seen
        if area == "raw":  # mechanisms in the order of the backends that wrap them
            order = {b: i for i, b in enumerate(backend_order(self))}
            return sorted(seen, key=lambda m: (order.get(raw_backend(m, self), len(order)), m))
        return sort_backends(seen, self)

    def param_values(self, area: str, key: str, **params: int) -> list[int]:
        return sorted({p.params[key] for p in self.select(area, **params) if key in p.params})

    @property
    def capabilities(self) -> list[dict]:
        return capabilities(self.context)


def capabilities(context: dict | None) -> list[dict]:
    """Every backend the binary knew, in its factory's order, each a dict with the fields of
    `backends_list --json` (name, trigger: level|edge, wait_cost: O(watched)|O(ready), interest:
    user_array|kernel, reports_hangup, raw: its raw-syscall family, ...). From the context's
    backend_capabilities, else (a run made before results carried them) the fallback table."""
    text = (context or {}).get("backend_capabilities")
    if text:
        try:
            listed = json.loads(text) if isinstance(text, str) else text
            if isinstance(listed, list) and all(isinstance(c, dict) and "name" in c for c in listed):
                return listed
        except ValueError:
            pass
    return [dict(c) for c in _CAPABILITIES_BEFORE_CONTEXT]


def _context(source: Run | dict | None) -> dict | None:
    return source.context if isinstance(source, Run) else source


def backends_where(source: Run | dict | None, **wanted) -> list[str]:
    """The backends whose capabilities have every wanted value, in the factory's order, e.g.
    backends_where(run, wait_cost="O(watched)"). `source`: a Run or a result's context."""
    return [c["name"] for c in capabilities(_context(source)) if all(c.get(k) == v for k, v in wanted.items())]


def capability(source: Run | dict | None, backend: str, key: str):
    """One capability of one backend (None for a backend the run does not describe)."""
    for c in capabilities(_context(source)):
        if c["name"] == backend:
            return c.get(key)
    return None


def backend_order(source: Run | dict | None) -> list[str]:
    return [c["name"] for c in capabilities(_context(source))]


def raw_backend(mechanism: str, run: Run | dict | None = None) -> str:
    """The backend that wraps a raw/<mechanism> benchmark's system calls: the first whose raw
    family it is (the mechanism's name when none is)."""
    family = _RAW_ALIASES_BEFORE_CONTEXT.get(mechanism, mechanism)
    return next(iter(backends_where(run, raw=family)), mechanism)


def sort_backends(names, run: Run | dict | None = None) -> list[str]:
    """In the factory's order (the run's, else the fallback's); names it does not know follow,
    alphabetically."""
    order = {b: i for i, b in enumerate(backend_order(run))}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def strip_run_options(name: str) -> str:
    """'wait/poll/pipe/fds:10/active:1/min_time:0.012/repeats:5/manual_time_median' ->
    'wait/poll/pipe/fds:10/active:1_median': what was measured, without how long it ran."""
    parts = name.split("/")
    last = parts[-1]
    suffix = ""
    for word in _RUN_OPTION_WORDS:  # an aggregate's suffix hangs on the last part: manual_time_median
        if last.startswith(word + "_"):
            parts[-1], suffix = word, last[len(word):]
    kept = [p for p in parts if p not in _RUN_OPTION_WORDS and p.partition(":")[0] not in _RUN_OPTION_KEYS]
    return "/".join(kept) + suffix


def parse_name(name: str) -> tuple[str, tuple[str, ...], dict[str, int]]:
    """'wait/select/pipe/fds:10/active:1/repeats:3/manual_time' -> ('wait', ('select', 'pipe'), {fds:10, active:1}).
    key:word parts (mode:block) are tags: see parse_tags."""
    area, labels, params, _tags = parse_name_and_tags(name)
    return area, labels, params


def parse_tags(name: str) -> dict[str, str]:
    """'wait/poll/socketpair/mode:nonblock/pos:last/fds:10/active:1' -> {mode: nonblock, pos: last}."""
    return parse_name_and_tags(name)[3]


def parse_name_and_tags(name: str) -> tuple[str, tuple[str, ...], dict[str, int], dict[str, str]]:
    parts = name.split("/")
    labels: list[str] = []
    params: dict[str, int] = {}
    tags: dict[str, str] = {}
    kept = _AREA_PARAMS.get(parts[0], set())
    for part in parts[1:]:
        if part in _RUN_OPTION_WORDS:
            continue
        if ":" in part:
            key, _, value = part.partition(":")
            if key in _RUN_OPTION_KEYS and key not in kept:
                continue
            try:
                params[key] = int(value)
            except ValueError:
                tags[key] = value
        elif part:
            labels.append(part)
    return parts[0], tuple(labels), params, tags


def _fail(path: Path, problem: str) -> ResultsError:
    return ResultsError(f"{path}: {problem}")


def _read_json_file(path: Path):
    """The parsed JSON of `path`; ResultsError naming the file when it is missing, empty or broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(path, f"cannot be read ({e})") from None
    if not text.strip():
        raise _fail(path, "is empty (did the benchmark that writes it fail or get killed?)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        hint = "; it looks truncated (a run cut short?)" if not text.rstrip().endswith("}") else ""
        raise _fail(path, f"is not valid JSON ({e.msg}: line {e.lineno} column {e.colno}){hint}") from None
    return data


def _read_json(path: Path) -> dict:
    """Google Benchmark JSON: an object with a 'context' object and a 'benchmarks' list."""
    data = _read_json_file(path)
    if (not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list)
            or not isinstance(data.get("context"), dict)):
        found = ", ".join(sorted(data)[:8]) if isinstance(data, dict) else type(data).__name__
        raise _fail(path, "is not Google Benchmark JSON: expected an object with a 'context' object and a "
                    f"'benchmarks' list (found: {found or 'an empty object'}); write it with "
                    "--benchmark_out=FILE --benchmark_out_format=json")
    return data


def _to_ns(row: dict, key: str, path: Path) -> float:
    unit = row.get("time_unit", "ns")
    if unit not in _NS_PER_UNIT:
        raise _fail(path, f"benchmark '{row.get('name')}' has unknown time_unit '{unit}'")
    value = row.get(key)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, f"benchmark '{row.get('name')}' has no numeric '{key}'")
    return float(value) * _NS_PER_UNIT[unit]


def load(path: str | os.PathLike) -> Run:
    """Reads one result file; raises ResultsError naming the file and the problem."""
    path = Path(path)
    data = _read_json(path)
    rows = data["benchmarks"]
    if not rows:
        raise _fail(path, "holds no benchmark results (the 'benchmarks' list is empty)")

    # Keyed by family too: two families may measure the same name (a sweep crossing another).
    points: dict[tuple[int, str], Point] = {}
    complexity: dict[int, Complexity] = {}
    errors: list[tuple[str, str]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise _fail(path, f"benchmark #{i} has no 'name'; this is not Google Benchmark output")
        run_name = row.get("run_name", row["name"])
        area, labels, params, tags = parse_name_and_tags(run_name)
        if area not in AREAS:
            continue  # not one of ours; a pollbench file holds only its own, checked below
        if row.get("error_occurred"):
            error = (run_name, str(row.get("error_message", "unknown error")))
            if error not in errors:  # once, not once per repetition
                errors.append(error)
            continue
        family = int(row.get("family_index", -1))
        run_type = row.get("run_type", "iteration")
        aggregate = row.get("aggregate_name", "")
        if run_type == "aggregate" and aggregate == "BigO":
            fitted = complexity.setdefault(family, Complexity("?", 0.0))
            fitted.big_o = str(row.get("big_o", "?"))
            fitted.coefficient_ns = _to_ns(row, "real_coefficient", path)
            continue
        if run_type == "aggregate" and aggregate == "RMS":
            complexity.setdefault(family, Complexity("?", 0.0)).rms = row.get("rms")
            continue
        point = points.setdefault((family, run_name), Point(run_name, area, labels, params, family, tags))
        counters = {k: float(v) for k, v in row.items()
                    if k not in _STANDARD_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool)}
        if run_type == "aggregate":
            agg = dict(counters)
            # cv is a ratio, not a time: keep it as Google Benchmark wrote it.
            agg["real_time"] = (float(row.get("real_time", 0.0)) if row.get("aggregate_unit") == "percentage"
                                else _to_ns(row, "real_time", path))
            point.aggregates[aggregate] = agg
        else:
            point.real_ns.append(_to_ns(row, "real_time", path))
            point.counters.append(counters)
            index = row.get("process_index")
            point.processes.append(int(index) if isinstance(index, int) else None)

    # Aggregates without their repetitions (--benchmark_report_aggregates_only): use the median.
    for point in points.values():
        if not point.real_ns and "median" in point.aggregates:
            point.real_ns.append(point.aggregates["median"]["real_time"])
            point.counters.append({k: v for k, v in point.aggregates["median"].items() if k != "real_time"})
            point.processes.append(None)
    usable = [p for p in points.values() if p.real_ns]
    if not usable and not errors:
        first = rows[0].get("name") if isinstance(rows[0], dict) else rows[0]
        raise _fail(path, "holds no pollbench results: names should start with "
                    + ", ".join(a + "/" for a in AREAS) + f" (the first is '{first}')")
    if not usable:
        raise _fail(path, f"every benchmark failed; the first: {errors[0][0]}: {errors[0][1]}")
    return Run(path, data["context"], usable, complexity, errors)


def main_fd_kind(run: Run) -> str | None:
    """The fd kind the per-wait plots and tables show: the one with the most wait results;
    socketpairs on a tie (what --quick and the raw baseline use)."""
    kinds = run.values("wait", 1)
    preference = {"socketpair": 0, "pipe": 1, "tcp": 2}
    return max(kinds, key=lambda k: (len(run.sweep("wait", (None, k))), -preference.get(k, 9))) if kinds else None


def load_area(path: str | os.PathLike, *areas: str) -> Run:
    """load(), for a file that must hold results of one of `areas` (herd.json: "herd"); raises
    ResultsError naming the file and the areas when it holds none."""
    run = load(path)
    if not any(p.area in areas for p in run.points):
        names = " or ".join(f"{a}/..." for a in areas)
        raise _fail(Path(path), f"holds no {names} results")
    return run


def load_optional(path: str | os.PathLike) -> Run | None:
    """Like load(), but a file that does not exist gives None (a step that did not run)."""
    return load(path) if Path(path).exists() else None


# --- numbers ------------------------------------------------------------------------------

# The TCP latency to show, best first: a request's round trip as the load generator saw it when
# tcp_bench reports one, else the server loop's wait.
TCP_LATENCY_COUNTERS = (("request_p99_ns", "p99 request latency (load generator)"),
                        ("p99_ns", "p99 time per wait in the server loop"))


def tcp_latency_counter(run: Run) -> tuple[str, str]:
    """(counter, what it is) for the TCP plots and tables: the first of TCP_LATENCY_COUNTERS that
    every tcp benchmark of `run` has."""
    points = run.select("tcp")
    for counter, meaning in TCP_LATENCY_COUNTERS:
        if points and all(p.counter(counter) is not None for p in points):
            return counter, meaning
    return TCP_LATENCY_COUNTERS[-1]


def is_quick(run: Run | None) -> bool:
    """Whether a binary said it ran its --quick sweep (wait_bench records wait_bench_mode)."""
    return run is not None and any(k.endswith("_mode") and v == "quick" for k, v in run.context.items())


def fit_loglog_slope(ns, times, min_n: int = 100, max_n: int | None = None) -> float | None:
    """Slope of log(time) against log(N) over the points with min_n <= N (<= max_n, if given):
    ~1 means O(N), ~0 means flat.

    None when fewer than two such points exist."""
    import numpy as np  # only the fitting needs numpy

    pairs = [(n, t) for n, t in zip(ns, times)
             if n >= min_n and (max_n is None or n <= max_n) and n > 0 and t > 0]
    if len({n for n, _ in pairs}) < 2:
        return None
    x = np.log([n for n, _ in pairs])
    y = np.log([t for _, t in pairs])
    slope, _intercept = np.polyfit(x, y, 1)
    return float(slope)


def median_interval(values, confidence: float = pollbench_stats.CONFIDENCE) -> tuple[float, float, float] | None:
    """A distribution-free interval of the median of `values`: (low, high, its coverage).

    The order statistics of pollbench_stats.median_ci, with one difference: where no interval
    reaches `confidence` (fewer than 6 samples for 95%), this gives min-max with the coverage it
    has (93.8% for 5 samples) rather than None, so a run of 5 processes still quotes one. None
    for fewer than 2 values."""
    xs = sorted(values)
    if len(xs) < 2:
        return None
    ranks = pollbench_stats.order_statistic_ranks(len(xs), confidence) or pollbench_stats.widest_ranks(len(xs))
    return xs[ranks.lo - 1], xs[ranks.hi - 1], ranks.coverage


@dataclass(frozen=True)
class PointInterval:
    """A figure's median with the interval a reader may quote: from precision.json when the
    precision phase sampled it, else pollbench_stats.median_ci over its per-process medians, else
    (n < 6) min-max with the coverage it has (93.8% for n = 5)."""

    median: float
    lo: float | None
    hi: float | None
    coverage: float | None
    n: int
    source: str  # "precision", "order statistics" or "min–max"
    status: str | None = None  # precision.json's "reached" or "budget"

    @property
    def relative_half_width(self) -> float | None:
        if self.lo is None or self.hi is None or self.median <= 0:
            return None
        return max(self.median - self.lo, self.hi - self.median) / self.median


def interval_of(values, precision_entry: dict | None = None) -> PointInterval | None:
    """The PointInterval of a figure whose samples are `values` (one per process), or of its
    precision.json entry when given. None for no values."""
    if precision_entry is not None and isinstance(precision_entry.get("median"), (int, float)):
        e = precision_entry
        return PointInterval(float(e["median"]), e.get("lo"), e.get("hi"), e.get("coverage"), int(e.get("n", 0)),
                             "precision", e.get("status"))
    xs = sorted(values)
    if not xs:
        return None
    ci = pollbench_stats.median_ci(xs)
    if ci is not None:
        return PointInterval(ci.median, ci.lo, ci.hi, ci.coverage, len(xs), "order statistics")
    if len(xs) < 2:
        return PointInterval(statistics.median(xs), None, None, None, len(xs), "min–max")
    return PointInterval(statistics.median(xs), xs[0], xs[-1], pollbench_stats.widest_ranks(len(xs)).coverage,
                         len(xs), "min–max")


def samples_by_process(point: Point, values: list[float] | None = None) -> dict[int, float]:
    """{process_index: that process's figure} of a merged point (the per-call p50 unless `values`,
    one per sample, are given); the median where a process has several rows; {} unmerged."""
    values = point.per_call_samples if values is None else values
    grouped: dict[int, list[float]] = {}
    for index, value in zip(point.processes, values):
        if index is not None:
            grouped.setdefault(index, []).append(value)
    return {k: statistics.median(v) for k, v in grouped.items()}


def paired_samples(a: Point, b: Point, values_a: list[float] | None = None,
                   values_b: list[float] | None = None) -> tuple[list[float], list[float]]:
    """The samples of a and b measured in the same process (same process_index), in pairs."""
    sa, sb = samples_by_process(a, values_a), samples_by_process(b, values_b)
    common = sorted(set(sa) & set(sb))
    return [sa[k] for k in common], [sb[k] for k in common]


def load_probe(path: str | os.PathLike) -> dict | None:
    """machine_probe's JSON (probe-start.json, probe-end.json), or None when the run has none
    (old runs, --skip). A file that is not machine_probe's is an error naming it."""
    path = Path(path)
    if not path.exists():
        return None
    data = _read_json_file(path)
    if not isinstance(data, dict) or not any(k in data for k in ("pointer_chase", "cpu_loop", "epoll_wait")):
        raise _fail(path, "is not machine_probe output (no pointer_chase, cpu_loop or epoll_wait)")
    return data


def load_precision(path: str | os.PathLike) -> dict | None:
    """precision.json (bench.sh's precision phase), or None when the run has none. Its points are
    keyed by the benchmark name without run options (strip_run_options)."""
    path = Path(path)
    if not path.exists():
        return None
    data = _read_json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("points"), dict):
        raise _fail(path, "has no 'points' object; this is not bench.sh's precision.json")
    return data


def precision_entry(precision: dict | None, point: Point) -> dict | None:
    """The precision.json entry of `point`, if the precision phase sampled it."""
    if not precision:
        return None
    return precision["points"].get(strip_run_options(point.run_name))


def format_ns(ns: float | None) -> str:
    """850 ns, 12.3 µs, 1.25 ms, 2.00 s."""
    if ns is None or (isinstance(ns, float) and not math.isfinite(ns)):
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            v = ns / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{ns:.3g} ns" if ns < 100 else f"{ns:.0f} ns"


def short_kernel(context: dict) -> str:
    """'6.1.0-18-amd64 #1 SMP ...' -> '6.1.0-18-amd64'."""
    kernel = str(context.get("kernel", "")).split(" ")[0]
    return kernel or "unknown kernel"


def machine_title(context: dict) -> str:
    """What every plot's title names: CPU model, core count, kernel and host."""
    cpu = str(context.get("cpu_model", "unknown CPU"))
    for noise in ("(R)", "(TM)", " CPU", " Processor"):
        cpu = cpu.replace(noise, "")
    cpu = " ".join(cpu.split())
    cpus = context.get("num_cpus")
    cores = f" ×{cpus}" if cpus else ""
    host = context.get("host_name", "")
    return f"{cpu}{cores}, Linux {short_kernel(context)}" + (f", host {host}" if host else "")


# --- finding an interpreter with matplotlib -------------------------------------------------

_FIND_PYTHON = Path(__file__).resolve().parent / "find_python.sh"


def require_modules(*modules: str) -> None:
    """Makes sure this interpreter imports `modules`; if not, re-runs the script under the one
    scripts/find_python.sh finds (the one place that knows where to look), or exits 1 with its
    message saying what to install."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    found = subprocess.run(["bash", "-c", '. "$0" && pollbench_find_python "$@"', str(_FIND_PYTHON), *modules],
                           capture_output=True, text=True)
    candidate = found.stdout.strip()
    if found.returncode == 0 and candidate and not os.environ.get("POLLBENCH_REEXECUTED") \
            and os.path.realpath(candidate) != os.path.realpath(sys.executable):
        os.environ["POLLBENCH_REEXECUTED"] = "1"
        os.execv(candidate, [candidate, os.path.abspath(sys.argv[0]), *sys.argv[1:]])
    sys.exit(f"error: {sys.executable} cannot import {', '.join(missing)}.\n" + found.stderr.rstrip())


# --- merging processes ---------------------------------------------------------------------------

MERGED_AGGREGATES = ("median", "mean", "stddev", "cv", "min", "max")


def _aggregate(values: list[float], name: str) -> float:
    if name == "median":
        return statistics.median(values)
    if name == "mean":
        return statistics.fmean(values)
    if name == "stddev":
        return statistics.stdev(values) if len(values) > 1 else 0.0
    if name == "cv":
        return cv(values) or 0.0
    return min(values) if name == "min" else max(values)


def _merged_aggregates(run_name: str, rows: list[dict]) -> list[dict]:
    """One benchmark's aggregate rows (MERGED_AGGREGATES) over its good rows from every process."""
    good = [r for r in rows if not r.get("error_occurred")]
    if not good:
        return []
    first = good[0]
    keys = [k for k, v in first.items() if k not in _STANDARD_FIELDS and isinstance(v, (int, float))
            and not isinstance(v, bool)]
    out = []
    for name in MERGED_AGGREGATES:
        agg = {k: first[k] for k in ("family_index", "per_family_instance_index", "threads", "time_unit")
               if k in first}
        agg.update(name=f"{first['name']}_{name}", run_name=run_name, run_type="aggregate",
                   repetitions=len(good), aggregate_name=name,
                   aggregate_unit="percentage" if name == "cv" else "time", iterations=len(good))
        for k in ["real_time", "cpu_time"] + keys:
            values = [float(r[k]) for r in good if isinstance(r.get(k), (int, float))]
            if values:
                agg[k] = _aggregate(values, name)
        out.append(agg)
    return out


def _merged_fits(rows: list[dict]) -> list[dict]:
    """One family's BigO and RMS rows over the processes: the median coefficient over those that
    fitted the most common big_o."""
    out = []
    for kind in ("BigO", "RMS"):
        of_kind = [r for r in rows if r.get("aggregate_name") == kind]
        if not of_kind:
            continue
        if kind == "BigO":
            shapes = [r.get("big_o") for r in of_kind]
            common = max(set(shapes), key=shapes.count)
            of_kind = [r for r in of_kind if r.get("big_o") == common]
        row = dict(of_kind[0])
        row.pop("process_index", None)
        for k in ("real_coefficient", "cpu_coefficient", "rms"):
            values = [float(r[k]) for r in of_kind if isinstance(r.get(k), (int, float))]
            if values:
                row[k] = statistics.median(values)
        out.append(row)
    return out


# What names a point in a Google Benchmark file (a precision round's rows take the sweep's).
_IDENTITY_FIELDS = ("name", "run_name", "family_index", "per_family_instance_index")


def merge_processes(sources: list[Path], target: Path, precision_from: int | None = None) -> str:
    """Merges the result files of several processes of one binary into one Google Benchmark file.

    Every process's rows are kept, each tagged with its process_index (0-based, in the order given),
    and its repetition_index renumbered across processes so Google Benchmark's compare.py sees them
    as repetitions. Each benchmark gets aggregate rows over all its samples: median, mean, stddev,
    cv (as Google Benchmark names them; cv is a fraction) and min, max, of the time and of every
    counter. BigO / RMS rows: the median coefficient over the processes that fitted the family's
    most common big_o. The context is the first process's, plus pollbench_processes and each
    process's date and load average.

    precision_from: the sources from this index on are the precision phase's rounds (bench.sh
    --precision): fresh processes of the same binary over a few named points. Every row is tagged
    "sampling": "sweep" or "precision". A round runs a filtered process, whose family_index and
    per_family_instance_index count only the families it ran, and its names may carry other run
    options: its rows take the identity (name, run_name, family and instance index) of the sweep's
    row of the same point (same name without run options), so each point's samples stay one
    point. Returns a one-line description; raises ResultsError."""
    datas = [_read_json(Path(s)) for s in sources]
    for s in sources:
        load(s)  # the same checks as any result file
    rows_out: list[dict] = []
    by_name: dict[str, list[dict]] = {}
    order: list[str] = []
    fits: dict[int, list[dict]] = {}
    identity: dict[str, dict] = {}  # plain name -> the first row's identity fields
    first_round = len(datas) if precision_from is None else precision_from
    for index, data in enumerate(datas):
        sampling = "sweep" if index < first_round else "precision"
        for row in data["benchmarks"]:
            if not isinstance(row, dict):
                continue
            row = dict(row, process_index=index, sampling=sampling)
            if row.get("run_type") != "aggregate":
                plain = strip_run_options(str(row.get("run_name", row.get("name"))))
                if sampling == "precision" and plain in identity:
                    row.update(identity[plain])
                else:
                    identity.setdefault(plain, {k: row[k] for k in _IDENTITY_FIELDS if k in row})
            elif sampling == "precision":
                continue  # a filtered process's fits cover only its own points
            if row.get("run_type") == "aggregate":
                if row.get("aggregate_name") in ("BigO", "RMS"):
                    fits.setdefault(int(row.get("family_index", -1)), []).append(row)
                continue  # a process's own aggregates (repetitions > 1) are recomputed below
            run_name = row.get("run_name", row.get("name"))
            if run_name not in by_name:
                by_name[run_name] = []
                order.append(run_name)
            row["repetition_index"] = len(by_name[run_name])
            by_name[run_name].append(row)
    for run_name in order:
        rows = by_name[run_name]
        for row in rows:
            row["repetitions"] = len(rows)
        rows_out += rows + _merged_aggregates(run_name, rows)
    for _family, rows in sorted(fits.items()):
        rows_out += _merged_fits(rows)
    context = dict(datas[0]["context"])
    context["pollbench_processes"] = str(len(datas))
    if precision_from is not None:
        context["pollbench_sweep_processes"] = str(min(first_round, len(datas)))
    context["process_dates"] = [d["context"].get("date", "?") for d in datas]
    context["process_load_avg"] = [d["context"].get("load_avg", []) for d in datas]
    tmp = target.with_name(target.name + ".tmp")
    # One benchmark row per line: a full run has thousands, and indenting each field would triple the file.
    text = ('{\n"context": ' + json.dumps(context, indent=1) + ',\n"benchmarks": [\n'
            + ",\n".join(json.dumps(row, separators=(",", ":")) for row in rows_out) + "\n]\n}\n")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    rounds = f" ({len(datas) - first_round} of them precision rounds)" if first_round < len(datas) else ""
    return f"{len(datas)} processes merged into {target}{rounds}"


# --- command line -----------------------------------------------------------------------------

def _describe(run: Run) -> str:
    by_area: dict[str, int] = {}
    for p in run.points:
        by_area[p.area] = by_area.get(p.area, 0) + 1
    areas = ", ".join(f"{n} {a}" for a, n in by_area.items())
    text = f"{run.path}: {len(run.points)} benchmarks ({areas}), up to {run.samples} {run.sample_kind}"
    if run.errors:
        text += f"; {len(run.errors)} failed, e.g. {run.errors[0][0]}: {run.errors[0][1]}"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Check pollbench result files (Google Benchmark JSON) and summarise them. "
                    "Exits 1 naming the problem when a file is missing, empty, truncated or not pollbench's.")
    parser.add_argument("files", nargs="+", metavar="FILE.json", help="result files, e.g. results/RUN/wait.json")
    parser.add_argument("--plain-names-to", metavar="DIR",
                        help="also write each FILE to DIR with its benchmark names stripped of Google Benchmark's "
                             "run options (min_time:, repeats:, iterations:, manual_time), which the binaries size "
                             "per machine and run: two runs then pair up by what they measured")
    parser.add_argument("--merge", metavar="OUT.json",
                        help="merge the FILEs, one per process of one binary, into OUT.json: every row kept with "
                             "its process_index, plus median, mean, stddev, cv, min and max over the processes")
    parser.add_argument("--precision-from", metavar="K", type=int,
                        help="with --merge: the FILEs from the K-th (0-based) on are precision rounds "
                             "(bench.sh --precision): their rows are tagged sampling=precision, the others "
                             "sampling=sweep, and they take the sweep's names for the same points")
    args = parser.parse_args(argv)
    if args.precision_from is not None and (not args.merge or not 0 <= args.precision_from <= len(args.files)):
        parser.error(f"--precision-from {args.precision_from} needs --merge and a value from 0 to the number "
                     f"of FILEs ({len(args.files)})")
    status = 0
    if args.merge:
        try:
            print(merge_processes([Path(f) for f in args.files], Path(args.merge), args.precision_from))
            print(_describe(load(args.merge)))
        except ResultsError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    for f in args.files:
        try:
            print(_describe(load(f)))
            if args.plain_names_to:
                write_plain_names(Path(f), Path(args.plain_names_to) / Path(f).name)
        except ResultsError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
    return status


def write_plain_names(source: Path, target: Path) -> None:
    """A copy of a (validated) result file whose names carry no run options; see strip_run_options."""
    data = _read_json(source)
    for row in data["benchmarks"]:
        for key in ("name", "run_name"):
            if isinstance(row.get(key), str):
                row[key] = strip_run_options(row[key])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
