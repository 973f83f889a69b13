#include "histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pollbench {

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  const int exponent = 63 - __builtin_clzll(value);  // >= kSubBits
  const int shift = exponent - kSubBits;
  const std::uint64_t sub = (value >> shift) & (kSubBuckets - 1);
  return static_cast<std::size_t>(kSubBuckets + static_cast<std::uint64_t>(shift) * kSubBuckets + sub);
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const std::uint64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  const std::uint64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  return (kSubBuckets | sub) << shift;
}

std::uint64_t Histogram::bucket_width(std::size_t bucket) {
  if (bucket < kSubBuckets) return 1;
  return 1ULL << ((bucket - kSubBuckets) / kSubBuckets);
}

void Histogram::record(std::uint64_t value) {
  ++counts_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::vector<Histogram::Bucket> Histogram::nonzero_buckets() const {
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) out.emplace_back(i, counts_[i]);
  }
  return out;
}

Histogram Histogram::from_parts(const std::vector<Bucket>& buckets, std::uint64_t min, std::uint64_t max,
                                unsigned __int128 sum) {
  Histogram h;
  for (const auto& [index, n] : buckets) {
    if (index >= kBuckets) {
      throw std::invalid_argument("bucket " + std::to_string(index) + " is beyond the last, " +
                                  std::to_string(kBuckets - 1));
    }
    if (n == 0) throw std::invalid_argument("bucket " + std::to_string(index) + " has a zero count");
    if (h.counts_[index] != 0) throw std::invalid_argument("bucket " + std::to_string(index) + " is given twice");
    if (h.count_ + n < h.count_) throw std::invalid_argument("the counts add up beyond 2^64");
    h.counts_[index] = n;
    h.count_ += n;
  }
  if (h.count_ == 0) {
    if (min != 0 || max != 0 || sum != 0) throw std::invalid_argument("an empty histogram with a min, max or sum");
    return h;
  }
  std::size_t lo = buckets.front().first, hi = lo;
  for (const auto& b : buckets) {
    lo = std::min(lo, b.first);
    hi = std::max(hi, b.first);
  }
  if (bucket_of(min) != lo) throw std::invalid_argument("min " + std::to_string(min) + " is not in the lowest bucket");
  if (bucket_of(max) != hi) throw std::invalid_argument("max " + std::to_string(max) + " is not in the highest bucket");
  const unsigned __int128 n = h.count_;
  if (sum < n * min || sum > n * max) throw std::invalid_argument("the sum is outside count*min .. count*max");
  h.min_ = min;
  h.max_ = max;
  h.sum_ = sum;
  return h;
}

bool operator==(const Histogram& a, const Histogram& b) {
  return a.counts_ == b.counts_ && a.count_ == b.count_ && a.min() == b.min() && a.max_ == b.max_ && a.sum_ == b.sum_;
}

void Histogram::reset() { *this = Histogram(); }

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p <= 0) return min_;
  // The rank of the wanted value, 1-based: the smallest r with r >= p% of count.
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (rank >= count_) return max_;
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace pollbench
