"""The knee of select and poll, measured: their per-fd cost over distinct socketpairs against N
dup()s of one idle socket (wait_bench's dup control), and the cache sizes the same run measured
with machine_probe's pointer chase. Shared by pollbench_plot.py (per_fd.png) and the report.

The dup control runs the same kernel code as N distinct sockets, on one cache-hot file: where its
per-fd cost stays flat while the distinct sockets' rises, the rise is the memory N sockets
occupy, not the algorithm.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import pollbench_results as pr

SCANNING = ("select", "poll")
MODES = ("block", "nonblock")
LAYOUTS = ("socketpair", "dup")  # distinct sockets, and the dup control
# The effective cache ends at the first pointer-chase size whose latency exceeds this many times
# the smallest size's: a load that misses the cache costs a memory access, ~10x or more a hit,
# while the chase's own noise on a shared VM stays well under 3x.
CACHE_JUMP = 3.0


@dataclass(frozen=True)
class PerFd:
    n: int
    ns: float  # per watched fd: the point's p50 / N
    lo: float | None  # the interval's ends / N
    hi: float | None
    samples: int


def per_fd_series(run: pr.Run, backend: str, layout: str, mode: str) -> list[PerFd]:
    """time/N of wait/<backend>/<layout>/mode:<mode>/pos:last/fds:N/active:1, by N."""
    out = []
    for p in run.select("wait", (backend, layout), {"mode": mode, "pos": "last"}, active=1):
        n = p.params.get("fds")
        if not n:
            continue
        per_process = list(pr.samples_by_process(p).values()) or p.per_call_samples
        iv = pr.interval_of(per_process)
        out.append(PerFd(n, p.per_call_ns / n, iv.lo / n if iv and iv.lo is not None else None,
                         iv.hi / n if iv and iv.hi is not None else None, iv.n if iv else 0))
    return sorted(out, key=lambda f: f.n)


def has_dup(run: pr.Run | None) -> bool:
    return run is not None and "dup" in run.values("wait", 1)


@dataclass(frozen=True)
class Cache:
    """Where the pointer chase's latency jumps: the effective cache lies between `fits` bytes
    (the last size within CACHE_JUMP x the smallest) and `spills` (the first beyond it)."""
    fits: int | None
    spills: int | None
    base_ns: float
    chase: list[tuple[int, float]]  # (bytes, ns per load), by size


def effective_cache(probe: dict | None) -> Cache | None:
    chase = sorted((int(c["bytes"]), float(c["ns_per_load"]["median"])) for c in (probe or {}).get("pointer_chase", [])
                   if isinstance(c.get("ns_per_load", {}).get("median"), (int, float)))
    if len(chase) < 2:
        return None
    base = chase[0][1]
    fits, spills = None, None
    for size, ns in chase:
        if ns > CACHE_JUMP * base:
            spills = size
            break
        fits = size
    return Cache(fits, spills, base, chase)


def sysfs_caches(probe: dict | None) -> list[tuple[str, int]]:
    """('L2', bytes), ('L3', bytes) as sysfs gives them (data and unified caches above L1)."""
    out = []
    for c in (probe or {}).get("sysfs_caches", []):
        if c.get("type") == "Instruction" or str(c.get("level")) == "1":
            continue
        size = str(c.get("size", ""))
        scale = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(size[-1:], 1)
        try:
            out.append((f"L{c.get('level')}", int(size.rstrip("KMG")) * scale))
        except ValueError:
            continue
    return out


def kernel_bytes_per_socket(run_dir: Path) -> float | None:
    """The kernel memory one watched socketpair occupies, as watched_bench measured it in this run
    (watched.json's kernel_bytes_per_watched, median over its rows); None without watched.json."""
    import json

    path = Path(run_dir) / "watched.json"
    if not path.exists():
        return None
    try:
        rows = json.loads(path.read_text(encoding="utf-8")).get("benchmarks", [])
    except (OSError, ValueError):
        return None
    values = [r["kernel_bytes_per_watched"] for r in rows if isinstance(r, dict)
              and r.get("run_type", "iteration") == "iteration"
              and isinstance(r.get("kernel_bytes_per_watched"), (int, float)) and r["kernel_bytes_per_watched"] > 0]
    return statistics.median(values) if values else None


def size_text(size: float) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size >= scale:
            v = size / scale
            return f"{v:.0f} {unit}" if v == int(v) or v >= 10 else f"{v:.1f} {unit}"
    return f"{size:.0f} B"
