"""The figures the report, the plots and compare derive from a run: the headline N, the position
effect, the crossover, the readiness cycle, curves that go the wrong way. Shared so that the
report's text and the plots' marks come from one computation; tests/scripts checks them on a
fixture with known values.

Every figure is the median over samples (processes) of pollbench_results.Point.per_call_ns (the
p50 of single waits) unless a function says otherwise; spreads are min-max over the samples.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pollbench_results as pr

# A point is "steady" when its cross-process cv is at most this: the spread section counts them.
# The headline is quoted at fixed N (fixed_headline, HEADLINE_FDS), never at the steadiest one,
# so that two runs quote the same figure.
STEADY_MAX_CV = 0.05
# The crossover compares the O(ready) backends against this O(watched) one, by choice: poll's
# array holds exactly the watched fds, so its cost follows N alone (select's follows the highest
# fd number); the report's prose names it. A run without it has no crossover.
CROSSOVER_AGAINST = "poll"


def scanning(run: pr.Run) -> list[str]:
    """The backends whose wait costs O(watched) (select, poll): what the headline compares."""
    return pr.backends_where(run, wait_cost="O(watched)")


def references(run: pr.Run) -> list[str]:
    """The O(ready) backends, in the factory's order: the headline's reference is the first measured."""
    return pr.backends_where(run, wait_cost="O(ready)")


def reference_family(run: pr.Run) -> list[str]:
    """The O(ready) backends sharing the first one's raw-syscall family (epoll_lt, epoll_et)."""
    refs = references(run)
    raw = pr.capability(run, refs[0], "raw") if refs else None
    return [b for b in refs if pr.capability(run, b, "raw") == raw]


def trigger_pair(run: pr.Run) -> tuple[str, str, str] | None:
    """(raw family, level backend, edge backend): the first raw family with an O(ready) backend of
    each trigger (epoll: epoll_lt, epoll_et), for comparing the triggers on one mechanism."""
    for family in dict.fromkeys(pr.capability(run, b, "raw") for b in references(run)):
        level = pr.backends_where(run, wait_cost="O(ready)", raw=family, trigger="level")
        edge = pr.backends_where(run, wait_cost="O(ready)", raw=family, trigger="edge")
        if level and edge:
            return family, level[0], edge[0]
    return None


def point(run: pr.Run, area: str, backend: str, kind: str | None, fds: int, active: int,
          mode: str = "block", pos: str = "spread") -> pr.Point | None:
    points = run.select(area, (backend, kind), {"mode": mode, "pos": pos}, fds=fds, active=active)
    return points[0] if points else None


# --- headline -------------------------------------------------------------------------------

# The N the report's first page quotes, fixed so that two runs quote the same figure: this one
# (or the nearest measured below it) and the largest N measured.
HEADLINE_FDS = 1000


@dataclass
class FixedHeadline:
    reference: str  # the first O(ready) backend measured (epoll_lt)
    slow: list[str]  # the O(watched) backends measured (select, poll)
    ns: list[int]  # the N quoted: HEADLINE_FDS (or the nearest below) and the largest common N


def fixed_headline(run: pr.Run, kind: str, at: int = HEADLINE_FDS) -> FixedHeadline | None:
    """select/poll against the reference at 1 ready, at N = `at` and at the largest N they share."""
    reference = next((b for b in references(run) if run.sweep("wait", (b, kind), active=1)), None)
    slow = [b for b in scanning(run) if run.sweep("wait", (b, kind), active=1)]
    if reference is None or not slow:
        return None
    common = [n for n in run.param_values("wait", "fds", active=1)
              if point(run, "wait", reference, kind, n, 1) and all(point(run, "wait", b, kind, n, 1) for b in slow)]
    if not common:
        return None
    below = [n for n in common if n <= at]
    first = below[-1] if below else common[0]
    return FixedHeadline(reference, slow, sorted({first, common[-1]}))


# --- the knee: where the per-fd cost of select and poll steps up ---------------------------------

@dataclass
class Knee:
    below: int  # the last N below the knee
    above: int  # the first N above it
    found: bool  # True: chosen from the data (the best two-segment fit); False: given by the user


def knee(run: pr.Run, kind: str, fit_min: int = 100, last_below: int | None = None) -> Knee | None:
    """Where select's and poll's log-log line breaks: the split of their sweep (N >= fit_min, 1
    ready) into two straight segments, each of at least 3 points, with the least squared error
    summed over both backends. `last_below` sets the split instead (the last N below the knee).
    None when no split leaves 3 points on each side."""
    import numpy as np

    curves = []
    for b in scanning(run):
        points = sorted((p for p in run.sweep("wait", (b, kind), active=1) if p.params["fds"] >= fit_min),
                        key=lambda p: p.params["fds"])
        if points:
            curves.append(([p.params["fds"] for p in points], [p.per_call_ns for p in points]))
    ns = sorted(set.intersection(*(set(c[0]) for c in curves))) if curves else []
    if last_below is not None:
        above = [n for n in ns if n > last_below]
        return Knee(last_below, above[0], False) if above else None

    def error(xs, ys) -> float:
        x, y = np.log(xs), np.log(ys)
        fit = np.polyfit(x, y, 1)
        return float(np.sum((np.polyval(fit, x) - y) ** 2))

    best = None
    for i in range(2, len(ns) - 3):  # ns[:i+1] below, ns[i+1:] above, 3 points or more each
        split = ns[i]
        total = 0.0
        for xs, ys in curves:
            pairs = list(zip(xs, ys))
            below = [q for q in pairs if q[0] <= split]
            above = [q for q in pairs if q[0] > split]
            total += error(*zip(*below)) + error(*zip(*above))
        if best is None or total < best[0]:
            best = (total, split, ns[i + 1])
    return Knee(best[1], best[2], True) if best else None


# --- the ready fd's position ------------------------------------------------------------------

POSITIONS = ("first", "middle", "last")
MODES = ("block", "nonblock")


def position_ns(run: pr.Run, kind: str) -> list[int]:
    """The N at which select or poll were measured with the ready fd first, middle and last."""
    out = set()
    for p in run.select("wait", (None, kind), active=1):
        if p.tag("pos") in POSITIONS and p.backend in scanning(run):
            out.add(p.params["fds"])
    return sorted(out)


def position_table(run: pr.Run, kind: str, n: int) -> dict[str, dict[tuple[str, str], pr.Point]]:
    """backend -> {(mode, pos): point} at N = n, every backend measured there."""
    out: dict[str, dict[tuple[str, str], pr.Point]] = {}
    for p in run.select("wait", (None, kind), fds=n, active=1):
        if p.tag("pos") in POSITIONS and p.tag("mode") in MODES:
            out.setdefault(p.backend, {})[(p.tag("mode"), p.tag("pos"))] = p
    return {b: out[b] for b in pr.sort_backends(out, run)}


# --- crossover ----------------------------------------------------------------------------------

@dataclass
class Crossover:
    n: int
    backend: str
    against: str
    actives: list[int]
    ratios: list[float]  # backend / against, per active count
    active: float | None  # the interpolated A where the backend becomes slower; None: never or from the start
    slower_from_start: bool

    @property
    def fraction(self) -> float | None:
        return None if self.active is None else self.active / self.n


def crossover_ns(run: pr.Run, kind: str, least: int = 5) -> list[int]:
    """The N with a dense ready sweep: CROSSOVER_AGAINST measured at `least` or more active counts."""
    return [n for n in run.param_values("wait", "fds")
            if len(run.sweep("wait", (CROSSOVER_AGAINST, kind), fds=n)) >= least]


def crossover(run: pr.Run, kind: str, n: int, backend: str, against: str = CROSSOVER_AGAINST) -> Crossover | None:
    """Where `backend` becomes slower per wait than `against` as more of the N fds are ready:
    the first A at which their ratio rises through 1, interpolated linearly in A between the two
    measured A that bracket it."""
    mine = {p.params["active"]: p.per_call_ns for p in run.sweep("wait", (backend, kind), fds=n)}
    theirs = {p.params["active"]: p.per_call_ns for p in run.sweep("wait", (against, kind), fds=n)}
    actives = sorted(set(mine) & set(theirs))
    if len(actives) < 2:
        return None
    ratios = [mine[a] / theirs[a] for a in actives]
    if ratios[0] > 1:
        return Crossover(n, backend, against, actives, ratios, None, True)
    for (a0, r0), (a1, r1) in zip(zip(actives, ratios), zip(actives[1:], ratios[1:])):
        if r0 <= 1 < r1:
            return Crossover(n, backend, against, actives, ratios, a0 + (1 - r0) * (a1 - a0) / (r1 - r0), False)
    return Crossover(n, backend, against, actives, ratios, None, False)


# --- the readiness cycle --------------------------------------------------------------------------

@dataclass
class CycleRow:
    backend: str
    n: int
    write_ns: float  # the writer's write() that made the fd ready (counter write_ns), median over samples
    wait_ns: float  # the waiter's wait, Google Benchmark's mean time per wait, median over samples

    @property
    def total_ns(self) -> float:
        return self.write_ns + self.wait_ns


def cycle_ns(run: pr.Run, kind: str) -> list[int]:
    """The smallest and the largest N of the default sweep at 1 ready that has write_ns."""
    ns = [n for n in run.param_values("wait", "fds", active=1)
          if any(p.counter("write_ns") is not None for p in run.sweep("wait", (None, kind), fds=n, active=1))]
    return sorted({ns[0], ns[-1]}) if ns else []


def cycle(run: pr.Run, kind: str, n: int) -> list[CycleRow]:
    rows = []
    for b in run.values("wait", 0):
        p = point(run, "wait", b, kind, n, 1)
        if p is not None and p.counter("write_ns") is not None:
            rows.append(CycleRow(b, n, p.counter("write_ns"), p.mean_ns))
    return rows


@dataclass
class Offload:
    backend: str
    n: int
    write_ns: float
    others_write_ns: float  # median write_ns of the other backends at the same point
    wait_ns: float


def offloaded(run: pr.Run, kind: str) -> list[Offload]:
    """Backends whose wait leaves out work that the writing thread pays for, decided from the data
    at the smallest N of the readiness cycle: their write() costs more than the other backends'
    (median) by more than their whole wait costs, and by more than 20% of the others' write."""
    ns = cycle_ns(run, kind)
    if not ns:
        return []
    rows = cycle(run, kind, ns[0])
    out = []
    for r in rows:
        others = [o.write_ns for o in rows if o.backend != r.backend]
        if len(others) < 2:
            continue
        typical = statistics.median(others)
        excess = r.write_ns - typical
        wait = point(run, "wait", r.backend, kind, r.n, 1).per_call_ns
        if excess > wait and excess > 0.2 * typical:
            out.append(Offload(r.backend, r.n, r.write_ns, typical, wait))
    return out


# --- curves that go the wrong way -----------------------------------------------------------------

@dataclass
class Dip:
    curve: str  # e.g. "wait select, 1 ready"
    x0: int
    x1: int
    y0: float
    y1: float
    spread0: tuple[float, float]
    spread1: tuple[float, float]
    what: str  # "time per wait" or "requests/s"

    @property
    def has_spread(self) -> bool:
        """Whether both points have more than one sample (a range to judge the turn against)."""
        return self.spread0[0] < self.spread0[1] or self.spread1[0] < self.spread1[1]

    @property
    def within_spread(self) -> bool:
        """Whether the two points' min-max ranges overlap: the turn is inside the noise."""
        return self.spread0[0] <= self.spread1[1] and self.spread1[0] <= self.spread0[1]


def _turns(xs, ys, spreads, curve, what, falling_is_wrong: bool, least: float) -> list[Dip]:
    out = []
    for i in range(len(xs) - 1):
        y0, y1 = ys[i], ys[i + 1]
        change = (y1 - y0) / y0 if y0 else 0.0
        if (falling_is_wrong and change < -least) or (not falling_is_wrong and change > least):
            out.append(Dip(curve, xs[i], xs[i + 1], y0, y1, spreads[i], spreads[i + 1], what))
    return out


def wait_dips(run: pr.Run, kind: str, least: float = 0.10) -> list[Dip]:
    """Points of the default N sweeps where the time per wait falls by more than `least` while N
    grows (more watched fds should never make a wait cheaper)."""
    out = []
    for b in run.values("wait", 0):
        for a in run.param_values("wait", "active"):
            points = sorted(run.sweep("wait", (b, kind), active=a), key=lambda p: p.params["fds"])
            if len(points) < 2:
                continue
            out += _turns([p.params["fds"] for p in points], [p.per_call_ns for p in points],
                          [p.per_call_spread_ns for p in points], f"{b}, {a} ready", "time per wait", True, least)
    return out


def tcp_rises(run: pr.Run, least: float = 0.10) -> list[Dip]:
    """TCP curves whose requests/s rise by more than `least` as idle connections grow."""
    out = []
    for b in run.values("tcp", 0):
        for a in run.param_values("tcp", "active") or [None]:
            points = sorted((p for p in run.select("tcp", (b,)) if p.params.get("active") == a and "idle" in p.params
                             and p.counter("requests_per_sec") is not None), key=lambda p: p.params["idle"])
            if len(points) < 2:
                continue
            spreads = [(min(s), max(s)) for s in (p.counter_samples("requests_per_sec") for p in points)]
            out += _turns([p.params["idle"] for p in points], [p.counter("requests_per_sec") for p in points],
                          spreads, f"{b}, {a} active", "requests/s", False, least)
    return out
