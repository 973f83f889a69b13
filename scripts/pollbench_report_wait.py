"""The report's sections on the per-wait results (wait_bench's wait/* benchmarks): time per wait
against N, the fitted slopes (split at the knee), the ready fd's position, ready fds at a fixed N,
the crossover, the readiness cycle, and level- against edge-triggered. Each is a function
ReportInput -> markdown; an empty string leaves the section out."""

from __future__ import annotations

import pollbench_analysis as pa
import pollbench_knee as pk
from pollbench_report_base import ReportInput, fmt, pct, pick_columns, spread, table


def time_per_wait(inp: ReportInput) -> str:
    """The per-wait tables, then the same wait on each fd kind."""
    return "\n\n".join(t for t in (per_wait_tables(inp), kinds_table(inp)) if t)


def per_wait_tables(inp: ReportInput) -> str:
    if inp.wait is None or not inp.kind:
        return "_No per-wait results in this run._"
    out = []
    backends = inp.wait.values("wait", 0)
    for active in sorted({a for a in inp.wait.param_values("wait", "active")
                          if len({p.params["fds"] for p in inp.wait.sweep("wait", (None, inp.kind), active=a)}) >= 2}):
        all_ns = sorted({p.params["fds"] for p in inp.wait.sweep("wait", (None, inp.kind), active=active)})
        ns = pick_columns(all_ns)
        rows = []
        for b in backends:
            cells = []
            for n in ns:
                p = inp.wait_point(b, n, active)
                if p is None:
                    cells.append("–")
                    continue
                cells.append(" / ".join(fmt(v) for v in (p.per_call_ns, p.counter("p99_ns"), p.mean_ns)))
            last = inp.wait_point(b, ns[-1], active)
            lo_hi = "–"
            if last is not None:
                lo, hi = last.per_call_spread_ns
                lo_hi = f"{fmt(lo)}–{fmt(hi)}, cv {pct(last.per_call_cv)}"
            if any(c != "–" for c in cells):
                rows.append([b] + cells + [lo_hi])
        if rows:
            ready = "1 ready fd" if active == 1 else f"{active} ready fds"
            out.append(f"**{ready}** ({inp.kind}s, blocking wait, ready fds spread evenly): "
                       "p50 / p99 / mean time per wait\n\n"
                       + table(["backend"] + [f"N = {n:,}" for n in ns] + [f"p50 at N = {ns[-1]:,}: min–max"], rows))
    if not out:
        return "_No per-wait sweep over N in this run._"
    return ("Each cell: the p50 and p99 of single waits from pollbench's histogram (the p50 is what the "
            "headline, the plots and the fitted slopes use), then the mean time per wait that Google Benchmark "
            f"reports; each {inp.samples_text()}. The last column gives the spread of the p50 across them at "
            "the largest N. A mean well above the p50 means rare slow waits (preemption, interrupts).\n\n"
            + "\n\n".join(out))


def kinds_table(inp: ReportInput) -> str:
    """The same wait on each fd kind: what the kernel's per-fd poll callback costs differs."""
    kinds = inp.wait.values("wait", 1) if inp.wait is not None else []
    if len(kinds) < 2:
        return ""
    per_kind = [{p.params["fds"] for p in inp.wait.sweep("wait", (None, k), active=1)} for k in kinds]
    common = set.intersection(*per_kind)
    if not common:
        return ""
    n = max(common)
    rows = []
    for b in inp.wait.values("wait", 0):
        cells = []
        for k in kinds:
            pts = inp.wait.sweep("wait", (b, k), fds=n, active=1)
            cells.append(fmt(pts[0].per_call_ns) if pts else "–")
        rows.append([b] + cells)
    return (f"The same wait on each kind of fd, N = {n:,} watched and 1 ready (p50); the tables above use "
            f"{inp.kind}s:\n\n" + table(["backend"] + [f"{k}s" for k in kinds], rows))


def _big_o(inp: ReportInput, points) -> str:
    """Google Benchmark's own fit of the family most of `points` belong to: '3.1 ns·N'."""
    families = [p.family_index for p in points]
    fitted = inp.wait.complexity.get(max(set(families), key=families.count)) if families else None
    if fitted is None:
        return "–"
    return fmt(fitted.coefficient_ns) + ("" if fitted.big_o == "(1)" else f"·{fitted.big_o}")


def slope_table(inp: ReportInput) -> str:
    """The fitted log-log slope per backend and ready count, and at 1 ready below and above the knee."""
    if not inp.has_waits:
        return "_No per-wait results in this run._"
    actives = [a for a in inp.wait.param_values("wait", "active")
               if len({p.params["fds"] for p in inp.wait.sweep("wait", (None, inp.kind), active=a)}) >= 3]
    knee = inp.knee()
    rows = []
    for b in inp.wait.values("wait", 0):
        cells = []
        for a in actives:
            s = inp.slope(b, a)
            big_o = _big_o(inp, inp.wait.sweep("wait", (b, inp.kind), active=a))
            cells += [f"{s:.2f}" if s is not None else "–", big_o]
        if knee is not None:
            split = (inp.slope(b, 1, max_fds=knee.below), inp.slope(b, 1, min_fds=knee.above))
            cells += [f"{s:.2f}" if s is not None else "–" for s in split]
        rows.append([b] + cells)
    headers = ["backend"]
    for a in actives:
        headers += [f"slope, {a} ready", f"BigO, {a} ready"]
    text = (f"Slope of log(time per wait) against log(N) for N ≥ {inp.fit_min_fds} (numpy.polyfit): 1 means the "
            "cost doubles when N doubles (O(N)), 0 means it does not depend on N. Fitted on the p50 of single "
            "waits. BigO is Google Benchmark's own least-squares fit of its mean times over the family.")
    if knee is not None:
        headers += [f"1 ready, N {inp.fit_min_fds:,}–{knee.below:,}", f"1 ready, N ≥ {knee.above:,}"]
        how = ("the split with the least squared error when select's and poll's lines are fitted as two straight "
               "segments" if knee.found else "as set with --knee-fds")
        text += (f" The last two columns split the fit at the knee, between N = {knee.below:,} and {knee.above:,} "
                 f"({how}).")
    return text + "\n\n" + table(headers, rows)


def ready_table(inp: ReportInput) -> str:
    if inp.wait is None or not inp.kind:
        return ""
    candidates = pa.crossover_ns(inp.wait, inp.kind) or [
        n for n in inp.wait.param_values("wait", "fds")
        if len({p.params.get("active") for p in inp.wait.sweep("wait", (None, inp.kind), fds=n)}) >= 2]
    out = []
    for n in candidates[-2:]:
        actives = sorted({p.params["active"] for p in inp.wait.sweep("wait", (None, inp.kind), fds=n)})
        rows = []
        for b in inp.wait.values("wait", 0):
            cells = [fmt(p.per_call_ns) if (p := inp.wait_point(b, n, a)) else "–" for a in actives]
            if any(c != "–" for c in cells):
                rows.append([b] + cells)
        out.append(f"Time per wait (p50) with N = {n:,} watched {inp.kind}s, against how many are ready "
                   "(spread evenly, blocking wait):\n\n" + table(["backend"] + [f"{a:,} ready" for a in actives], rows))
    return "\n\n".join(out)


def crossover_section(inp: ReportInput) -> str:
    """Where epoll becomes slower per wait than poll as the share of ready fds grows."""
    if inp.wait is None or not inp.kind:
        return ""
    ns = pa.crossover_ns(inp.wait, inp.kind)
    epolls = [b for b in inp.wait.values("wait", 0) if b in pa.reference_family(inp.wait)]
    if not ns or not epolls:
        return "_This run has no dense ready sweep with poll and epoll, so no crossover._"
    rows, found = [], []
    for n in ns:
        for b in epolls:
            c = pa.crossover(inp.wait, inp.kind, n, b)
            if c is None:
                continue
            if c.slower_from_start:
                verdict, frac = f"slower already at {c.actives[0]:,} ready", "–"
            elif c.active is None:
                verdict, frac = f"never slower, up to {c.actives[-1]:,} ready", "–"
            else:
                verdict, frac = f"≈ {c.active:,.0f} ready", pct(c.fraction)
                found.append(f"{b} at {pct(c.fraction)} of {n:,}")
            ratios = ", ".join(f"{a:,}: {r:.2f}" for a, r in zip(c.actives, c.ratios))
            rows.append([f"{n:,}", b, verdict, frac, ratios])
    text = ("As more of the N fds are ready, epoll's cost grows with them while poll's stays tied to N. The "
            "crossover is the first share of ready fds at which epoll's wait (p50) becomes slower than poll's, "
            "interpolated linearly between the two measured ready counts around it (blocking waits, ready fds "
            "spread evenly).")
    if found:
        text += " **epoll becomes slower than poll from about " + "; ".join(found) + " fds ready.**"
    return text + "\n\n" + table(["N", "backend", "slower than poll from", "share of N",
                                    "epoll / poll per ready count"], rows, "rlrrl")


def position_section(inp: ReportInput) -> str:
    if inp.wait is None or not inp.kind:
        return ""
    ns = pa.position_ns(inp.wait, inp.kind)
    if not ns:
        return "_This run has no position sweep (the ready fd first, middle or last), so no position table._"
    n = ns[-1]
    data = pa.position_table(inp.wait, inp.kind, n)
    combos = [(m, q) for m in pa.MODES for q in pa.POSITIONS]
    rows = []
    for b, cells in data.items():
        rows.append([b] + [f"{fmt(p.per_call_ns)} ({pct(p.per_call_cv)})" if (p := cells.get(c)) else "–"
                           for c in combos])
    headers = ["backend"] + [f"{'blocking' if m == 'block' else 'timeout 0'}, {q}" for m, q in combos]
    facts = []
    for b in pa.scanning(inp.wait):
        cells = data.get(b, {})
        if all(("block", q) in cells for q in pa.POSITIONS) and all(("nonblock", q) in cells for q in pa.POSITIONS):
            blk = [cells[("block", q)].per_call_ns for q in pa.POSITIONS]
            non = [cells[("nonblock", q)].per_call_ns for q in pa.POSITIONS]
            facts.append(f"a blocking {b} took {fmt(blk[0])} with its ready fd first, {fmt(blk[1])} in the middle "
                         f"and {fmt(blk[2])} last ({blk[2] / blk[0]:.1f}× from first to last); with timeout 0 it "
                         f"took {fmt(min(non))}–{fmt(max(non))} wherever the fd sat "
                         f"({non[2] / non[0]:.1f}× from first to last)")
    text = (f"One ready fd among N = {n:,} {inp.kind}s, placed first, in the middle or last in the order select "
            "and poll scan, with a blocking wait (1 s timeout, as the rest of the suite waits) and with timeout 0 "
            "(what a busy-polling loop pays). p50 per wait, with its cross-process cv:\n\n"
            + table(headers, rows))
    if facts:
        text += "\n\nMeasured here: " + "; ".join(facts) + "."
    text += ("\n\nWhy: a blocking select or poll adds a wait-queue entry to every fd it checks until it meets "
             "the first ready one (from then on it only checks), and removes all of those entries before it "
             "returns; so the further the first ready fd sits in scan order, the more entries it adds and "
             "removes. With timeout 0 the kernel passes no poll table and adds no entry at all, so only the scan "
             "itself is paid, wherever the ready fd sits. epoll and io_uring keep their wait-queue entries "
             "registered between waits, so neither depends on the position.")
    return text


def cycle_section(inp: ReportInput) -> str:
    if inp.wait is None or not inp.kind:
        return ""
    ns = pa.cycle_ns(inp.wait, inp.kind)
    if not ns:
        return "_No write_ns counter in this run's waits, so no readiness cycle._"
    rows = []
    for n in ns:
        for r in pa.cycle(inp.wait, inp.kind, n):
            rows.append([r.backend, f"{n:,}", fmt(r.write_ns), fmt(r.wait_ns), fmt(r.total_ns),
                         pct(r.write_ns / r.total_ns)])
    text = ("One readiness round trip with 1 ready fd: the writer's `write()` that makes the fd ready (counter "
            "`write_ns`, timed apart from the wait) and the waiter's wait, whose sum no mechanism can shrink by "
            "moving work from one side to the other. Mean times (write_ns is a mean), "
            f"{inp.samples_text()}; blocking waits.\n\n"
            + table(["backend", "N", "writer: write()", "waiter: wait", "round trip", "writer's share"], rows))
    offload = pa.offloaded(inp.wait, inp.kind)
    if offload:
        text += ("\n\n**Marked † on the headline plot:** " + "; ".join(
            f"{o.backend}, whose write() costs {fmt(o.write_ns)} against a median {fmt(o.others_write_ns)} for the "
            f"other backends at N = {o.n:,}, an excess larger than its whole wait ({fmt(o.wait_ns)})"
            for o in offload) + ". Its per-wait figure leaves out work that the writing thread pays for.")
    else:
        text += ("\n\nNo backend's write() costs more than the others' by more than its own wait, so no "
                 "per-wait figure here leaves its work to the writer.")
    return text


def lt_vs_et(inp: ReportInput) -> str:
    """Level- against edge-triggered on one mechanism, at 1 ready and at the largest N."""
    pair = pa.trigger_pair(inp.wait) if inp.has_waits else None
    if pair is None:
        return ""
    family, level, edge = pair
    ns = inp.wait.param_values("wait", "fds", active=1)
    if not ns:
        return ""
    n = ns[-1]
    lt, et = inp.wait_point(level, n, 1), inp.wait_point(edge, n, 1)
    if lt is None or et is None:
        return ""
    (lt_lo, lt_hi), (et_lo, et_hi) = lt.per_call_spread_ns, et.per_call_spread_ns
    verdict = ("their min–max ranges overlap: the trigger mode makes no difference this run can resolve"
               if lt_lo <= et_hi and et_lo <= lt_hi else
               "their ranges do not overlap; this run holds no measurement of where the difference comes from")
    return (f"{family}'s level-triggered ({level}) and edge-triggered ({edge}) backends at N = {n:,} with 1 ready: "
            f"{spread(lt)} against {spread(et)}; {verdict}. The figure shows both at many ready fds too.")


def knee_section(inp: ReportInput) -> str:
    """Where select's and poll's per-fd cost steps up, and what the dup control and the pointer chase
    say about why."""
    if not inp.has_waits:
        return "_No per-wait results in this run._"
    parts = [_knee_where(inp), _knee_control(inp), _knee_caches(inp)]
    return "\n\n".join(p for p in parts if p)


def _knee_where(inp: ReportInput) -> str:
    k = inp.knee()
    if k is None:
        return ("The N sweep has too few points (3 on each side of a split, N ≥ "
                f"{inp.fit_min_fds:,}) to place a knee in this run.")
    steps = []
    for b in pk.SCANNING:
        lo, hi = inp.wait_point(b, k.below, 1), inp.wait_point(b, k.above, 1)
        if lo and hi:
            steps.append(f"{b} {fmt(lo.per_call_ns / k.below)} → {fmt(hi.per_call_ns / k.above)} per watched fd")
    how = "the best two-segment fit of select's and poll's log-log lines" if k.found else "set with --knee-fds"
    return (f"**On this machine the knee sits between N = {k.below:,} and {k.above:,}** ({how}; 1 ready, "
            f"blocking, ready fds spread): {'; '.join(steps)}. The slope table gives the fitted slope on each side.")


def _knee_control(inp: ReportInput) -> str:
    if not pk.has_dup(inp.wait):
        return ("_This run has no dup control (wait/<b>/dup/...: N dup()s of one idle socket), so it cannot tell "
                "the memory N sockets occupy from the algorithm; runs of wait_bench with the dup kind can._")
    rows, verdicts = [], []
    for b in pk.SCANNING:
        for mode in pk.MODES:
            distinct = {f.n: f for f in pk.per_fd_series(inp.wait, b, "socketpair", mode)}
            dup = {f.n: f for f in pk.per_fd_series(inp.wait, b, "dup", mode)}
            ns = sorted(set(distinct) | set(dup))
            for n in ns:
                rows.append([b, "blocking" if mode == "block" else "timeout 0", f"{n:,}",
                             _per_fd_cell(distinct.get(n)), _per_fd_cell(dup.get(n))])
            both = [n for n in ns if n in distinct and n in dup]
            if len(both) >= 2:
                d_rise = distinct[both[-1]].ns / distinct[both[0]].ns
                c_rise = dup[both[-1]].ns / dup[both[0]].ns
                verdicts.append(f"{b} {'blocking' if mode == 'block' else 'timeout 0'}: distinct ×{d_rise:.2f}, "
                                f"dup ×{c_rise:.2f} from N = {both[0]:,} to {both[-1]:,} "
                                f"({control_verdict(d_rise, c_rise)})")
    text = ("The control: N−1 dup()s of one idle socket plus the ready one, last in scan order, against N distinct "
            "socketpairs with the ready fd last. The dups run the same kernel code on one cache-hot file, so a "
            "per-fd cost that stays flat with dups while it rises with distinct sockets is the memory the sockets "
            "occupy, not the algorithm. Per watched fd (p50 / N, [interval over processes, n]):\n\n"
            + table(["backend", "wait", "N", "distinct socketpairs", "dup()s of one socket"], rows, "llrrr"))
    if verdicts:
        text += "\n\nPer-fd cost from the smallest to the largest N both layouts ran: " + "; ".join(verdicts) + "."
    else:
        text += ("\n\nThe control ran at one N only here, so it shows the per-fd cost of both layouts side by side "
                 "but not how either grows; a full run measures it at 1,000, 10,000 and the largest N.")
    return text


# A per-fd cost that moves by less than this factor over the control's N range counts as flat.
FLAT = 1.25


def control_verdict(distinct_rise: float, dup_rise: float) -> str:
    """What the control says, from how much each layout's per-fd cost grew over the same N range."""
    if dup_rise < FLAT <= distinct_rise:
        return "the dups stay flat while distinct sockets rise: the rise is memory, not the algorithm"
    if dup_rise >= FLAT and distinct_rise >= FLAT:
        return "both rise: part of the rise is not the sockets' memory"
    if distinct_rise < FLAT:
        return "no rise with distinct sockets over this range"
    return "the dups rise more than distinct sockets: unexplained"


def _per_fd_cell(f) -> str:
    if f is None:
        return "–"
    if f.lo is None:
        return f"{fmt(f.ns)} (n = {f.samples})"
    return f"{fmt(f.ns)} [{fmt(f.lo)}–{fmt(f.hi)}, n = {f.samples}]"


def _knee_caches(inp: ReportInput) -> str:
    probe = inp.probes.get("start") or inp.probes.get("end")
    if probe is None:
        return ("_This run has no machine probe (probe-start.json), so the effective cache size is not measured "
                "here; sysfs's cache sizes overstate what a process gets on a shared VM._")
    cache = pk.effective_cache(probe)
    sysfs = ", ".join(f"{name} {pk.size_text(size)}" for name, size in pk.sysfs_caches(probe)) or "none listed"
    if cache is None:
        return f"The pointer chase gave too few sizes to place the effective cache; sysfs lists {sysfs}."
    chase = ", ".join(f"{pk.size_text(b)} {fmt(ns)}" for b, ns in cache.chase)
    if cache.spills is None:
        where = f"no size up to {pk.size_text(cache.chase[-1][0])} left the cache"
    elif cache.fits is None:
        where = f"even the smallest size, {pk.size_text(cache.chase[0][0])}, misses"
    else:
        where = f"the effective cache lies between {pk.size_text(cache.fits)} and {pk.size_text(cache.spills)}"
    text = (f"The pointer chase at the start of the run (ns per dependent load: {chase}) puts the cache this process "
            f"gets here: {where} (rule: the first size whose latency exceeds {pk.CACHE_JUMP:.0f}× the smallest "
            f"size's). sysfs lists {sysfs}, shared with the VM's neighbours.")
    per_socket = pk.kernel_bytes_per_socket(inp.run_dir)
    if per_socket and cache.fits:
        text += (f" At the {pk.size_text(per_socket)} of kernel memory per watched socketpair that watched_bench "
                 f"measured in this run, {pk.size_text(cache.fits)} holds about {cache.fits / per_socket:,.0f} "
                 "sockets' kernel objects" + (f" and {pk.size_text(cache.spills)} about "
                                              f"{cache.spills / per_socket:,.0f}" if cache.spills else "") + ".")
    return text
