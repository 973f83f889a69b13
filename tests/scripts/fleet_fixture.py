#!/usr/bin/env python3
"""Run directories for the fleet report's tests, derived from committed runs by rewriting the
machine in the context and scaling times, so every answer is known:

    tests/scripts/fleet_fixture.py OUT_DIR   -> OUT_DIR/{base,slow,newer}: from fixture/wait.json
                                                 OUT_DIR/{straight,bent}: from known_fixture.py

From the real short run (fixture/wait.json, 2 processes, N in {1, 100, 1000}):
  - base:  the run as it is, on "Fixture Alpha 1" (×2, 3000 MHz), kernel 6.1.0-fixture, commit aaaaaaaaaaaa.
  - slow:  every time ×2, on "Fixture Beta 2" (×4, 1500 MHz), kernel 6.12.0-fixture, commit bbbbbbbbbbbb, fd
           limit 4096: a machine half as fast, so every ratio within the run equals base's.
  - newer: poll's times ×1.5, on "Fixture Gamma 3", kernel 6.18.0-fixture, commit cccccccccccc,
           without epoll_et and without N = 100 (every point at it): poll/epoll_lt is 1.5× base's,
           select/epoll_lt equals base's, and the report must say that epoll_et and N = 100 were
           left out.
From known_fixture.py's hand-set run (5 processes, N in {1, 10, 100, 1,000, 10,000, 20,000}):
  - straight: as it is. select/epoll_lt is 200× at N = 1,000 in every process; at 20,000 the
           per-process ratios are 4000·WIDE/TIGHT, median 4,000×, min 2,828×, max 5,149×; poll's
           slope is 1.00; the crossover at N = 1,000 is A = 796 (79.6%) in every process.
  - bent:  the same with select and poll ×(N/1,000)^0.5 above N = 1,000: fitted from N = 10,
           poll's knee is N = 1,000 with slope 1.00 below and 1.50 above, in every process.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import known_fixture  # noqa: E402

MACHINES = {
    "base": {"cpu_model": "Fixture Alpha 1", "num_cpus": 2, "mhz_per_cpu": "3000", "kernel": "6.1.0-fixture #1 SMP",
             "git_commit": "aaaaaaaaaaaa", "fd_limit": "20000", "host_name": "fixture-a"},
    "slow": {"cpu_model": "Fixture Beta 2", "num_cpus": 4, "mhz_per_cpu": "1500", "kernel": "6.12.0-fixture #1 SMP",
             "git_commit": "bbbbbbbbbbbb", "fd_limit": "4096", "host_name": "fixture-b"},
    "newer": {"cpu_model": "Fixture Gamma 3", "num_cpus": 2, "mhz_per_cpu": "3000", "kernel": "6.18.0-fixture #1 SMP",
              "git_commit": "cccccccccccc", "fd_limit": "20000", "host_name": "fixture-c"},
}


def scale_row(row: dict, factor: float) -> None:
    """Every time of a result row (Google Benchmark's and pollbench's *_ns counters) × factor."""
    if row.get("aggregate_name") in ("cv", "RMS"):
        return  # relative figures: unchanged by scaling
    for key in list(row):
        if key in ("real_time", "cpu_time") or key.endswith("_ns"):
            row[key] = row[key] * factor


def name_of(row: dict) -> str:
    return row.get("run_name", row["name"])


def derive(source: Path, target: Path, context: dict, factor_of, keep=lambda name: True) -> None:
    """target/wait.json: source's rows that `keep`, each scaled by factor_of(name), context updated."""
    data = json.loads(source.read_text())
    data["context"].update(context)
    rows = []
    for row in data["benchmarks"]:
        if not keep(name_of(row)):
            continue
        scale_row(row, factor_of(name_of(row)))
        rows.append(row)
    data["benchmarks"] = rows
    target.mkdir(parents=True, exist_ok=True)
    (target / "wait.json").write_text(json.dumps(data))


def param(name: str, key: str) -> int | None:
    for part in name.split("/"):
        if part.startswith(key + ":"):
            digits = part[len(key) + 1:].split("_")[0]
            return int(digits) if digits.isdigit() else None
    return None


def bend(name: str) -> float:
    """×(N/1000)^0.5 above N = 1,000 for select and poll."""
    fds = param(name, "fds")
    if name.startswith(("wait/select/", "wait/poll/")) and fds is not None and fds > 1000:
        return (fds / 1000) ** 0.5
    return 1.0


def main(out: Path) -> None:
    real = HERE / "fixture" / "wait.json"
    derive(real, out / "base", MACHINES["base"], lambda name: 1.0)
    derive(real, out / "slow", MACHINES["slow"], lambda name: 2.0)
    derive(real, out / "newer", MACHINES["newer"],
           lambda name: 1.5 if name.startswith("wait/poll/") else 1.0,
           keep=lambda name: "/epoll_et/" not in name and param(name, "fds") != 100)
    known_fixture.write(out / "known")
    derive(out / "known" / "wait.json", out / "straight", {}, lambda name: 1.0)
    derive(out / "known" / "wait.json", out / "bent", {"kernel": "6.18.0-bent", "git_commit": "dddddddddddd"}, bend)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fleet_fixture.py OUT_DIR")
    main(Path(sys.argv[1]))
