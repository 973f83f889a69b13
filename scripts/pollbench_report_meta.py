"""The report's sections about the run itself: its status (steps, errors), the machine, the
spread across processes, how to read the figures, and how to reproduce the run."""

from __future__ import annotations

from typing import Callable

import pollbench_analysis as pa
import pollbench_knee as pk
import pollbench_results as pr
from pollbench_report_base import ReportInput, fmt, pct, table


def _steps(inp: ReportInput) -> list[list[str]]:
    """bench.sh's steps.tsv: step, result, seconds, detail (none for a run made by hand)."""
    steps = inp.run_dir / "steps.tsv"
    if not steps.exists():
        return []
    rows = [line.split("\t") for line in steps.read_text().splitlines() if line.strip()]
    return [(r + [""] * (4 - len(r)))[:4] for r in rows]


def status(inp: ReportInput) -> str:
    lines = []
    rows = _steps(inp)
    if rows:
        lines.append(table(["step", "result", "seconds", "detail"], rows, "llrl"))
    for run in (inp.wait, inp.tcp):
        if run is not None and run.errors:
            lines.append(f"{len(run.errors)} benchmarks in {run.path.name} reported errors:\n\n"
                         + "\n".join(f"- `{name}`: {msg}" for name, msg in run.errors[:20]))
    return "\n\n".join(lines)


def machine(inp: ReportInput) -> str:
    c = inp.context
    limit = c.get("fd_limit", "?") + (f" (hard {c['fd_limit_hard']})" if "fd_limit_hard" in c else "")
    rows = [
        ["CPU", f"{c.get('cpu_model', '?')} ({c.get('num_cpus', '?')} CPUs allowed: {c.get('allowed_cpus', '?')}, "
                f"{c.get('mhz_per_cpu', '?')} MHz)"],
        ["Kernel", c.get("kernel", "?")],
        ["Host", c.get("host_name", "?")],
        ["Date", c.get("date", "?")],
        ["fd limit (soft)", limit],
        ["Compiler", c.get("compiler", "?")],
        ["Flags", f"`{c.get('flags', '?')}`"],
        ["Build type", f"{c.get('build_type', '?')} (optimized: {c.get('optimized', '?')}); "
                       f"Google Benchmark library: {c.get('library_build_type', '?')}"],
        ["Commit", f"`{c.get('git_commit', '?')}`"],
        ["Benchmark thread pinned to CPU", c.get("pinned_cpu", "?")],
        ["CPU frequency scaling", "enabled" if c.get("cpu_scaling_enabled") else "disabled or unknown"],
        ["Load average at start", ", ".join(f"{v:.2f}" for v in c.get("load_avg", [])) or "?"],
    ]
    if inp.wait is not None:
        count = c.get("pollbench_processes")
        rows.append(["wait_bench processes", (f"{count} fresh processes, one repetition each; each figure is "
                                              "the median over them") if count else
                     "one process (its repetitions are the samples)"])
    text = table(["", ""], rows, "ll") + "\n\n" + probe_table(inp)
    mitigations = str(c.get("mitigations", "?")).split("; ")
    text += ("\n\n<details><summary>CPU vulnerability mitigations (from /sys/devices/system/cpu/vulnerabilities)"
             "</summary>\n\n" + "\n".join(f"- {m}" for m in mitigations) + "\n\n</details>")
    if c.get("library_build_type") == "debug":
        text += ("\n\nGoogle Benchmark reports itself as a debug build: that is Debian's libbenchmark "
                 "package and concerns only its own bookkeeping outside the timed region; pollbench itself "
                 "is built as shown under Build type.")
    return text


def _probe_figure(figure: dict | None) -> str:
    """'5.28 ns [5.21–70.7 ns]' of a machine_probe figure {median, lo, hi, ...}."""
    if not isinstance(figure, dict) or not isinstance(figure.get("median"), (int, float)):
        return "–"
    if isinstance(figure.get("lo"), (int, float)) and isinstance(figure.get("hi"), (int, float)):
        return f"{fmt(figure['median'])} [{fmt(figure['lo'])}–{fmt(figure['hi'])}]"
    return f"{fmt(figure['median'])} (n = {figure.get('n', '?')})"


def probe_rows(probe: dict) -> dict[str, str]:
    """{row label: figure} of one machine_probe output, in the table's order."""
    out = {}
    for c in sorted(probe.get("pointer_chase", []), key=lambda c: c.get("bytes", 0)):
        out[f"memory latency, pointer chase over {pk.size_text(c.get('bytes', 0))} (per load)"] = \
            _probe_figure(c.get("ns_per_load"))
    out["CPU loop (per step)"] = _probe_figure(probe.get("cpu_loop", {}).get("ns_per_step"))
    out["epoll_wait, N = 1 (per wait)"] = _probe_figure(probe.get("epoll_wait", {}).get("ns_per_wait"))
    for c in sorted(probe.get("poll_per_fd", []), key=lambda c: (c.get("fds", 0), c.get("layout") != "dup",
                                                                    c.get("mode", ""))):
        layout = "dup control" if c.get("layout") == "dup" else "distinct sockets"
        mode = "blocking" if c.get("mode") == "block" else "timeout 0"
        out[f"poll per fd, {layout}, N = {c.get('fds', 0):,}, {mode}"] = _probe_figure(c.get("ns_per_fd"))
    return out


def probe_table(inp: ReportInput) -> str:
    """machine_probe's figures at the start and the end of the run, side by side: drift of the
    machine during the run shows here, not in the benchmarks' figures."""
    if not inp.probes:
        return ("_No machine probes in this run (probe-start.json, probe-end.json): memory latency, the CPU loop, "
                "epoll_wait at N = 1 and the dup control's per-fd cost were not measured beside the benchmarks, so "
                "machine drift cannot be told from a change of the code here._")
    columns = [w for w in ("start", "end") if w in inp.probes]
    by_when = {w: probe_rows(inp.probes[w]) for w in columns}
    labels = list(dict.fromkeys(label for w in columns for label in by_when[w]))
    rows = [[label] + [by_when[w].get(label, "–") for w in columns] for label in labels]
    return ("Machine probes (machine_probe, pinned like the benchmarks), median [95% interval of the median] "
            "at the " + " and the ".join(f"{w} of the run" for w in columns) + ":\n\n"
            + table(["probe"] + [f"at the {w}" for w in columns], rows, "l" + "r" * len(columns)))


def _spread_grids(inp: ReportInput) -> list[tuple[str, list[pr.Point], Callable, str]]:
    """(title, points, row label of a point, column key) of each group of plotted points."""
    grids: list[tuple[str, list[pr.Point], Callable, str]] = []
    if inp.has_waits:
        kind = inp.kind
        grids.append((f"wait, {kind}s, blocking, spread (rows: backend, ready fds)",
                      inp.wait.sweep("wait", (None, kind)), lambda p: f"{p.backend}, {p.params['active']:,} ready",
                      "fds"))
        for n in pa.position_ns(inp.wait, kind)[-1:]:
            grids.append((f"position sweep, N = {n:,} (columns: mode/position)",
                          [p for p in inp.wait.select("wait", (None, kind), fds=n, active=1)
                           if p.tag("pos") in pa.POSITIONS], lambda p: p.backend, "combo"))
        dup = [p for p in inp.wait.select("wait", (None, "dup"))]
        if dup:
            partners = [p for p in inp.wait.select("wait", (None, kind), {"pos": "last"}, active=1)
                        if p.params.get("fds") in {d.params.get("fds") for d in dup}]
            grids.append(("the knee's control: dup()s against distinct sockets, ready fd last (rows: backend, "
                          "layout, mode)", dup + partners,
                          lambda p: f"{p.backend}, {p.labels[1]}, {p.tag('mode')}", "fds"))
        grids.append(("raw system calls, 1 ready", [p for p in inp.wait.sweep("raw") if p.params.get("active") == 1],
                      lambda p: p.backend, "fds"))
        grids.append(("registration (ctl)", inp.wait.select("ctl"), lambda p: f"{p.backend} {p.labels[1]}", "fds"))
        grids.append(("wakeup", inp.wait.select("wakeup"), lambda p: p.backend, "fds"))
    if inp.tcp is not None:
        grids.append(("TCP requests/s (columns: idle connections)", inp.tcp.select("tcp"),
                      lambda p: f"{p.backend}, {p.params.get('active')} active", "idle"))
    return [g for g in grids if g[1]]


def point_cv(p: pr.Point) -> float | None:
    """The cv the spread table shows: of requests/s for TCP, of the per-call p50 elsewhere."""
    return pr.cv(p.counter_samples("requests_per_sec")) if p.area == "tcp" else p.per_call_cv


def point_interval(inp: ReportInput, p: pr.Point) -> pr.PointInterval | None:
    """The interval the report quotes for a plotted point: TCP's requests/s over its rounds, else
    the per-call p50's (precision.json's where the precision phase sampled it)."""
    if p.area == "tcp":
        values = [c.get("requests_per_sec", 0.0) for c in p.counters]
        return pr.interval_of(list(pr.samples_by_process(p, values).values()) or values)
    return inp.interval(p)


def spread_cell(inp: ReportInput, p: pr.Point) -> str:
    """'3.2% · ±4.1% · 5': the cv, the interval's larger side relative to the median, and n; ✓ / ⏱ for
    a point the precision phase brought to its target / stopped on budget."""
    iv = point_interval(inp, p)
    rhw = iv.relative_half_width if iv else None
    mark = {"reached": " ✓", "budget": " ⏱"}.get(iv.status, "") if iv else ""
    return f"{pct(point_cv(p))} · {'±' + pct(rhw) if rhw is not None else '–'} · {iv.n if iv else 0}{mark}"


def _grid_table(inp: ReportInput, points: list[pr.Point], row_of: Callable, column: str) -> str:
    col_of = ((lambda p: f"{p.tag('mode')}/{p.tag('pos')}") if column == "combo" else (lambda p: p.params.get(column)))
    cols = sorted({col_of(p) for p in points}, key=lambda c: (str(type(c)), c))
    order = {b: i for i, b in enumerate(pr.sort_backends({p.backend for p in points}, inp.wait))}
    ordered = sorted(points, key=lambda p: (order[p.backend], p.labels[1:], p.params.get("active", 0)))
    rows_keys = list(dict.fromkeys(row_of(p) for p in ordered))
    cells = {(row_of(p), col_of(p)): p for p in points}
    rows = [[r] + [spread_cell(inp, p) if (p := cells.get((r, c))) is not None else "" for c in cols]
            for r in rows_keys]
    header = [column if column != "combo" else "backend"] + [f"{c:,}" if isinstance(c, int) else str(c) for c in cols]
    return table(header, rows)


def spread_section(inp: ReportInput) -> str:
    """Every plotted point's cv, interval and sample count, as grids of rows × N (or A, or idle);
    then the precision phase's points and those that stopped on budget."""
    grids = _spread_grids(inp)
    everything = [(v, p.run_name) for _, points, _, _ in grids for p in points if (v := point_cv(p)) is not None]
    if not everything:
        return ("_Each point has one sample (one process, one repetition), so there is no spread to show; "
                "run scripts/bench.sh with --processes 5._")
    parts = [f"**{title}**\n\n" + _grid_table(inp, points, row_of, column) for title, points, row_of, column in grids]
    steady = sum(1 for v, _ in everything if v <= pa.STEADY_MAX_CV)
    worst = sorted(everything, reverse=True)[:3]
    run = inp.wait or inp.tcp
    text = (f"The coefficient of variation (stdev / mean) of each plotted figure across the {run.samples} "
            f"{run.sample_kind} (TCP: across its rounds): what a rerun would move. {steady} of "
            f"{len(everything)} points are within {pct(pa.STEADY_MAX_CV)}; the largest: "
            + ", ".join(f"`{name}` {pct(v)}" for v, name in worst) + ".")
    text += (" Each cell of the grids below: cv · ± the larger side of the median's interval relative to the "
             "median · n, the samples (processes; TCP: rounds). The interval is the distribution-free 95% one "
             "from order statistics for n ≥ 6, else min–max, which covers the median with 1 − 2/2ⁿ (93.8% at "
             "n = 5, 50% at n = 2); precision.json's where the precision phase sampled the point (its "
             "samples taken in order, the interval widened where consecutive processes came in spells) "
             "(✓ reached its target, ⏱ stopped on budget).")
    return "\n\n".join(t for t in (text, precision_table(inp), budget_paragraph(inp)) if t) + (
        "\n\n<details><summary>cv, interval and n of every plotted point</summary>\n\n" + "\n\n".join(parts)
        + "\n\n</details>")


def precision_table(inp: ReportInput) -> str:
    """precision.json's points: n, median [interval], ± reached, status and role."""
    if inp.precision is None:
        return ("_This run has no precision phase (no precision.json): no point was sampled beyond the sweep's "
                "processes, so the intervals below are as wide as those processes leave them._")
    prec = inp.precision
    rows = []
    for name, e in sorted(prec["points"].items()):
        iv = pr.interval_of([], e)
        rhw = e.get("relative_half_width")
        rows.append([f"`{name}`", str(e.get("n", "?")), fmt(iv.median) if iv else "–",
                     f"{fmt(iv.lo)}–{fmt(iv.hi)}" if iv and iv.lo is not None else "–",
                     f"±{pct(rhw)}" if isinstance(rhw, (int, float)) else "–", str(e.get("status", "?")),
                     ", ".join(e.get("role", []))])
    asked = prec.get("precision")
    spent = prec.get("spent_s")
    budget = prec.get("budget_s")
    reached = sum(1 for e in prec["points"].values() if e.get("status") == "reached")
    head = (f"**The precision phase** sampled {len(rows)} points in fresh {prec.get('unit', 'process')}es until "
            f"each median's {100 * prec.get('confidence', 0.95):.0f}% interval lay within "
            + (f"±{pct(asked)}" if isinstance(asked, (int, float)) else "the asked precision")
            + (f" or its share of the {budget:,.0f} s budget was spent ({spent:,.0f} s spent)"
               if isinstance(budget, (int, float)) and isinstance(spent, (int, float)) else "")
            + f": {reached} of {len(rows)} reached it.")
    return (head + "\n\n<details><summary>every point of the precision phase</summary>\n\n"
            + table(["point", "n", "median", "interval", "±", "status", "role"], rows, "lrrrrll")
            + "\n\n</details>")


def budget_paragraph(inp: ReportInput) -> str:
    """The points that stopped on budget and what they reached, grouped by backend and role."""
    if inp.precision is None:
        return ""
    groups: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for name, e in inp.precision["points"].items():
        if e.get("status") != "budget":
            continue
        _, labels, params, tags = pr.parse_name_and_tags(name)
        what = f"{labels[0] if labels else name} ({', '.join(labels[1:2] + tuple(tags.get(k, '') for k in ('mode',)))})"
        groups.setdefault((what, "/".join(e.get("role", [])) or "–"), []).append(
            (params.get("fds", 0), e.get("relative_half_width")))  # None: no interval
    if not groups:
        return "Every point of the precision phase reached its target; none stopped on budget."
    count = sum(len(v) for v in groups.values())
    items = []
    for (what, role), values in sorted(groups.items()):
        ns = sorted(n for n, _ in values)
        widths = [w for _, w in values if isinstance(w, (int, float))]
        none = len(values) - len(widths)
        span = f"N = {ns[0]:,}" if len(ns) == 1 else f"{len(ns)} N from {ns[0]:,} to {ns[-1]:,}"
        reached = ("" if not widths else f"±{pct(widths[0])}" if len(widths) == 1
                   else f"±{pct(min(widths))} to ±{pct(max(widths))}")
        if none:  # too few samples for the spells they came in: no interval at all
            reached += (", " if reached else "") + ("no interval" if none == 1 else f"{none} with no interval")
        items.append(f"{what}, {role}: {span}, reached {reached}")
    return f"**{count} points stopped on budget** before their target: " + "; ".join(items) + "."


def quick(inp: ReportInput) -> bool:
    command_file = inp.run_dir / "command.txt"
    return (pr.is_quick(inp.wait) or pr.is_quick(inp.tcp)
            or (command_file.exists() and "--quick" in command_file.read_text().split()))


def reproduce(inp: ReportInput) -> str:
    command_file = inp.run_dir / "command.txt"
    commit = inp.context.get("git_commit", "?")
    if command_file.exists():
        command = command_file.read_text().strip()
    else:
        command = "scripts/bench.sh --out DIR"
    return (f"At commit `{commit}`, on a machine like the one above:\n\n```sh\n{command}\n```\n\n"
            "`scripts/bench.sh --help` explains the options; `scripts/compare.sh OLD_DIR NEW_DIR` compares "
            "two runs with Google Benchmark's compare.py.")


def quick_banner(inp: ReportInput) -> str:
    if not quick(inp):
        return ""
    return ("> **Quick run** (`--quick`): short sweeps over "
            + (f"only {inp.wait.samples} {inp.wait.sample_kind}" if inp.wait else "few repetitions")
            + ", for trying things out. Do not cite these numbers; cite a full run.")


def incomplete_banner(inp: ReportInput) -> str:
    """The first page's warning when a step of the run failed (the Status section says which)."""
    failed = [r for r in _steps(inp) if r[1] not in ("ok", "skipped")]
    if not failed:
        return ""
    return ("> **This run is incomplete: " + ", ".join(f"step '{r[0]}' {r[1]}" for r in failed)
            + ".** The sections below show what finished; see Status.")


def how_to_read(inp: ReportInput) -> str:
    return ("Each benchmark times one call at a time (one wait, one add, ...) with a clock read around exactly "
            "that call and hands the interval to Google Benchmark (manual time); untimed work around it (the "
            "writes that make fds ready, the reads that drain them) stays out. Every call's time goes into "
            "pollbench's histogram (≤1% relative error), whose p50 and p99 each run reports beside Google "
            "Benchmark's mean. scripts/bench.sh runs wait_bench in several fresh processes (each a new fd pool and "
            "so a new kernel memory layout, which moves large-N figures far more than repetitions inside one "
            "process do), one repetition each; every figure here is the median over those processes. The "
            "headline, the plots and the slopes use the p50, the typical single call, which a rare preempted call "
            "cannot move; the tables give the mean too. Bracketed ranges are distribution-free intervals of the "
            "median (order statistics: with 5 processes, their min–max covers the median with probability "
            "93.8%); on the plots, bars span the lowest and highest process. Log-log axes turn O(N) into a line "
            "of slope 1 and O(1) into a flat line, so the legend's slope reads directly as the exponent; Google "
            "Benchmark's own BigO fit is beside it.")
