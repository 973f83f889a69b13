"""The report's sections about the run itself: its status (steps, errors), the machine, the
spread across processes, how to read the figures, and how to reproduce the run."""

from __future__ import annotations

from typing import Callable

import pollbench_analysis as pa
import pollbench_results as pr
from pollbench_report_base import ReportInput, pct, table


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
    text = table(["", ""], rows, "ll")
    mitigations = str(c.get("mitigations", "?")).split("; ")
    text += ("\n\n<details><summary>CPU vulnerability mitigations (from /sys/devices/system/cpu/vulnerabilities)"
             "</summary>\n\n" + "\n".join(f"- {m}" for m in mitigations) + "\n\n</details>")
    if c.get("library_build_type") == "debug":
        text += ("\n\nGoogle Benchmark reports itself as a debug build: that is Debian's libbenchmark "
                 "package and concerns only its own bookkeeping outside the timed region; pollbench itself "
                 "is built as shown under Build type.")
    return text


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


def _grid_table(inp: ReportInput, points: list[pr.Point], row_of: Callable, column: str) -> str:
    col_of = ((lambda p: f"{p.tag('mode')}/{p.tag('pos')}") if column == "combo" else (lambda p: p.params.get(column)))
    cols = sorted({col_of(p) for p in points}, key=lambda c: (str(type(c)), c))
    order = {b: i for i, b in enumerate(pr.sort_backends({p.backend for p in points}, inp.wait))}
    ordered = sorted(points, key=lambda p: (order[p.backend], p.labels[1:], p.params.get("active", 0)))
    rows_keys = list(dict.fromkeys(row_of(p) for p in ordered))
    cells = {(row_of(p), col_of(p)): p for p in points}
    rows = [[r] + [pct(point_cv(p)) if (p := cells.get((r, c))) is not None else "" for c in cols] for r in rows_keys]
    header = [column if column != "combo" else "backend"] + [f"{c:,}" if isinstance(c, int) else str(c) for c in cols]
    return table(header, rows)


def spread_section(inp: ReportInput) -> str:
    """The cross-process cv of every point the plots draw, as grids of rows × N (or A, or idle)."""
    grids = _spread_grids(inp)
    everything = [(v, p.run_name) for _, points, _, _ in grids for p in points if (v := point_cv(p)) is not None]
    if not everything:
        return ("_Each point has one sample (one process, one repetition), so there is no spread to show; "
                "run scripts/bench.sh with --processes 5._")
    parts = [f"**{title}**\n\n" + _grid_table(inp, points, row_of, column) for title, points, row_of, column in grids]
    steady = sum(1 for v, _ in everything if v <= pa.HEADLINE_MAX_CV)
    worst = sorted(everything, reverse=True)[:3]
    run = inp.wait or inp.tcp
    text = (f"The coefficient of variation (stdev / mean) of each plotted figure across the {run.samples} "
            f"{run.sample_kind} (TCP: across its repetitions): what a rerun would move. {steady} of "
            f"{len(everything)} points are within {pct(pa.HEADLINE_MAX_CV)}; the largest: "
            + ", ".join(f"`{name}` {pct(v)}" for v, name in worst) + ".")
    return (text + "\n\n<details><summary>cv of every plotted point</summary>\n\n" + "\n\n".join(parts)
            + "\n\n</details>")


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
