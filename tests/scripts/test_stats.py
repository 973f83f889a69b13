"""Unit tests of scripts/pollbench_stats.py on fixtures with a known distribution: exact order-
statistic cases worked by hand, the interval's coverage over seeded trials, and the stopping rule."""

import math
import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import pollbench_stats as ps  # noqa: E402

TRIALS = 2000


def lognormal(rng, n, sigma, median=1000.0):
    """n samples of a lognormal whose true median is `median`."""
    return [median * math.exp(rng.gauss(0.0, sigma)) for _ in range(n)]


class OrderStatistics(unittest.TestCase):
    def test_hand_worked_ranks_and_coverage(self):
        # n = 6: only min..max reaches 95%: 1 - 2/64.
        self.assertEqual(ps.order_statistic_ranks(6), ps.Ranks(1, 6, 1 - 2 / 64))
        # n = 10: (2, 9) covers 1 - 2(1 + 10)/1024; (3, 8) would cover 1 - 2(1 + 10 + 45)/1024 = 0.89.
        self.assertEqual(ps.order_statistic_ranks(10), ps.Ranks(2, 9, 1 - 22 / 1024))
        # n = 20: (6, 15): 1 - 2(1 + 20 + 190 + 1140 + 4845 + 15504)/2^20.
        self.assertEqual(ps.order_statistic_ranks(20), ps.Ranks(6, 15, 1 - 2 * 21700 / 2 ** 20))

    def test_below_six_samples_there_is_no_95_percent_interval(self):
        for n in range(0, 6):
            self.assertIsNone(ps.order_statistic_ranks(n), n)
            self.assertIsNone(ps.median_ci(range(1, n + 1)), n)
        self.assertEqual(ps.widest_ranks(5), ps.Ranks(1, 5, 0.9375))

    def test_interval_values_come_from_the_sorted_samples(self):
        samples = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10]  # sorted: 1..10; ranks (2, 9)
        ci = ps.median_ci(samples)
        self.assertEqual((ci.lo, ci.median, ci.hi, ci.n), (2, 5.5, 9, 10))
        self.assertAlmostEqual(ci.relative_half_width, 3.5 / 5.5)

    def test_coverage_over_seeded_trials_matches_the_stated_coverage(self):
        rng = random.Random(20261203)
        for n in (10, 20, 40):
            stated = ps.order_statistic_ranks(n).coverage
            covered = 0
            for _ in range(TRIALS):
                ci = ps.median_ci(lognormal(rng, n, sigma=0.3))
                covered += ci.lo <= 1000.0 <= ci.hi
            rate = covered / TRIALS
            # Within 3.5 binomial standard errors of the exact coverage, and never below 93%.
            se = math.sqrt(stated * (1 - stated) / TRIALS)
            self.assertLess(abs(rate - stated), 3.5 * se, f"n={n}: covered {rate:.4f}, stated {stated:.4f}")
            self.assertGreaterEqual(rate, 0.93, n)
            if n == 20:
                self.assertTrue(0.93 <= rate <= 0.97, rate)


def ar1_lognormal(rng, n, phi, sigma=0.1, median=1000.0):
    """n samples in the order taken, each lag-1 correlated with the one before (coefficient phi) in
    log space, stationary lognormal with true median `median`: samples that come in spells."""
    y, out = rng.gauss(0.0, 1.0), []
    for _ in range(n):
        y = phi * y + math.sqrt(1 - phi * phi) * rng.gauss(0.0, 1.0)
        out.append(median * math.exp(sigma * y))
    return out


class SerialCorrelation(unittest.TestCase):
    def test_two_spells_give_no_interval_and_alternation_the_plain_one(self):
        # 8 low then 8 high: below-median indicator 1,1,...,0,0; batches of 4 have means 1, 1, 0, 0,
        # variance 1/3 against 1/4 for one sample: f = 4 x (1/3) / (1/4) = 16/3, n / f = 3 < 6.
        spells = [float(v) for v in range(1, 17)]
        self.assertAlmostEqual(ps.serial_factor(spells), 16 / 3)
        self.assertIsNone(ps.serial_median_ci(spells))
        # The same values alternating low, high: every batch mean is 1/2, f = 1.
        alternating = [v for pair in zip(spells[:8], spells[8:]) for v in pair]
        self.assertEqual(ps.serial_factor(alternating), 1.0)
        self.assertEqual(ps.serial_median_ci(alternating), ps.median_ci(alternating))
        # Below 16 samples there is no estimate: the plain interval.
        self.assertEqual(ps.serial_median_ci(spells[:15]), ps.median_ci(spells[:15]))

    def test_coverage_with_spells_and_without(self):
        rng = random.Random(20261204)
        trials, n = 500, 100
        for phi, plain_at_most, serial_at_least in ((0.0, 1.0, 0.95), (0.8, 0.75, 0.82)):
            plain = serial = 0
            for _ in range(trials):
                xs = ar1_lognormal(rng, n, phi)
                a, b = ps.median_ci(xs), ps.serial_median_ci(xs)
                plain += a.lo <= 1000.0 <= a.hi
                serial += b is None or b.lo <= 1000.0 <= b.hi
            plain, serial = plain / trials, serial / trials
            # Independent samples: both near their stated 95%+. Spells (lag-1 correlation 0.8):
            # the plain interval covers far less than it states, the serial one most of the way back.
            self.assertLessEqual(plain, plain_at_most, (phi, plain))
            self.assertGreaterEqual(serial, serial_at_least, (phi, serial))
            self.assertGreaterEqual(serial, plain, phi)

    def test_independent_samples_pay_little_width(self):
        rng = random.Random(7)
        plain = serial = 0.0
        for _ in range(300):
            xs = lognormal(rng, 100, 0.1)
            plain += ps.median_ci(xs).relative_half_width
            serial += ps.serial_median_ci(xs).relative_half_width
        self.assertLess(serial / plain, 1.2)

    def test_the_stopping_rule_uses_the_serial_interval(self):
        drift = [1000.0 + 2 * i for i in range(40)]  # the machine drifting through the run
        # Plain: ranks (14, 27) of 40, 1026-1052 around 1039, +-1.3%. Serial: f = 6.04, the ranks
        # (1, 6) of 6 samples placed at ranks (5, 36) of 40, 1008-1070, +-3.0%.
        self.assertEqual(ps.decide(drift, 0.02, serial=False).status, ps.REACHED)
        self.assertEqual(ps.decide(drift, 0.02, serial=True).status, ps.CONTINUE)
        self.assertGreater(ps.projected_samples(drift, 0.02, serial=True), len(drift))
        self.assertEqual(ps.projected_samples(drift, 0.02, serial=False), len(drift))


class Bootstrap(unittest.TestCase):
    def test_is_seeded_and_brackets_the_median(self):
        xs = lognormal(random.Random(3), 25, 0.2)
        a, b = ps.bootstrap_median_ci(xs, seed=7), ps.bootstrap_median_ci(xs, seed=7)
        self.assertEqual(a, b)
        self.assertLessEqual(a.lo, a.median)
        self.assertGreaterEqual(a.hi, a.median)

    def test_coverage_is_near_nominal(self):
        rng = random.Random(11)
        trials, covered = 300, 0
        for t in range(trials):
            ci = ps.bootstrap_median_ci(lognormal(rng, 30, 0.3), resamples=400, seed=t)
            covered += ci.lo <= 1000.0 <= ci.hi
        self.assertTrue(0.88 <= covered / trials <= 0.99, covered / trials)


class PairedRatio(unittest.TestCase):
    def test_shared_drift_cancels_in_the_pairs(self):
        # b drifts by a factor of up to 2 from pair to pair; a is always 1.2 b, within 1%.
        rng = random.Random(5)
        b = [1000 * rng.uniform(1.0, 2.0) for _ in range(30)]
        a = [1.2 * y * rng.uniform(0.995, 1.005) for y in b]
        r = ps.paired_ratio(a, b)
        self.assertLessEqual(r.median_of_ratios.lo, 1.2)
        self.assertGreaterEqual(r.median_of_ratios.hi, 1.2)
        self.assertLess(r.median_of_ratios.relative_half_width, 0.01)
        # The ratio of medians is right too, but its bootstrap interval is not protected by pairing
        # against a point estimate that mixes different pairs: it is wider.
        self.assertAlmostEqual(r.ratio_of_medians, 1.2, delta=0.05)
        self.assertGreater(r.bootstrap.relative_half_width, r.median_of_ratios.relative_half_width)

    def test_rejects_unpaired_input(self):
        with self.assertRaises(ValueError):
            ps.paired_ratio([1, 2], [1])
        with self.assertRaises(ValueError):
            ps.paired_ratio([1], [0])


class StoppingRule(unittest.TestCase):
    def run_until_stop(self, sigma, precision, max_samples, min_samples=8, seed=1):
        rng = random.Random(seed)
        samples = []
        while True:
            samples.append(lognormal(rng, 1, sigma)[0])
            decision = ps.decide(samples, precision, min_samples=min_samples, max_samples=max_samples)
            if decision.status != ps.CONTINUE:
                return decision, len(samples)

    def test_small_spread_stops_reached_at_the_minimum(self):
        decision, n = self.run_until_stop(sigma=0.005, precision=0.05, max_samples=100)
        self.assertEqual((decision.status, n), (ps.REACHED, 8))
        self.assertLessEqual(decision.relative_half_width, 0.05)

    def test_moderate_spread_reaches_after_more_samples(self):
        decision, n = self.run_until_stop(sigma=0.15, precision=0.05, max_samples=400)
        self.assertEqual(decision.status, ps.REACHED)
        self.assertGreater(n, 8)

    def test_wide_spread_stops_on_budget(self):
        decision, n = self.run_until_stop(sigma=1.0, precision=0.02, max_samples=30)
        self.assertEqual((decision.status, n), (ps.BUDGET, 30))
        self.assertGreater(decision.relative_half_width, 0.02)

    def test_never_stops_before_the_minimum(self):
        same = [5.0] * 7
        for k in range(1, 8):
            self.assertEqual(ps.decide(same[:k], 0.05, min_samples=8, max_samples=3, budget_spent=True).status,
                             ps.CONTINUE)
        self.assertEqual(ps.decide(same + [5.0], 0.05, min_samples=8).status, ps.REACHED)
        # A minimum below 6 is raised to 6: no 95% interval exists before.
        self.assertEqual(ps.decide(same[:5], 0.05, min_samples=2).status, ps.CONTINUE)

    def test_spent_budget_stops(self):
        xs = lognormal(random.Random(2), 10, 1.0)
        self.assertEqual(ps.decide(xs, 0.05, budget_spent=True).status, ps.BUDGET)
        self.assertEqual(ps.decide(xs, 0.05).status, ps.CONTINUE)


class Allocation(unittest.TestCase):
    def test_cheap_narrow_points_get_their_need_and_the_rest_goes_where_the_variance_is(self):
        rng = random.Random(9)
        points = {
            "small_n": (lognormal(rng, 6, 0.01), 0.01),   # reached already
            "mid_n": (lognormal(rng, 6, 0.08), 0.05),
            "large_n": (lognormal(rng, 6, 0.5), 1.0),     # noisy and dear
        }
        plan = ps.allocate(points, precision=0.05, budget_s=20.0)
        self.assertEqual(plan["small_n"], 6)
        need_mid = ps.projected_samples(points["mid_n"][0], 0.05)
        self.assertEqual(plan["mid_n"], need_mid)
        spent_mid = (need_mid - 6) * 0.05
        # large_n takes what is left (its need is far above it), in whole samples.
        self.assertEqual(plan["large_n"], 6 + math.floor(20.0 - spent_mid))
        self.assertGreater(ps.projected_samples(points["large_n"][0], 0.05), plan["large_n"])

    def test_everything_fits_when_the_budget_is_large(self):
        rng = random.Random(4)
        points = {k: (lognormal(rng, 8, 0.2), 0.1) for k in "abc"}
        plan = ps.allocate(points, 0.05, budget_s=1e6)
        for k, (xs, _) in points.items():
            self.assertEqual(plan[k], ps.projected_samples(xs, 0.05))

    def test_the_minimum_always_fits(self):
        plan = ps.allocate({"a": ([1.0, 2.0], 5.0)}, 0.05, budget_s=0.0, min_samples=8)
        self.assertEqual(plan["a"], 8)


class KaliberaJones(unittest.TestCase):
    def test_more_inner_samples_when_the_outer_level_adds_little(self):
        rng = random.Random(8)
        quiet_outer = [[100 + rng.gauss(0, 0.1) + rng.gauss(0, 5) for _ in range(5)] for _ in range(40)]
        noisy_outer = [[100 + g + rng.gauss(0, 1) for _ in range(5)] for g in (rng.gauss(0, 20) for _ in range(40))]
        many = ps.optimal_inner_count(quiet_outer, cost_outer_s=1.0, cost_inner_s=0.01)
        few = ps.optimal_inner_count(noisy_outer, cost_outer_s=1.0, cost_inner_s=0.01)
        self.assertGreater(many, few)
        self.assertEqual(few, 1)


if __name__ == "__main__":
    unittest.main()
