// loadgen merge: one run's samples split into k parts and merged give that run's report
// exactly; reports that do not belong together are refused. Also the histogram's JSON and
// --start-at's parsing.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "merge.h"
#include "options.h"
#include "stats.h"

namespace pollbench::loadgen {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kStartedAt = 1'800'000'000'123'456'789;

RunInfo closed_loop_info() {
  RunInfo info;
  info.target = "10.200.0.1:8080";
  info.mode = "closed_loop";
  info.pipeline = 4;
  info.latency_from = "send";
  info.threads = 2;
  info.requested_active = 10;
  info.duration_s = 2.5;
  info.requested_duration_s = 2.5;
  info.start_at_unix_ns = kStartedAt - 1000;
  info.started_at_unix_ns = kStartedAt;
  return info;
}

Json report_json(const RunInfo& info, const WorkerStats& stats) { return Json::parse(to_json(info, stats)); }

// Latencies from 1 us to about 1 s, spread over many buckets, with a long tail.
std::vector<std::uint64_t> samples(std::size_t n) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency(12.0, 1.5);
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint64_t>(latency(random)) + 1000);
  return out;
}

TEST(Merge, SplitRunMergesBackExactly) {
  const std::vector<std::uint64_t> all = samples(50000);
  for (std::size_t k : {2u, 3u, 7u}) {
    WorkerStats whole;
    std::vector<WorkerStats> parts(k);
    std::mt19937 pick(static_cast<unsigned>(k));
    for (std::uint64_t v : all) {
      WorkerStats& part = parts[pick() % k];
      for (WorkerStats* s : {&whole, &part}) {
        s->latency_ns.record(v);
        ++s->requests;
        s->bytes_read += 80;
      }
    }
    std::vector<MergeInput> inputs;
    for (std::size_t i = 0; i < k; ++i) {
      parts[i].errors.add(ErrorKind::timeout, i);
      parts[i].errors.add(ErrorKind::reset, 1);
      whole.errors.add(ErrorKind::timeout, i);
      whole.errors.add(ErrorKind::reset, 1);
      inputs.push_back({"part" + std::to_string(i), report_json(closed_loop_info(), parts[i])});
    }
    const Json merged = Json::parse(merge_reports(inputs, -1).dump());
    const Json expected = report_json(closed_loop_info(), whole);
    // Every percentile, not only those in the report.
    const Histogram h = histogram_from_json(merged["latency_histogram"]);
    for (double p = 0; p <= 100; p += 0.1) ASSERT_EQ(h.percentile(p), whole.latency_ns.percentile(p)) << "p" << p;
    EXPECT_TRUE(h == whole.latency_ns);
    EXPECT_EQ(merged["latency_ns"], expected["latency_ns"]);
    EXPECT_EQ(merged["latency_histogram"], expected["latency_histogram"]);
    EXPECT_EQ(merged["requests"], all.size());
    EXPECT_EQ(merged["bytes_read"], expected["bytes_read"]);
    EXPECT_EQ(merged["errors"], expected["errors"]);
    EXPECT_EQ(merged["errors_total"], whole.errors.total());
    // The parts share one window: the union is that window, and the rate is the run's.
    EXPECT_DOUBLE_EQ(merged["duration_s"].get<double>(), 2.5);
    EXPECT_DOUBLE_EQ(merged["requests_per_sec"].get<double>(), expected["requests_per_sec"].get<double>());
    EXPECT_EQ(merged["threads"], 2 * k);
    EXPECT_EQ(merged["connections"]["requested_active"], 10 * k);
    EXPECT_EQ(merged["merged"]["inputs"], k);
    EXPECT_EQ(merged["merged"]["start_skew_ns"], 0);
    EXPECT_EQ(merged["merged"]["agents"][0]["late_ns"], 1000);
  }
}

TEST(Merge, DurationIsTheUnionWindowAndSkewIsShown) {
  WorkerStats stats;
  stats.latency_ns.record(5000);
  stats.requests = 1;
  RunInfo early = closed_loop_info(), late = closed_loop_info();
  late.started_at_unix_ns += 300'000'000;  // 0.3 s later, same 2.5 s long
  const Json merged = Json::parse(
      merge_reports({{"early", report_json(early, stats)}, {"late", report_json(late, stats)}}, 0.1).dump());
  EXPECT_DOUBLE_EQ(merged["duration_s"].get<double>(), 2.8);
  EXPECT_EQ(merged["merged"]["start_skew_ns"], 300'000'000);
  EXPECT_EQ(merged["merged"]["skew_over_limit"], true);
  EXPECT_EQ(merged["merged"]["agents"][1]["start_offset_ns"], 300'000'000);
  EXPECT_NE(merge_summary(merge_reports({{"early", report_json(early, stats)}, {"late", report_json(late, stats)}}, 0.1))
                .find("OVER THE LIMIT"),
            std::string::npos);
}

TEST(Merge, OpenLoopRatesAdd) {
  WorkerStats stats;
  stats.latency_ns.record(5000);
  RunInfo info = closed_loop_info();
  info.mode = "open_loop";
  info.latency_from = "intended_send";
  info.rate = 1000.0 / 3;
  const Json one = report_json(info, stats);
  EXPECT_EQ(one["schedule"]["rate_per_s"], 1000.0 / 3);
  const Json merged = Json::parse(merge_reports({{"a", one}, {"b", one}, {"c", one}}, -1).dump());
  EXPECT_NEAR(merged["rate"].get<double>(), 1000.0, 1e-9);
  EXPECT_NEAR(merged["schedule"]["rate_per_s"].get<double>(), 1000.0, 1e-9);
}

// Merging `changed` with an untouched report must throw a MergeError naming `what`.
void expect_refused(const Json& changed, const std::string& what) {
  WorkerStats stats;
  stats.latency_ns.record(5000);
  const Json base = report_json(closed_loop_info(), stats);
  try {
    merge_reports({{"base", base}, {"changed", changed}}, -1);
    ADD_FAILURE() << "merged despite a different " << what;
  } catch (const MergeError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(Merge, RefusesReportsThatDoNotBelongTogether) {
  WorkerStats stats;
  stats.latency_ns.record(5000);
  const Json base = report_json(closed_loop_info(), stats);
  Json j = base;
  j["target"] = "10.200.0.1:8081";
  expect_refused(j, "target");
  j = base;
  j["schedule"]["pipeline"] = 8;
  expect_refused(j, "schedule.pipeline");
  j = base;
  j["schedule"]["start_at_unix_ns"] = nullptr;
  expect_refused(j, "schedule.start_at_unix_ns");
  j = base;
  j["schedule"]["duration_s"] = 10;
  expect_refused(j, "schedule.duration_s");
  j = base;
  j["mode"] = "open_loop";
  expect_refused(j, "mode");
  j = base;
  j["latency_histogram"]["layout"]["sub_bucket_bits"] = 8;
  expect_refused(j, "layout");
  j = base;
  j.erase("latency_histogram");
  expect_refused(j, "latency_histogram");
  j = base;
  j["latency_histogram"]["buckets"] = "796:2";  // the count no longer adds up
  expect_refused(j, "count");
  for (const char* bad : {"796", "796:1 ", "796:1  797:1", "x:1", "796:-1", "796:1,797:1", "9999999:1"}) {
    j = base;
    j["latency_histogram"]["buckets"] = bad;
    expect_refused(j, "bucket");
  }
}

TEST(HistogramJson, RoundTripsIncludingASumBeyond64Bits) {
  Histogram h;
  for (int i = 0; i < 4; ++i) h.record(UINT64_MAX - static_cast<std::uint64_t>(i));
  const nlohmann::ordered_json j = histogram_to_json(h);
  EXPECT_TRUE(j["sum"].is_string());
  EXPECT_EQ(j["buckets"], std::to_string(Histogram::bucket_of(UINT64_MAX)) + ":4");
  EXPECT_TRUE(histogram_from_json(Json::parse(j.dump())) == h);
  EXPECT_TRUE(histogram_from_json(Json::parse(histogram_to_json(Histogram()).dump())) == Histogram());
}

TEST(StartAt, ParsesSecondsAndFractionToTheNanosecond) {
  EXPECT_EQ(parse_unix_instant("1800000000"), 1'800'000'000'000'000'000);
  EXPECT_EQ(parse_unix_instant("1800000000.5"), 1'800'000'000'500'000'000);
  EXPECT_EQ(parse_unix_instant("1800000000.000000001"), 1'800'000'000'000'000'001);
  for (const char* bad : {"", ".5", "1800000000.", "1800000000.0000000001", "-5", "1e9", "now", "18 00"}) {
    EXPECT_THROW(parse_unix_instant(bad), cli::UsageError) << bad;
  }
}

}  // namespace
}  // namespace pollbench::loadgen
