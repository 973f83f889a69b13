"""The first page of report.md: what a reader can cite in two minutes. The headline sentence at a
fixed N with its intervals, the machine in one line, the run's citation line, the key ratios,
and the figures that carry the story."""

from __future__ import annotations

import pollbench_analysis as pa
import pollbench_report_servers as servers
import pollbench_results as pr
from pollbench_report_base import (ReportInput, fmt, interval_note, quoted_ns, ratio_interval, table, times,
                                   with_interval)

# The figures of the first page, in reading order.
FIRST_PAGE_FIGURES = ("wait_vs_fds_active1", "wait_vs_ready", "tcp", "watched")


def headline(inp: ReportInput) -> str:
    """'With 1,000 watched socketpairs and 1 ready, ... select 164× and poll 158× slower than epoll_lt.'"""
    if not inp.has_waits:
        return "_This run holds no per-wait results (see Status), so there is no headline._"
    h = pa.fixed_headline(inp.wait, inp.kind)
    if h is None:
        return ("_This run lacks select/poll and an O(ready) backend at 1 ready fd on a common N, so there is "
                "no headline._")
    sentences, points = [], []
    for i, n in enumerate(h.ns):
        ref = inp.wait_point(h.reference, n, 1)
        slow = [(b, inp.wait_point(b, n, 1)) for b in h.slow]
        points += [ref] + [p for _, p in slow]
        costs = " and ".join(f"{with_interval(p, inp)} with {b}" for b, p in slow)
        ratios = " and ".join(f"{b} {times(quoted_ns(p, inp) / quoted_ns(ref, inp))}" for b, p in slow)
        if i == 0:
            sentences.append(f"With {n:,} watched {inp.kind}s and 1 ready, a blocking wait took {costs}, against "
                             f"{with_interval(ref, inp)} with {h.reference}: {ratios} slower than {h.reference}.")
        else:
            sentences.append(f"At {n:,}, the largest N of this run, {costs}, against {with_interval(ref, inp)} with "
                             f"{h.reference}: {ratios} slower.")
    precision = precision_note(inp, points)
    # The sweep's bracket applies only where a cited point was not sampled further.
    if inp.precision is None or any(pr.precision_entry(inp.precision, p) is None for p in points):
        precision = " " + interval_note(inp) + precision
    return "**" + " ".join(sentences) + "**" + precision


def precision_note(inp: ReportInput, cited: list[pr.Point]) -> str:
    """' [brackets]: the 95% ... interval of each median ...; 4 of 6 cited points reached ±5%; stopped on budget: ...'"""
    if inp.precision is None:
        return (" This run has no precision phase (no precision.json): each interval above is over its "
                f"{inp.wait.samples} {inp.wait.sample_kind} only.")
    asked = inp.precision.get("precision")
    conf = inp.precision.get("confidence", 0.95)
    entries = [(p, pr.precision_entry(inp.precision, p)) for p in cited]
    sampled = [(p, e) for p, e in entries if e is not None]
    reached = [p for p, e in sampled if e.get("status") == "reached"]
    short = [f"{p.backend} at N = {p.params['fds']:,} " + (
                 f"±{100 * e['relative_half_width']:.1f}%" if isinstance(e.get("relative_half_width"), (int, float))
                 else "(no interval: too few samples for the spells they came in)")
             for p, e in sampled if e.get("status") != "reached"]
    asked_text = f"±{100 * asked:.0f}%" if isinstance(asked, (int, float)) else "?"
    counts = sorted(e["n"] for _p, e in sampled if isinstance(e.get("n"), int))
    over = (f", over {counts[0]}–{counts[-1]} fresh processes each" if counts and counts[0] != counts[-1]
            else f", over {counts[0]} fresh processes each" if counts else "")
    text = (f" [brackets]: the {100 * conf:.0f}% distribution-free interval of each median{over} (widened where "
            "consecutive processes came in spells), sampled until "
            f"it lay within {asked_text} or its share of the time budget was spent (precision.json); "
            f"{len(reached)} of {len(cited)} cited points reached {asked_text}")
    if len(sampled) < len(cited):
        text += f" ({len(cited) - len(sampled)} not sampled by the precision phase)"
    if short:
        text += "; stopped on budget: " + ", ".join(short)
    return text + "."


def machine_line(inp: ReportInput) -> str:
    c = inp.context
    hard = f" (hard {c['fd_limit_hard']})" if "fd_limit_hard" in c else ""
    return (f"Machine: {c.get('cpu_model', '?')}, {c.get('num_cpus', '?')} CPUs, Linux {pr.short_kernel(c)}, "
            f"fd limit {c.get('fd_limit', '?')}{hard}, commit `{c.get('git_commit', '?')}`.")


def citation(inp: ReportInput) -> str:
    c = inp.context
    return (f"Cite this run as: pollbench `{c.get('git_commit', '?')}`, run `{inp.run_dir.resolve().name}`, "
            f"{pr.machine_title(c)}.")


def _ratio_rows(inp: ReportInput, h: pa.FixedHeadline) -> list[list[str]]:
    rows = []
    for n in h.ns:
        ref = inp.wait_point(h.reference, n, 1)
        for b in h.slow:
            p = inp.wait_point(b, n, 1)
            bounds = ratio_interval(p, ref, inp)
            rows.append([f"{b} / {h.reference}, N = {n:,}, 1 ready", times(quoted_ns(p, inp) / quoted_ns(ref, inp)),
                         f"{times(bounds[0])}–{times(bounds[1])}" if bounds else "–",
                         f"{with_interval(p, inp)} against {with_interval(ref, inp)}"])
    return rows


def _crossover_rows(inp: ReportInput) -> list[list[str]]:
    """Where the reference (epoll_lt) becomes slower than poll, at each N of the dense ready sweep."""
    family = pa.reference_family(inp.wait)
    rows = []
    for n in pa.crossover_ns(inp.wait, inp.kind) if family else []:
        c = pa.crossover(inp.wait, inp.kind, n, family[0])
        if c is None:
            continue
        if c.active is not None:
            value, note = f"{100 * c.fraction:.0f}% ready", f"≈ {c.active:,.0f} of {n:,} fds ready, interpolated"
        else:
            value = "from the start" if c.slower_from_start else "never"
            note = f"up to {c.actives[-1]:,} of {n:,} ready"
        rows.append([f"crossover: {c.backend} slower than {c.against}, N = {n:,}", value, "–", note])
    return rows


def _slope_rows(inp: ReportInput, h: pa.FixedHeadline) -> list[list[str]]:
    backends = [*h.slow, h.reference]
    k = inp.knee()
    ranges = [(f"N ≥ {inp.fit_min_fds:,}", None, None)]
    if k is not None:
        how = "found from the data" if k.found else "set with --knee-fds"
        ranges = [(f"N {inp.fit_min_fds:,}–{k.below:,}, below the knee ({how})", None, k.below),
                  (f"N ≥ {k.above:,}, above the knee", k.above, None)]
    rows = []
    for label, low, high in ranges:
        slopes = [(b, inp.slope(b, 1, max_fds=high, min_fds=low)) for b in backends]
        if all(s is None for _, s in slopes):
            continue
        rows.append([f"log-log slope, {label}", ", ".join(f"{b} {s:.2f}" for b, s in slopes if s is not None),
                     "–", "1 is O(N), 0 does not depend on N"])
    if k is not None:
        per_fd = [(b, inp.wait_point(b, k.below, 1), inp.wait_point(b, k.above, 1)) for b in h.slow]
        steps = "; ".join(f"{b} {fmt(lo.per_call_ns / k.below)} → {fmt(hi.per_call_ns / k.above)}"
                          for b, lo, hi in per_fd if lo and hi)
        rows.append([f"the knee, between N = {k.below:,} and {k.above:,}", "per watched fd", "–", steps])
    return rows


def key_ratios(inp: ReportInput) -> str:
    if not inp.has_waits:
        return ""
    h = pa.fixed_headline(inp.wait, inp.kind)
    if h is None:
        return ""
    rows = _ratio_rows(inp, h) + _crossover_rows(inp) + _slope_rows(inp, h)
    return (table(["key figure", "value", "range", "from"], rows, "lrrl")
            + "\n\nA ratio's range runs from the low end of its numerator's interval over the high end of its "
            "denominator's to the reverse: where both intervals hold, the ratio lies inside it.")


def figures(inp: ReportInput) -> str:
    """The story's figures, two to a row (HTML, so they can be sized), each linking to its PNG."""
    cells = []
    for stem in FIRST_PAGE_FIGURES:
        for png in inp.pngs(stem)[:1]:
            cells.append(f'<a href="{inp.link(png)}"><img src="{inp.link(png)}" width="49%" alt="{stem}"></a>')
    return "\n".join(cells)


def first_page(inp: ReportInput) -> str:
    parts = [headline(inp), machine_line(inp) + " " + citation(inp), key_ratios(inp),
             servers.tcp_ratio_sentence(inp), figures(inp)]
    return "\n\n".join(p for p in parts if p)
