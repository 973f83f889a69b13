"""The report's "What is surprising here, and why": each shape a careful reader would question, as
one finding of one or two sentences (at most about 60 words) with its figure and the measurement
of this run that explains it, or, where the run holds none, the measurement that would. Points
that share a cause are one finding, never listed one by one."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pollbench_analysis as pa
import pollbench_results as pr
from pollbench_report_base import ReportInput, fmt

# A finding longer than this many words is a list, not a finding (the tests hold the report to it).
MAX_WORDS = 60


def one_vs_ten(inp: ReportInput) -> list[str]:
    """select and poll with 1 ready slower than with 10: the blocking scan's wait-queue entries."""
    slower = []
    for b in pa.scanning(inp.wait):
        ns = [n for n in inp.wait.param_values("wait", "fds", active=1)
              if inp.wait_point(b, n, 1) and inp.wait_point(b, n, 10)]
        if ns and inp.wait_point(b, ns[-1], 1).per_call_ns > inp.wait_point(b, ns[-1], 10).per_call_ns:
            slower.append((b, ns[-1]))
    if not slower:
        return []
    n = slower[0][1]
    pairs = "; ".join(f"{b} {fmt(inp.wait_point(b, m, 1).per_call_ns)}, {fmt(inp.wait_point(b, m, 10).per_call_ns)}"
                      for b, m in slower)
    text = (f"**1 ready is slower than 10** for {' and '.join(b for b, _ in slower)} at N = {n:,} ({pairs}). "
            f"A blocking scan registers a wait-queue entry per fd before the first ready one (index {n // 2:,}; "
            f"{n // 20:,} with 10 ready)")
    pos_ns = [m for m in pa.position_ns(inp.wait, inp.kind) if m <= n]
    b = slower[0][0]
    if pos_ns:
        first, middle = (inp.wait_point(b, pos_ns[-1], 1, "block", q) for q in ("first", "middle"))
        if first and middle:
            text += (f"; the position sweep shows it: {b} {fmt(first.per_call_ns)} first, "
                     f"{fmt(middle.per_call_ns)} middle")
    return [text + f". Figure: {inp.figure_ref('position')}."]


def all_ready(inp: ReportInput) -> list[str]:
    """epoll slower than poll when every fd is ready: its cost per ready fd against poll's per fd."""
    ns = pa.crossover_ns(inp.wait, inp.kind)[-1:] or inp.wait.param_values("wait", "fds", active=1)[-1:]
    out = []
    for n in ns:
        poll = inp.wait_point(pa.CROSSOVER_AGAINST, n, n)
        if poll is None:
            continue
        slower = [(b, p) for b in pa.reference_family(inp.wait)
                  if (p := inp.wait_point(b, n, n)) is not None and p.per_call_ns > poll.per_call_ns]
        if not slower:
            continue
        per_ready = [(p.per_call_ns - one.per_call_ns) / (n - 1) for b, p in slower if (one := inp.wait_point(b, n, 1))]
        costs = ", ".join(f"{b} {fmt(p.per_call_ns)}" for b, p in slower)
        why = (f"epoll pays {fmt(max(per_ready))} per ready fd beyond the first (it calls each fd's poll method "
               f"again and copies an event), poll {fmt(poll.per_call_ns / n)} per watched fd. " if per_ready else "")
        out.append(f"**With all {n:,} fds ready, epoll is slower than poll**: {costs} against poll's "
                   f"{fmt(poll.per_call_ns)}. " + why
                   + f"Figure: {inp.figure_ref('wait_vs_ready')}; the crossover section gives where.")
    return out


def small_waits(inp: ReportInput) -> list[str]:
    """O(ready) backends of another mechanism whose wait is below the reference's: offloaded or not."""
    offload = {o.backend: o for o in pa.offloaded(inp.wait, inp.kind)}
    family = pa.reference_family(inp.wait)
    ns = inp.wait.param_values("wait", "fds", active=1)
    if not family or not ns:
        return []
    epoll = inp.wait_point(family[0], ns[0], 1)
    out = []
    for b in [b for b in pa.references(inp.wait) if b not in family]:
        p = inp.wait_point(b, ns[0], 1)
        if p is None or epoll is None or p.per_call_ns >= epoll.per_call_ns:
            continue
        lead = (f"**{b}'s wait is small**: {fmt(p.per_call_ns)} against {family[0]}'s {fmt(epoll.per_call_ns)} "
                f"at N = {ns[0]:,}")
        if b in offload:
            o = offload[b]
            out.append(f"{lead}, because its write() costs {fmt(o.write_ns)} against {fmt(o.others_write_ns)}: the "
                       "kernel posts the completion from task work on the writing thread, outside the timed wait. "
                       f"Figure: {inp.figure_ref('readiness_cycle')}.")
        else:
            others = [r.write_ns for r in pa.cycle(inp.wait, inp.kind, ns[0]) if r.backend != b]
            typical = statistics.median(others) if others else None
            out.append(f"{lead}; its write() costs {fmt(p.counter('write_ns'))} against a median {fmt(typical)} for "
                       "the others, so the saving is in the wait itself. "
                       "This run does not say where; a kernel profile (perf) of both waits would. "
                       f"Figure: {inp.figure_ref('readiness_cycle')}.")
    return out


def _largest(dips: list[pa.Dip]) -> pa.Dip:
    return max(dips, key=lambda d: abs(d.y1 - d.y0) / d.y0)


# What would explain a step beyond the spread, by area: the measurement this run lacks.
WOULD_EXPLAIN = {
    "wait": "more fresh processes (or fresh fd pools) at those N would tell a shape from where the sockets "
            "landed in memory",
    "tcp": "rounds that interleave the backends, each with a fresh server, would tell the machine's drift (it "
           "cancels in a ratio to another backend) from a real shape",
}


def wrong_turns(inp: ReportInput, dips: list[pa.Dip], what: tuple[str, tuple[str, str], str], show, x_name: str,
                stem: str, area: str) -> list[str]:
    """Curve steps that go the wrong way, one finding per group: inside the spread, beyond it, or
    with one sample (no spread to judge by). `what`: (noun, (verb for one, verb for many), where)."""
    noun, verbs, where = what
    out = []
    inside = [d for d in dips if d.has_spread and d.within_spread]
    beyond = [d for d in dips if d.has_spread and not d.within_spread]
    single = [d for d in dips if not d.has_spread]

    def example(dips: list[pa.Dip]) -> str:  # the largest step, or the only one
        d = _largest(dips)
        return (f"{'largest: ' if len(dips) > 1 else ''}{d.curve}, {show(d.y0)} → {show(d.y1)} "
                f"from {x_name} {d.x0:,} to {d.x1:,}")

    def count(dips: list[pa.Dip]) -> str:  # '1 TCP curve step rises', '3 TCP curve steps rise'
        return f"{len(dips)} {noun if len(dips) == 1 else noun + 's'} {verbs[len(dips) != 1]} {where}"

    if inside:
        each = "each inside its" if len(inside) > 1 else "inside its"
        out.append(f"**{count(inside)}, {each} min–max spread** ({example(inside)}): "
                   "the noise a rerun moves, not a shape; see the spread table.")
    if beyond:
        out.append(f"**{count(beyond)} beyond the spread** ({example(beyond)}). This run holds "
                   f"no explanation; {WOULD_EXPLAIN[area]}. Figure: {inp.figure_ref(stem)}.")
    if single:
        out.append(f"**{count(single)} with one sample each**: no spread to judge them by; run more processes.")
    return out


def two_states(values: list[float]) -> tuple[list[bool], float, float] | None:
    """Whether a point's per-process figures fall into two states, a low and a high one at least
    twice as slow: split at the geometric middle of the 10th and 90th percentiles, each state
    holding at least 15% of the processes. (high flags in process order, low median, high median)."""
    xs = sorted(values)
    if len(xs) < 20:
        return None
    p10, p90 = xs[len(xs) // 10], xs[(9 * len(xs)) // 10]
    if p10 <= 0 or p90 < 2 * p10:
        return None
    split = (p10 * p90) ** 0.5
    high = [v > split for v in values]
    lows, highs = [v for v in values if v <= split], [v for v in values if v > split]
    if min(len(lows), len(highs)) < 0.15 * len(values):
        return None
    return high, statistics.median(lows), statistics.median(highs)


@dataclass(frozen=True)
class TwoStatePoint:
    backend: str
    fds: int
    half_width: float | None  # the precision phase's ±, relative (None: no interval)
    n: int
    low_share: float
    low_ns: float
    high_ns: float
    same: float        # the share of consecutive processes in the same state
    independent: float  # what `same` would be if the states did not last


def never_settle(inp: ReportInput) -> list[str]:
    """Cited points that stopped on budget because their processes fall into two states that last
    in time: why more samples would not narrow them."""
    if not inp.precision:
        return []
    found = []
    for b in pa.scanning(inp.wait) + pa.reference_family(inp.wait):
        for n in inp.wait.param_values("wait", "fds", active=1):
            point = inp.wait_point(b, n, 1)
            entry = pr.precision_entry(inp.precision, point) if point else None
            if not entry or entry.get("status") != "budget":
                continue
            by_process = pr.samples_by_process(point)
            states = two_states([by_process[k] for k in sorted(by_process)])
            if states is None:
                continue
            high, low_ns, high_ns = states
            share = sum(high) / len(high)
            same = sum(x == y for x, y in zip(high, high[1:])) / (len(high) - 1)
            found.append(TwoStatePoint(b, n, entry["relative_half_width"], entry["n"], 1 - share, low_ns, high_ns,
                                       same, share ** 2 + (1 - share) ** 2))
    if not found:
        return []
    at = " and ".join(f"{n:,}" for n in sorted({f.fds for f in found}))
    who = " and ".join(dict.fromkeys(f.backend for f in found))
    widths = ", ".join(f"±{100 * f.half_width:.0f}%" if f.half_width is not None else "no interval" for f in found)
    f = max(found, key=lambda x: x.n)
    return [f"**At N = {at}, {who} never settle** ({widths}, n = {f.n}): each process's median is near "
            f"{fmt(f.low_ns)} or near {fmt(f.high_ns)} ({100 * f.low_share:.0f}% low), and consecutive processes "
            f"share a state {100 * f.same:.0f}% of the time ({100 * f.independent:.0f}% if independent). The state "
            f"is the moment's, not the process's, so more samples cannot narrow that median."]


def findings(inp: ReportInput) -> list[str]:
    items = []
    if inp.has_waits:
        items += one_vs_ten(inp) + all_ready(inp) + small_waits(inp) + never_settle(inp)
        falls = ("wait curve step", ("falls", "fall"), "as N grows")
        items += wrong_turns(inp, pa.wait_dips(inp.wait, inp.kind), falls, fmt, "N =", "wait_vs_fds_active1", "wait")
    if inp.tcp is not None:
        items += wrong_turns(inp, pa.tcp_rises(inp.tcp), ("TCP curve step", ("rises", "rise"), "with idle connections"),
                             lambda v: f"{v / 1e3:,.0f}k/s", "idle", "tcp", "tcp")
    return items


def surprises(inp: ReportInput) -> str:
    items = findings(inp)
    if not items:
        return "_Nothing in this run's curves goes against expectation._"
    return "\n\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))
