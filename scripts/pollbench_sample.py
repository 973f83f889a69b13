#!/usr/bin/env python3
"""Samples chosen wait_bench points in fresh processes until each median is known to +-P.

    pollbench_sample.py WAIT_BENCH --point NAME [--point NAME ...] [--points-file FILE]
                        [--roles headline,slope,layer,knee,crossover] [--seed WAIT.json]
                        [--precision 0.05] [--budget-s 300] [--min-samples 6] [--max-samples 400]
                        [--keep-rounds DIR] [--precision-json FILE] [--out samples.json]
                        [-- WAIT_BENCH_ARGS...]

Each round gives each point still open one sample: that of a fresh wait_bench process over the
open points (--benchmark_filter built from their exact names, --benchmark_repetitions=1), its
median wait (the p50_ns counter; real_time where it has none), in ns. Processes are per role
(headline and slope together; layer; knee; crossover) and fd-pool side of POOL_SPLIT (10,000 fds):
a round runs the first open role's processes, or, whenever the later roles have had less than a
quarter of the time, one of theirs; so the cheap cited points get rounds of about a second. Each
process gets --backends with only the backends its points need (start-up probes every backend
given), taken from the run's capabilities (the seed's context, else backends_list beside
WAIT_BENCH). After the round each point is judged by pollbench_stats.decide: "reached" once the
95% order-statistic interval of its median, its samples taken in the order they came
(pollbench_stats.serial_median_ci: widened where consecutive processes came in spells), lies
within +-P of the median; "budget" once it has the samples its share of the time budget allows
(pollbench_stats.allocate: cheap and steady points get what they need, the rest of the budget
goes to the noisy ones), or when the whole budget is spent. A point never
stops as "reached" before --min-samples (at least 6: below that no 95% interval exists). A point
also stops on budget once it has 100 samples and its interval projects a need beyond
--max-samples: it does not settle.

The sampling unit is the fresh process (--unit process, the only one implemented): it covers
the variance a new process brings (where its fd pool's sockets land in memory).

--roles picks the points of the report's cited figures from WAIT_BENCH --benchmark_list_tests,
run here with the same WAIT_BENCH_ARGS as the rounds (the largest N follows the fd limit and the
fds this process leaves open): headline (select, poll, epoll_lt; block, spread, active:1 at
N = 1,000 and the largest socketpair N), slope (those three at every N >= 100), layer (wait and
raw at N = 1, 1,000 and the largest, for every backend whose raw family runs), knee (the dup
points and their socketpair partners), crossover (poll and epoll dense-ready points at N = 1,000).
The roles are in priority order: the time left is planned for the first role's points first, and
what they do not need goes to the next; headline and slope are planned together (the headline
points are slope points too, and a noisy, costly headline point at the largest N must not starve
the cheap slope points: the plan meets cheap needs first and shares the rest).
--seed WAIT.json counts a merged sweep's processes (rows with a process_index) as the first
samples of each point it has. --keep-rounds DIR keeps each round's Google Benchmark JSON as
DIR/round-K.json (K from 0, one per process) for pollbench_results.py --merge --precision-from.
--precision-json FILE writes the summary bench.sh keeps as DIR/precision.json:
  {"precision", "confidence", "budget_s", "spent_s", "unit", "rounds", "processes",
   "points": {NAME: {"n", "median", "lo", "hi", "coverage", "relative_half_width", "status", "role"}}}

Writes JSON (--out, else stdout):
  {"binary", "unit", "precision", "confidence", "budget_s", "min_samples", "max_samples",
   "rounds", "processes", "elapsed_s", "context" (the first process's),
   "points": {NAME: {"samples": [ns...], "n", "median", "lo", "hi", "coverage",
                     "relative_half_width", "status": "reached"|"budget", "time_unit": "ns"}}}
lo/hi/coverage/relative_half_width are null below 6 samples. One progress line per round on stderr.
Exit status: 0 when every point stopped (reached or budget), 1 when wait_bench failed or a point
reported an error, 2 for a bad command line or a name wait_bench does not have.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pollbench_stats as ps  # noqa: E402
from pollbench_results import strip_run_options  # noqa: E402

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class UsageError(Exception):
    pass


class RunError(Exception):
    pass


@dataclass
class Point:
    name: str
    samples: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # estimated wall time of each sample
    status: str = ps.CONTINUE

    def report(self) -> dict:
        ci = ps.serial_median_ci(self.samples)
        median = statistics.median(self.samples) if self.samples else None
        return {"samples": self.samples, "n": len(self.samples), "median": median,
                "lo": ci.lo if ci else None, "hi": ci.hi if ci else None, "coverage": ci.coverage if ci else None,
                "relative_half_width": ci.relative_half_width if ci else None, "status": self.status,
                "time_unit": "ns"}


def filter_for(names: list[str]) -> str:
    """A --benchmark_filter that selects exactly these points (whatever run options follow)."""
    return "^(" + "|".join(re.escape(n) for n in names) + ")(/|$)"


ROLES = ("headline", "slope", "layer", "knee", "crossover")  # in priority order
HEADLINE_BACKENDS = ("select", "poll", "epoll_lt")
_SPREAD = re.compile(r"^wait/([a-z0-9_]+)/socketpair/mode:block/pos:spread/fds:(\d+)/active:(\d+)$")


def role_points(listed: list[str], roles: list[str], raw_of: dict[str, str]) -> dict[str, list[str]]:
    """{name: [roles]} of the points each role needs, from a --benchmark_list_tests listing,
    in the order of `roles` (a point keeps the first role's place). raw_of: each backend's raw
    family (its "raw" capability): wait_bench runs a raw family once, as the baseline of its first
    backend, and the layer pairs that backend with it."""
    names = list(dict.fromkeys(strip_run_options(n) for n in listed))
    have = set(names)
    sweep: dict[str, list[int]] = {}  # backend -> its socketpair block/spread N at active:1
    for n in names:
        m = _SPREAD.match(n)
        if m and m.group(3) == "1":
            sweep.setdefault(m.group(1), []).append(int(m.group(2)))
    largest = max((max(v) for v in sweep.values()), default=None)

    def wait(b: str, n: int, active: int = 1) -> str:
        return f"wait/{b}/socketpair/mode:block/pos:spread/fds:{n}/active:{active}"

    chosen: dict[str, list[str]] = {}

    def add(role: str, candidates) -> None:
        for c in candidates:
            if c in have:
                chosen.setdefault(c, [])
                if role not in chosen[c]:
                    chosen[c].append(role)

    for role in roles:
        if role == "headline":
            add(role, (wait(b, n) for b in HEADLINE_BACKENDS for n in (1000, largest)))
        elif role == "slope":
            add(role, (wait(b, n) for b in HEADLINE_BACKENDS for n in sorted(sweep.get(b, [])) if n >= 100))
        elif role == "layer":
            raws = [r for r in dict.fromkeys(raw_of.values())
                    if any(x.startswith(f"raw/{r}/socketpair/") for x in names)]
            for r in raws:
                first = next((b for b in sweep if raw_of.get(b) == r), None)  # in wait_bench's order
                if first is None:
                    continue
                for n in (1, 1000, largest):
                    add(role, [wait(first, n), f"raw/{r}/socketpair/mode:block/pos:spread/fds:{n}/active:1"])
        elif role == "knee":
            for n in names:
                if n.startswith("wait/") and "/dup/" in n:
                    add(role, [n, n.replace("/dup/", "/socketpair/")])
        elif role == "crossover":
            add(role, (n for n in names if (m := _SPREAD.match(n)) and m.group(1) in ("poll", "epoll_lt", "epoll_et")
                       and m.group(2) == "1000" and m.group(3) != "1"))
    return chosen


# wait_bench's largest N is what the fd limit leaves after the fds it inherits. bench.sh's sweep
# processes inherit what bench.sh inherited (a terminal's, a CI runner's fds); the rounds and the
# listing must see the same, or the largest N of a round differs from the sweep's by a few fds and
# its samples land on another point. So the binary inherits this process's inheritable fds
# (close_fds=False; Python's own files are never inheritable).
CLOSE_FDS = False


def list_tests(binary: str, extra_args: list[str]) -> list[str]:
    """The binary's benchmark names as this process's environment (fd limit, open fds) gives them."""
    done = subprocess.run([binary, "--benchmark_list_tests=true", *extra_args], capture_output=True, text=True,
                          timeout=120, close_fds=CLOSE_FDS)
    if done.returncode != 0:
        raise RunError(f"{binary} --benchmark_list_tests exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout.split()


def seed_samples(path: str, names: list[str]) -> dict[str, list[tuple[float, float]]]:
    """{name: [(ns, timed seconds)...]} of a merged sweep's processes (rows with a process_index),
    one sample per process, for the named points it has."""
    try:
        data = json.load(open(path))
    except (OSError, ValueError) as e:
        raise UsageError(f"--seed {path}: {e}") from None
    wanted = set(names)
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for r in data.get("benchmarks", []):
        if r.get("run_type", "iteration") != "iteration" or r.get("error_occurred"):
            continue
        name = strip_run_options(r.get("run_name", r.get("name", "")))
        if name not in wanted or not isinstance(r.get("process_index"), int):
            continue
        mean_ns = r["real_time"] * TO_NS[r.get("time_unit", "ns")]
        out.setdefault(name, {})[r["process_index"]] = (figure_ns(r), mean_ns * r.get("iterations", 1) * 1e-9)
    return {n: [v for _k, v in sorted(per.items())] for n, per in out.items()}


def figure_ns(row: dict) -> float:
    """A process's figure for a point: its median wait (the p50_ns counter), the figure the report
    quotes and the sweep merges, so the interval the phase stops on is the interval of what is cited.
    Google Benchmark's real_time is the mean, which a few slow waits pull up; it is the fallback
    for rows without the counter."""
    if isinstance(row.get("p50_ns"), (int, float)):
        return float(row["p50_ns"])
    return row["real_time"] * TO_NS[row.get("time_unit", "ns")]


def capabilities(binary: str, seed: str | None) -> list[dict]:
    """Every backend's capabilities as `backends_list --json` prints them, in its order: from the
    seed's context (the sweep's processes wrote them there), else from the backends_list beside the
    binary; [] when neither has them."""
    if seed:
        try:
            caps = json.load(open(seed)).get("context", {}).get("backend_capabilities")
            caps = json.loads(caps) if isinstance(caps, str) else caps
            if isinstance(caps, list):
                return caps
        except (OSError, ValueError):
            pass  # seed_samples says what is wrong with the file
    lister = os.path.join(os.path.dirname(os.path.abspath(binary)), "backends_list")
    if os.access(lister, os.X_OK):
        done = subprocess.run([lister, "--json"], capture_output=True, text=True, timeout=60)
        try:
            caps = json.loads(done.stdout) if done.returncode == 0 else None
        except ValueError:
            caps = None
        if isinstance(caps, list):
            return caps
    return []


def backends_for(names: list[str], caps: list[dict]) -> list[str] | None:
    """The --backends a process over `names` needs, in capability order, or None when a name's
    backend is not among `caps`. wait_bench probes every backend it is given at start-up, and
    io_uring's probe (a ring set up and torn down) takes 0.3 s: most of a round of small points."""
    order = [c.get("name") for c in caps]
    wanted = set()
    for name in names:
        family, _, rest = name.partition("/")
        mechanism = rest.split("/")[0]
        if family == "raw":  # registered as the baseline of the first backend given of that family
            backend = next((c.get("name") for c in caps if c.get("raw") == mechanism), None)
        else:
            backend = mechanism if mechanism in order else None
        if backend is None:
            return None
        wanted.add(backend)
    return [b for b in order if b in wanted]


# A process whose points all watch at most this many fds never builds the largest pool: setting up
# and closing 20,000 sockets takes 0.4-0.9 s of a 1.4 s round of the headline and slope points on
# the 2-core VM (measured: 1.43 s for those 24 points, 1.08 s without the 6 at N = 19,930). So a
# role's points run in two processes, split here, and the large points pay for their own pool.
POOL_SPLIT = 10000
# Which processes run which points. Slope shares the headline's processes (its points are headline
# points too); every other role runs in processes of its own, so a round of the cheap cited points
# never waits for io_uring's start-up probe, the raw loops or the knee's pool switches, and each
# role's points carry what their own processes cost. A point of several roles is sampled in each's
# processes. The layer pairs wait with raw in one process, so its processes run all its points
# while any is open, the wait points that already reached their interval too.
SHARES_PROCESS_WITH = {"slope": "headline"}
PAIRED_ROLES = {"layer"}


def pool_groups(names: list[str], role_of: dict[str, list[str]] | None = None) -> list[list[str]]:
    """`names`, all open, split by the processes that run them (process_groups), each in order."""
    return list(process_groups({n: ps.CONTINUE for n in names}, role_of).values())


def process_groups(status: dict[str, str], role_of: dict[str, list[str]] | None = None) -> dict[tuple, list[str]]:
    """{(role, large pool): names} of the processes a round may run, from every point's status:
    each point in the group of each of its roles (SHARES_PROCESS_WITH), split by the fd pool it
    needs (at most POOL_SPLIT fds, or more). A group runs its open points (a PAIRED_ROLES group:
    all its points), and only while one of them is open."""
    def fds(name: str) -> int:
        m = re.search(r"/fds:(\d+)", name)
        return int(m.group(1)) if m else 0
    members: dict[tuple[str, bool], list[str]] = {}
    for name in status:
        for role in dict.fromkeys(SHARES_PROCESS_WITH.get(r, r) for r in (role_of or {}).get(name) or [""]):
            members.setdefault((role, fds(name) > POOL_SPLIT), []).append(name)
    return {key: [n for n in names if status[n] == ps.CONTINUE or key[0] in PAIRED_ROLES]
            for key, names in members.items() if any(status[n] == ps.CONTINUE for n in names)}


def next_groups(groups: dict[tuple, list[str]], args, wall: dict[tuple, list[float]],
                remaining_s: float) -> list[tuple[tuple, list[str]]]:
    """The processes of the next round. The groups of the first role (the first open point's, in
    priority order) run together, one process each; a later role's group runs alone, the one that
    has had least time, whenever the later roles have had less than LOWER_SHARE of the time (or the
    first role is done). So the cheap cited points get rounds of about a second while the knee's
    costlier processes take their quarter in between. A group whose processes took longer than the
    time left is not started; [] when none fits."""
    fits = {k: g for k, g in groups.items() if statistics.fmean(wall.get(k, [0.0])) <= remaining_s}
    if not fits:
        return []
    top_role = min((k[0] for k in fits), key=lambda r: args.role_rank.get(r, 0))
    top = [(k, g) for k, g in fits.items() if k[0] == top_role]
    lower = [(k, g) for k, g in fits.items() if k[0] != top_role]
    spent = {k: sum(v) for k, v in wall.items()}
    lower_s = sum(t for k, t in spent.items() if k[0] != top_role)
    total_s = sum(spent.values())
    if lower and lower_s <= LOWER_SHARE * total_s:
        return [min(lower, key=lambda kg: spent.get(kg[0], 0.0))]
    return top


def run_round(binary: str, names: list[str], extra_args: list[str], timeout_s: float,
              keep: str | None = None) -> tuple[dict, dict]:
    """One fresh wait_bench process over `names`: {name: (ns, wall share s)}, its context. keep: a
    path to copy the process's JSON to."""
    with tempfile.TemporaryDirectory(prefix="pollbench-sample.") as tmp:
        out = os.path.join(tmp, "round.json")
        cmd = [binary, f"--benchmark_filter={filter_for(names)}", "--benchmark_repetitions=1",
               f"--benchmark_out={out}", "--benchmark_out_format=json", *extra_args]
        start = time.monotonic()
        try:
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout_s, close_fds=CLOSE_FDS)
        except subprocess.TimeoutExpired:
            raise RunError(f"{binary} did not finish within {timeout_s:.0f} s") from None
        wall = time.monotonic() - start
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise RunError(f"{binary} exited {done.returncode}:\n{tail}")
        if "Failed to match any benchmarks" in done.stderr:
            return {}, {}  # none of the names exists: the caller says which
        try:
            data = json.load(open(out))
        except (OSError, ValueError) as e:
            raise RunError(f"{binary} wrote no readable JSON: {e}") from None
        if keep:
            os.replace(out, keep)
    return measurements(data, wall), data.get("context", {})


def similar(args, name: str) -> str:
    """The binary's names that differ from `name` only from /fds: on, as a hint: the largest N
    follows the fd limit and the fds the caller left open, so it can differ between shells."""
    prefix = name.split("/fds:")[0]
    done = subprocess.run([args.binary, f"--benchmark_filter=^{re.escape(prefix)}/", "--benchmark_list_tests",
                           *args.wait_args], capture_output=True, text=True, timeout=120, close_fds=CLOSE_FDS)
    after_n = name.split("/fds:")[-1].partition("/")[2]  # "active:1"
    names = [n for n in map(strip_run_options, done.stdout.split())
             if n.split("/fds:")[-1].partition("/")[2] == after_n]
    return f" (it has: {', '.join(names[-4:])})" if names else ""


def measurements(data: dict, wall_s: float) -> dict:
    """{name: (ns per wait, estimated wall seconds)} from one process's rows. The process's wall time
    is shared out in proportion to each point's timed total (iterations x time), so a point's cost
    includes its share of start-up."""
    rows = [r for r in data.get("benchmarks", []) if r.get("run_type", "iteration") == "iteration"]
    out, timed = {}, {}
    for r in rows:
        name = strip_run_options(r["name"])
        if r.get("error_occurred"):
            raise RunError(f"{name}: {r.get('error_message', 'error')}")
        out[name] = figure_ns(r)
        timed[name] = r["real_time"] * TO_NS[r.get("time_unit", "ns")] * r.get("iterations", 1)
    total = sum(timed.values()) or 1.0
    return {n: (ns, wall_s * timed[n] / total) for n, ns in out.items()}


# The least share of the time left that the roles after a role keep (see plan_limits).
LOWER_SHARE = 0.25


def plan_limits(points: list[Point], args, remaining_s: float) -> dict[str, int]:
    """Samples each open point may have in all: allocate() over the time left, each point's cost
    per sample being its mean share of the rounds so far (start-up included, so the estimate is
    rough; the whole budget is a hard stop besides). With --roles, role by role in priority order:
    each role's points are planned first, and the next role gets the time they leave, and at least
    LOWER_SHARE of it: a point that cannot converge (bimodal in time at the knee) projects a need
    of thousands of samples and would otherwise take every second the roles after it could use."""
    tiers: dict[int, list[Point]] = {}
    for p in points:
        tiers.setdefault(args.priority.get(p.name, 0), []).append(p)
    limits: dict[str, int] = {}
    ranks = sorted(tiers)
    for rank in ranks:
        tier = tiers[rank]
        costs = {p.name: (p.samples, sum(p.seconds) / len(p.seconds)) for p in tier}
        share = 1.0 if rank == ranks[-1] else 1.0 - LOWER_SHARE
        got = ps.allocate(costs, args.precision, max(0.0, remaining_s * share), args.min_samples, serial=True)
        for p in tier:
            limits[p.name] = min(got[p.name], args.max_samples)
            if unsettled(p, args):
                limits[p.name] = len(p.samples)
            remaining_s -= max(0, limits[p.name] - len(p.samples)) * costs[p.name][1]
    return limits


# After this many samples a point whose interval projects a need beyond --max-samples stops: its
# samples fall into states that last in time (the knee at N = 5,000: 0.7 or 2.6 ms per wait, in runs
# of consecutive processes), and the time goes to the points more samples do narrow.
SETTLE_AFTER = 100


def unsettled(p: Point, args) -> bool:
    return (len(p.samples) >= SETTLE_AFTER and
            ps.projected_samples(p.samples, args.precision, args.min_samples, serial=True) > args.max_samples)


def sample(args) -> dict:
    points = {n: Point(n) for n in args.names}
    for name, got in (seed_samples(args.seed, args.names) if args.seed else {}).items():
        points[name].samples += [ns for ns, _s in got]
        points[name].seconds += [s for _ns, s in got]
    start = time.monotonic()
    context, rounds, processes = {}, 0, 0
    wall: dict[tuple, list[float]] = {}  # each process group's process times
    while True:
        open_points = [p for p in points.values() if p.status == ps.CONTINUE]
        if not open_points:
            open_points = reopen(points, args, args.budget_s - (time.monotonic() - start))
        if not open_points:
            break
        remaining = args.budget_s - (time.monotonic() - start)
        chosen = next_groups(process_groups({n: p.status for n, p in points.items()}, args.roles_of), args, wall,
                             remaining)
        if not chosen:
            for p in open_points:
                p.status = ps.BUDGET  # no process fits in the time left: stop even below the minimum
            break
        rounds += 1
        got = []
        for key, group in chosen:
            keep = os.path.join(args.keep_rounds, f"round-{processes}.json") if args.keep_rounds else None
            processes += 1
            backends = backends_for(group, args.caps)
            own = [f"--backends={','.join(backends)}"] if backends else []  # after the caller's: it wins
            began = time.monotonic()
            got_group, ctx = run_round(args.binary, group, args.wait_args + own, args.round_timeout_s, keep)
            wall.setdefault(key, []).append(time.monotonic() - began)
            missing = [n for n in group if n not in got_group]
            if missing:
                raise UsageError(f"{args.binary} has no point named: {', '.join(missing)}{similar(args, missing[0])}")
            got += got_group.items()
            context = context or ctx
        for name, (ns, seconds) in got:
            points[name].samples.append(ns)
            points[name].seconds.append(seconds)
        # A stopped point sampled again (a layer process runs its pairs' stopped wait points) is
        # judged again on all its samples: its status always says what its interval is.
        open_points += [points[n] for n in dict.fromkeys(n for n, _ in got) if points[n].status == ps.REACHED
                        and ps.decide(points[n].samples, args.precision, args.min_samples,
                                      serial=True).status != ps.REACHED]
        elapsed = time.monotonic() - start
        remaining = args.budget_s - elapsed
        limits = plan_limits(open_points, args, remaining)
        for p in open_points:
            p.status = ps.decide(p.samples, args.precision, args.min_samples, limits[p.name], serial=True).status
        progress(rounds, points, elapsed, args)
    for p in points.values():  # at the end, what each interval is decides its status
        if p.status != ps.CONTINUE:
            reached = ps.decide(p.samples, args.precision, args.min_samples, serial=True).status == ps.REACHED
            p.status = ps.REACHED if reached else ps.BUDGET
    return {"binary": args.binary, "unit": args.unit, "precision": args.precision, "confidence": ps.CONFIDENCE,
            "budget_s": args.budget_s, "min_samples": args.min_samples, "max_samples": args.max_samples,
            "rounds": rounds, "processes": processes, "elapsed_s": round(time.monotonic() - start, 3), "context": context,
            "points": {n: dict(p.report(), role=args.roles_of.get(n, [])) for n, p in points.items()}}


def precision_summary(result: dict) -> dict:
    """The contract's precision.json from a sample() result."""
    keys = ("n", "median", "lo", "hi", "coverage", "relative_half_width", "status", "role")
    return {"precision": result["precision"], "confidence": result["confidence"], "budget_s": result["budget_s"],
            "spent_s": result["elapsed_s"], "unit": result["unit"], "rounds": result["rounds"],
            "processes": result["processes"],
            "points": {n: {k: p.get(k) for k in keys} for n, p in result["points"].items()}}


def reopen(points: dict, args, remaining_s: float) -> list[Point]:
    """Once every point has stopped, the points stopped at their share of the budget get the time
    the others left, planned again (priority first): a share is a plan made when the noise of
    every point was still unknown. Empty when nothing more fits."""
    stopped = [p for p in points.values() if p.status == ps.BUDGET and p.seconds and len(p.samples) < args.max_samples]
    if not stopped or remaining_s < sum(statistics.fmean(p.seconds) for p in stopped):
        return []
    limits = plan_limits(stopped, args, remaining_s)
    again = [p for p in stopped if limits[p.name] > len(p.samples)]
    for p in again:
        p.status = ps.CONTINUE
    return again


def progress(rounds: int, points: dict, elapsed: float, args) -> None:
    counts = {s: sum(p.status == s for p in points.values()) for s in (ps.CONTINUE, ps.REACHED, ps.BUDGET)}
    open_widths = [(ps.decide(p.samples, args.precision, serial=True).relative_half_width, p.name)
                   for p in points.values() if p.status == ps.CONTINUE]
    widest = max(open_widths, default=None)
    worst = "" if widest is None else (
        f"; widest open {widest[1]} " + ("(no interval yet)" if widest[0] == float("inf") else f"+-{widest[0]:.1%}"))
    print(f"round {rounds}: {counts[ps.CONTINUE]} open, {counts[ps.REACHED]} reached, {counts[ps.BUDGET]} on budget, "
          f"{elapsed:.1f} of {args.budget_s:g} s{worst}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]):
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(prog="pollbench_sample.py", description=__doc__.split("\n\n")[0],
                                usage="%(prog)s WAIT_BENCH --point NAME [--point NAME ...] [options] "
                                      "[-- WAIT_BENCH_ARGS...]",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("binary", help="the wait_bench to run")
    p.add_argument("--point", action="append", default=[], help="an exact benchmark name (repeatable)")
    p.add_argument("--points-file", help="a file of exact names, one a line (# comments)")
    p.add_argument("--precision", type=float, default=0.05, help="target relative half-width P (default 0.05: +-5%%)")
    p.add_argument("--budget-s", type=float, default=300.0, help="wall-time budget in seconds (default 300)")
    p.add_argument("--min-samples", type=int, default=ps.MIN_SAMPLES_95, help="never stop before (at least 6)")
    p.add_argument("--max-samples", type=int, default=400, help="never take more per point (default 400)")
    p.add_argument("--round-timeout-s", type=float, default=600.0, help="give up on a process after this long")
    p.add_argument("--unit", choices=["process"], default="process",
                   help="sampling unit: a fresh process per round (fresh pools in one process: not implemented)")
    p.add_argument("--roles", help="comma-separated roles whose points to sample, in priority order, of: "
                                   + ", ".join(ROLES))
    p.add_argument("--seed", metavar="WAIT.json", help="a merged sweep whose processes are the first samples")
    p.add_argument("--keep-rounds", metavar="DIR", help="keep each process's JSON as DIR/round-K.json")
    p.add_argument("--precision-json", metavar="FILE", help="also write the precision.json summary here")
    p.add_argument("--out", help="write the JSON here (default stdout)")
    args = p.parse_args(argv)
    args.wait_args = extra
    args.roles_of, args.priority, args.role_rank = {}, {}, {}
    args.caps = capabilities(args.binary, args.seed) if os.path.isfile(args.binary) else []
    names = list(args.point)
    if args.points_file:
        try:
            names += [ln.strip() for ln in open(args.points_file) if ln.strip() and not ln.lstrip().startswith("#")]
        except OSError as e:
            p.error(f"--points-file: {e}")
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        p.error(f"{args.binary} is not an executable file")
    if args.roles is not None:
        roles = [r for r in args.roles.split(",") if r]
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            p.error(f"--roles: {args.roles!r}: give roles of {', '.join(ROLES)}")
        try:
            args.roles_of = role_points(list_tests(args.binary, extra), roles,
                                        {c["name"]: c["raw"] for c in args.caps if c.get("name") and c.get("raw")})
        except (RunError, subprocess.TimeoutExpired) as e:
            p.error(f"--roles: {e}")
        # A role that shares another's processes is planned with it (slope with headline).
        rank = {r: roles.index(SHARES_PROCESS_WITH[r] if SHARES_PROCESS_WITH.get(r) in roles else r) for r in roles}
        args.priority = {n: rank[r[0]] for n, r in args.roles_of.items()}
        args.role_rank = rank
        names += sorted(args.roles_of, key=lambda n: args.priority[n])
    if args.keep_rounds and not os.path.isdir(args.keep_rounds):
        p.error(f"--keep-rounds: {args.keep_rounds} is not a directory")
    args.names = list(dict.fromkeys(strip_run_options(n) for n in names))
    if not args.names:
        p.error("no points: give --point NAME or --points-file FILE")
    if not 0 < args.precision < 1:
        p.error(f"--precision: {args.precision} must be above 0 and below 1 (0.05 is +-5%)")
    if args.budget_s <= 0:
        p.error(f"--budget-s: {args.budget_s} must be above 0")
    if args.round_timeout_s <= 0:
        p.error(f"--round-timeout-s: {args.round_timeout_s} must be above 0")
    if args.min_samples < 1 or args.max_samples < max(args.min_samples, ps.MIN_SAMPLES_95):
        p.error(f"--max-samples {args.max_samples} must be at least --min-samples {args.min_samples} and at least "
                f"{ps.MIN_SAMPLES_95}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        result = sample(args)
    except UsageError as e:
        print(f"pollbench_sample.py: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"pollbench_sample.py: {e}", file=sys.stderr)
        return 1
    if args.precision_json:
        Path(args.precision_json).write_text(json.dumps(precision_summary(result), indent=1) + "\n")
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
