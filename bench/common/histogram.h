// A log-bucketed latency histogram in the manner of HdrHistogram (Debian packages no C or C++
// HdrHistogram). Values are nanoseconds. Below 128 every value has its own bucket; above, each
// power of two is split into 128 equal buckets, so a bucket spans at most 1/128 of its lower
// bound and a reported percentile (the bucket's midpoint, clamped to the observed min and max)
// is within 0.4% of the true sample: under the 1% the benchmarks promise. record() is a few
// instructions and never allocates; the whole uint64 range fits in 7,424 counters (58 KiB).
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace pollbench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSubBuckets = 1ULL << kSubBits;  // 128
  static constexpr std::size_t kBuckets = kSubBuckets + (64 - kSubBits) * kSubBuckets;

  void record(std::uint64_t value);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
  // The value at or below which p percent of the recorded values lie (p in [0, 100]);
  // 0 when nothing was recorded. percentile(0) is min(), percentile(100) is max().
  std::uint64_t percentile(double p) const;

  // The exact state, for carrying a histogram between processes (loadgen's JSON) without loss:
  // the nonzero buckets as (index, count) in index order, and the sum of every value.
  using Bucket = std::pair<std::size_t, std::uint64_t>;
  std::vector<Bucket> nonzero_buckets() const;
  unsigned __int128 sum() const { return sum_; }
  // The inverse of nonzero_buckets()/min()/max()/sum(). Throws std::invalid_argument when the
  // parts cannot come from one histogram: an index out of range, a zero count, a min or max
  // outside its bucket, a sum outside [count*min, count*max].
  static Histogram from_parts(const std::vector<Bucket>& buckets, std::uint64_t min, std::uint64_t max,
                              unsigned __int128 sum);
  friend bool operator==(const Histogram& a, const Histogram& b);

  // Bucket arithmetic, public for the unit tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t bucket);
  static std::uint64_t bucket_width(std::size_t bucket);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace pollbench
