// The histogram against distributions whose percentiles are known exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "histogram.h"

namespace pollbench {
namespace {

// The exact p-th percentile by the same rank rule: the smallest sample with rank >= p% of n.
std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double p) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void expect_within_one_percent(std::uint64_t got, std::uint64_t want, const char* what) {
  const double error = std::abs(static_cast<double>(got) - static_cast<double>(want)) / std::max<double>(1, want);
  EXPECT_LE(error, 0.01) << what << ": got " << got << ", exact " << want;
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, BucketsCoverEveryValueWithinOnePercent) {
  // Every bucket's width is at most 1/128 of its lower bound, and values map into their bucket.
  for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
    const std::uint64_t low = Histogram::bucket_low(b);
    ASSERT_EQ(Histogram::bucket_of(low), b);
    if (low >= Histogram::kSubBuckets) {
      ASSERT_LE(static_cast<double>(Histogram::bucket_width(b)) / static_cast<double>(low), 1.0 / 128 + 1e-12);
      ASSERT_EQ(Histogram::bucket_of(low + Histogram::bucket_width(b) - 1), b);
    }
  }
  EXPECT_EQ(Histogram::bucket_of(UINT64_MAX), Histogram::kBuckets - 1);
}

TEST(Histogram, UniformDistribution) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> dist(1000, 1000000);
  Histogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(dist(rng));
    h.record(values.back());
  }
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    expect_within_one_percent(h.percentile(p), exact_percentile(values, p), "uniform");
  }
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
}

TEST(Histogram, LogNormalLatencyWithLongTail) {
  // Shaped like wait latencies: most near 2 us, a tail out to milliseconds.
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(std::log(2000.0), 0.8);
  Histogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(static_cast<std::uint64_t>(dist(rng)) + 1);
    h.record(values.back());
  }
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    expect_within_one_percent(h.percentile(p), exact_percentile(values, p), "lognormal");
  }
}

TEST(Histogram, BimodalPercentilesLandInTheRightMode) {
  Histogram h;
  for (int i = 0; i < 900; ++i) h.record(1000);
  for (int i = 0; i < 100; ++i) h.record(5000000);
  expect_within_one_percent(h.percentile(50), 1000, "p50");
  expect_within_one_percent(h.percentile(90), 1000, "p90");
  expect_within_one_percent(h.percentile(91), 5000000, "p91");
  EXPECT_EQ(h.percentile(100), 5000000u);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 100000; v += 7) {
    (v % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double p : {0.0, 25.0, 50.0, 99.0, 100.0}) EXPECT_EQ(a.percentile(p), all.percentile(p));
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(50), 0u);
}

TEST(Histogram, HugeValuesDoNotOverflow) {
  Histogram h;
  h.record(UINT64_MAX);
  h.record(UINT64_MAX);
  EXPECT_EQ(h.percentile(50), UINT64_MAX);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_GT(h.mean(), 1.8e19);
}

TEST(Histogram, PartsRoundTripExactly) {
  Histogram h;
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) h.record(random() >> (random() % 64));
  const Histogram copy = Histogram::from_parts(h.nonzero_buckets(), h.min(), h.max(), h.sum());
  EXPECT_TRUE(copy == h);
  for (double p : {0.0, 1.0, 50.0, 99.0, 99.9, 100.0}) EXPECT_EQ(copy.percentile(p), h.percentile(p));
  const Histogram empty = Histogram::from_parts({}, 0, 0, 0);
  EXPECT_TRUE(empty == Histogram());
}

TEST(Histogram, PartsThatCannotBeOneHistogramAreRefused) {
  Histogram h;
  h.record(1000);
  h.record(5000);
  const auto buckets = h.nonzero_buckets();
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_THROW(Histogram::from_parts({{Histogram::kBuckets, 1}}, 0, 0, 0), std::invalid_argument);
  EXPECT_THROW(Histogram::from_parts({{5, 0}}, 5, 5, 0), std::invalid_argument);
  EXPECT_THROW(Histogram::from_parts({{5, 1}, {5, 1}}, 5, 5, 10), std::invalid_argument);
  EXPECT_THROW(Histogram::from_parts(buckets, 900, 5000, 6000), std::invalid_argument);   // min elsewhere
  EXPECT_THROW(Histogram::from_parts(buckets, 1000, 9000, 6000), std::invalid_argument);  // max elsewhere
  EXPECT_THROW(Histogram::from_parts(buckets, 1000, 5000, 20000), std::invalid_argument); // sum too big
  EXPECT_THROW(Histogram::from_parts({}, 1, 0, 0), std::invalid_argument);
  EXPECT_NO_THROW(Histogram::from_parts(buckets, 1000, 5000, 6000));
}

}  // namespace
}  // namespace pollbench
