#!/usr/bin/env python3
"""Intervals and stopping rules for sampling a benchmark point until its median is precise enough.

Only the standard library: the sampler and bench.sh can use it with any Python 3.

The sample unit is whatever one measurement of a point is (a fresh process's median, a fresh fd
pool's). Nothing here assumes a distribution:

  median_ci(xs)            the distribution-free 95% interval of the median from order statistics:
                           [x_(j), x_(n+1-j)] covers the true median with probability
                           P(j <= B < n+1-j), B ~ Binomial(n, 1/2), for any continuous
                           distribution. The largest j that still reaches 95% is taken, and the
                           exact coverage is reported with it. n < 6 cannot reach 95% (the widest
                           interval, min to max, covers 1 - 2/2^n: 93.75% at n = 5): None.
  serial_median_ci(xs)     the same interval for samples in the order they were taken, when neighbours
                           share the machine's state (consecutive processes in a spell of a noisy
                           neighbour): the ranks are those of the effective sample count n / f,
                           where f (serial_factor) is how much the batch means of the series
                           "sample below the median" vary beyond what independent samples give.
                           Independent samples keep f near 1 and the interval of median_ci.
  bootstrap_median_ci(xs)  the percentile bootstrap, as an alternative (it does give an interval
                           below n = 6, but one that is too narrow there).
  paired_ratio(a, b)       the ratio of two points measured in pairs (same process, same pool,
                           alternating): the median of the per-pair ratios with its order-
                           statistic interval, so what the pair shares (the process, the machine's
                           state) cancels; and the ratio of medians with a bootstrap over pairs.
  decide(...)              the stopping rule: "reached" once the interval is within +-P of the
                           median, "budget" once the point has used its share, else "continue";
                           never before min_samples.
  allocate(...)            how many samples each open point may still take from a time budget,
                           spending it where the variance is (Kalibera & Jones, "Rigorous
                           Benchmarking in Reasonable Time", ISMM 2013): a point's remaining need
                           is projected from its interval's width, cheap needs are met in full,
                           and the rest of the budget is shared evenly among the expensive ones.
  optimal_inner_count(...) Kalibera & Jones's two-level rule: how many inner samples (fresh pools)
                           per outer one (fresh process) minimise the cost of a given precision.

"+-P" is the larger of the interval's two sides relative to the median (order-statistic intervals
are not symmetric), so a point that "reached 5%" has both ends within 5% of its median.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Iterable, Sequence

CONFIDENCE = 0.95
# The smallest n whose widest order-statistic interval (min to max) covers the median with 95%.
MIN_SAMPLES_95 = 6


@dataclass(frozen=True)
class Ranks:
    """1-based order statistics [lo, hi] and the probability that they bracket the median."""
    lo: int
    hi: int
    coverage: float


@dataclass(frozen=True)
class Interval:
    median: float
    lo: float
    hi: float
    coverage: float  # exact (order statistics) or nominal (bootstrap)
    n: int
    method: str      # "order_statistics" or "bootstrap"

    @property
    def relative_half_width(self) -> float:
        """The larger side, relative to the median: the P of "median +-P"."""
        if self.median == 0:
            return math.inf
        return max(self.median - self.lo, self.hi - self.median) / abs(self.median)

    def as_json(self) -> dict:
        return {"median": self.median, "lo": self.lo, "hi": self.hi, "coverage": self.coverage,
                "n": self.n, "method": self.method, "relative_half_width": self.relative_half_width}


def bracket_coverage(n: int, lo: int, hi: int) -> float:
    """P(x_(lo) <= true median <= x_(hi)) for n samples of a continuous distribution: the number B
    of samples below the median is Binomial(n, 1/2), and the interval brackets it iff lo <= B < hi."""
    if not 1 <= lo < hi <= n:
        raise ValueError(f"ranks must satisfy 1 <= lo < hi <= n, got lo={lo} hi={hi} n={n}")
    return math.fsum(math.comb(n, b) for b in range(lo, hi)) / 2 ** n


def order_statistic_ranks(n: int, confidence: float = CONFIDENCE) -> Ranks | None:
    """The narrowest symmetric ranks (j, n+1-j) whose coverage reaches `confidence`, or None when
    even min-to-max does not (n < 6 for 95%)."""
    if n < 2:
        return None
    best = None
    for j in range(1, n // 2 + 1):
        hi = n + 1 - j
        if hi <= j:
            break
        coverage = bracket_coverage(n, j, hi)
        if coverage < confidence:
            break
        best = Ranks(j, hi, coverage)
    return best


def widest_ranks(n: int) -> Ranks:
    """Min to max and what it covers: for n below MIN_SAMPLES_95, the best there is."""
    return Ranks(1, n, bracket_coverage(n, 1, n))


def median_ci(samples: Iterable[float], confidence: float = CONFIDENCE) -> Interval | None:
    xs = sorted(samples)
    ranks = order_statistic_ranks(len(xs), confidence)
    if ranks is None:
        return None
    return Interval(statistics.median(xs), xs[ranks.lo - 1], xs[ranks.hi - 1], ranks.coverage, len(xs),
                    "order_statistics")


# Serial correlation: samples taken one after another on a shared machine are not independent.

# Below this many samples the batch means cannot tell a spell from chance: serial_factor is 1.
SERIAL_MIN_SAMPLES = 16


def serial_factor(samples: Sequence[float]) -> float:
    """How many times correlation between neighbouring samples inflates the variance of their median
    (at least 1): the method of batch means on the indicator "below the median".

    The sample median's rank spread comes from how many samples fall below the true median; for
    independent samples that count is Binomial(n, 1/2). When samples come in spells (a neighbour
    takes the cache for a minute), the count of a batch of consecutive samples varies more than a
    binomial's: b x Var(batch means) / Var(indicator), with batches of b = floor(sqrt(n)), estimates
    the factor (about 1 for independent samples; never taken below 1). The samples must be in the
    order taken."""
    n = len(samples)
    if n < SERIAL_MIN_SAMPLES:
        return 1.0
    mid = statistics.median(samples)
    below = [1.0 if x < mid else 0.0 if x > mid else 0.5 for x in samples]
    spread = statistics.pvariance(below)
    if spread == 0:
        return 1.0
    b = math.isqrt(n)
    means = [statistics.fmean(below[i * b:(i + 1) * b]) for i in range(n // b)]
    return max(1.0, b * statistics.variance(means) / spread)


def serial_median_ci(samples: Sequence[float], confidence: float = CONFIDENCE) -> Interval | None:
    """median_ci for samples in the order they were taken: the order-statistic ranks of n / f
    samples (f = serial_factor), placed at the same quantiles of all n, and their coverage. None
    when n / f is below MIN_SAMPLES_95: the samples are too few for the spells they came in."""
    n = len(samples)
    factor = serial_factor(samples)
    if factor == 1.0:
        return median_ci(samples, confidence)
    effective = math.floor(n / factor)
    ranks = order_statistic_ranks(effective, confidence)
    if ranks is None:
        return None
    xs = sorted(samples)
    lo = max(1, math.floor(ranks.lo * (n + 1) / (effective + 1)))
    return Interval(statistics.median(xs), xs[lo - 1], xs[n - lo], ranks.coverage, n, "order_statistics_serial")


def bootstrap_median_ci(samples: Sequence[float], confidence: float = CONFIDENCE, resamples: int = 2000,
                        seed: int = 1) -> Interval | None:
    """The percentile bootstrap of the median (seeded: the same samples give the same interval)."""
    xs = list(samples)
    if len(xs) < 2:
        return None
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(resamples))
    tail = (1 - confidence) / 2
    lo = medians[int(math.floor(tail * (resamples - 1)))]
    hi = medians[int(math.ceil((1 - tail) * (resamples - 1)))]
    return Interval(statistics.median(xs), lo, hi, confidence, len(xs), "bootstrap")


@dataclass(frozen=True)
class PairedRatio:
    median_of_ratios: Interval | None  # order-statistic interval of the per-pair ratios a_i / b_i
    ratio_of_medians: float            # median(a) / median(b)
    bootstrap: Interval | None         # ratio of medians, bootstrap over pairs

    def as_json(self) -> dict:
        return {"median_of_ratios": self.median_of_ratios.as_json() if self.median_of_ratios else None,
                "ratio_of_medians": self.ratio_of_medians,
                "bootstrap": self.bootstrap.as_json() if self.bootstrap else None}


def paired_ratio(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE, resamples: int = 2000,
                 seed: int = 1) -> PairedRatio:
    """a_i and b_i were measured together (one process, one pool, alternating): the ratio's interval
    comes from the pairs, so the drift they share does not widen it."""
    if len(a) != len(b):
        raise ValueError(f"paired samples need equal counts, got {len(a)} and {len(b)}")
    if not a or any(y <= 0 for y in b):
        raise ValueError("paired ratio needs at least one pair and positive denominators")
    ratios = [x / y for x, y in zip(a, b)]
    rng = random.Random(seed)
    pairs = list(zip(a, b))
    boot = None
    if len(pairs) >= 2:
        values = []
        for _ in range(resamples):
            picked = rng.choices(pairs, k=len(pairs))
            values.append(statistics.median(p[0] for p in picked) / statistics.median(p[1] for p in picked))
        values.sort()
        tail = (1 - confidence) / 2
        boot = Interval(statistics.median(a) / statistics.median(b), values[int(math.floor(tail * (resamples - 1)))],
                        values[int(math.ceil((1 - tail) * (resamples - 1)))], confidence, len(pairs), "bootstrap")
    return PairedRatio(median_ci(ratios, confidence), statistics.median(a) / statistics.median(b), boot)


# The stopping rule ------------------------------------------------------------------------------

CONTINUE, REACHED, BUDGET = "continue", "reached", "budget"


@dataclass(frozen=True)
class Decision:
    status: str                 # CONTINUE, REACHED or BUDGET
    interval: Interval | None   # None while n < MIN_SAMPLES_95

    @property
    def relative_half_width(self) -> float:
        return self.interval.relative_half_width if self.interval else math.inf


def interval_for(samples: Sequence[float], serial: bool) -> Interval | None:
    """serial_median_ci for samples in the order taken (serial), else median_ci."""
    return serial_median_ci(samples) if serial else median_ci(samples)


def decide(samples: Sequence[float], precision: float, min_samples: int = MIN_SAMPLES_95,
           max_samples: int | None = None, budget_spent: bool = False, serial: bool = False) -> Decision:
    """Whether a point needs more samples: REACHED when its 95% interval lies within +-precision of
    its median, BUDGET when it has max_samples or its share of time is spent (budget_spent), else
    CONTINUE. Neither stop comes before min_samples (raised to MIN_SAMPLES_95: no interval below).
    serial: the samples are in the order taken and the interval is serial_median_ci's."""
    if precision <= 0:
        raise ValueError(f"precision must be above 0, got {precision}")
    floor = max(min_samples, MIN_SAMPLES_95)
    interval = interval_for(samples, serial)
    if len(samples) < floor:
        return Decision(CONTINUE, interval)
    if interval is not None and interval.relative_half_width <= precision:
        return Decision(REACHED, interval)
    if budget_spent or (max_samples is not None and len(samples) >= max_samples):
        return Decision(BUDGET, interval)
    return Decision(CONTINUE, interval)


def projected_samples(samples: Sequence[float], precision: float, min_samples: int = MIN_SAMPLES_95,
                      serial: bool = False) -> int:
    """About how many samples the point needs in all to reach +-precision: the median's interval
    narrows as 1/sqrt(n), so n * (width / precision)^2, at least one more than now while it has
    not reached it. Below MIN_SAMPLES_95 there is no width yet: min_samples. With serial, samples
    too few for their spells (no interval) need twice as many."""
    floor = max(min_samples, MIN_SAMPLES_95)
    interval = interval_for(samples, serial)
    if len(samples) < floor:
        return floor
    if interval is None:
        return max(floor, 2 * len(samples))
    width = interval.relative_half_width
    if width <= precision:
        return len(samples)
    return max(len(samples) + 1, math.ceil(len(samples) * (width / precision) ** 2))


def allocate(points: dict[str, tuple[Sequence[float], float]], precision: float, budget_s: float,
             min_samples: int = MIN_SAMPLES_95, serial: bool = False) -> dict[str, int]:
    """How many samples in all each point may have, given `budget_s` seconds left.

    points: name -> (samples so far, seconds one more sample costs). Each point's remaining need
    (projected_samples minus what it has) costs need x cost; the budget is water-filled over those
    costs: every need below a common level is met in full (small N, low variance: a few cheap
    samples), and the points above it each get the level. A point's minimum always fits."""
    need_cost = {}
    for name, (samples, cost) in points.items():
        need = max(0, projected_samples(samples, precision, min_samples, serial) - len(samples))
        need_cost[name] = need * max(cost, 0.0)
    level = _water_level(list(need_cost.values()), budget_s)
    floor = max(min_samples, MIN_SAMPLES_95)
    out = {}
    for name, (samples, cost) in points.items():
        need = max(0, projected_samples(samples, precision, min_samples, serial) - len(samples))
        extra = need if cost <= 0 else min(need, math.floor(min(need_cost[name], level) / cost + 1e-9))
        out[name] = max(len(samples) + extra, floor)
    return out


def _water_level(costs: list[float], budget: float) -> float:
    """The level L with sum(min(c, L)) = budget (every cost in full when they fit)."""
    if budget <= 0 or not costs:
        return 0.0
    if math.fsum(costs) <= budget:
        return math.inf
    remaining, left = budget, len(costs)
    for c in sorted(costs):
        if c * left > remaining:
            return remaining / left
        remaining -= c
        left -= 1
    return math.inf


# Kalibera & Jones: how many inner samples per outer one --------------------------------------

def variance_components(groups: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(between-group variance T^2, within-group variance S^2) of a balanced two-level experiment
    (outer = process, inner = e.g. fd pools in it): the K&J estimators, T^2 = S_outer^2 - S^2 / r,
    clipped at 0."""
    r = len(groups[0])
    if len(groups) < 2 or r < 2 or any(len(g) != r for g in groups):
        raise ValueError("need at least 2 groups of the same size, at least 2 each")
    within = statistics.fmean(statistics.variance(g) for g in groups)
    outer = statistics.variance([statistics.fmean(g) for g in groups])
    return max(0.0, outer - within / r), within


def optimal_inner_count(groups: Sequence[Sequence[float]], cost_outer_s: float, cost_inner_s: float) -> int:
    """K&J's optimal inner repetition count r = ceil(sqrt(cost_outer / cost_inner * S^2 / T^2)):
    many cheap inner samples when the outer level adds little variance, one when it adds most."""
    between, within = variance_components(groups)
    if between == 0:
        return max(1, len(groups[0]))
    return max(1, math.ceil(math.sqrt(cost_outer_s / cost_inner_s * within / between)))
