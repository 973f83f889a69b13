#include "merge.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "histogram.h"
#include "stats.h"

namespace pollbench::loadgen {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr const char* kMergeUsage = "usage: loadgen merge [--max-skew SECONDS] FILE.json FILE.json ...";

// The keys a report must have to be merged (a loadgen without merge support lacks the last).
constexpr const char* kRequiredKeys[] = {"target",   "mode",       "latency_from",       "requests",
                                         "errors",   "duration_s", "started_at_unix_ns", "schedule",
                                         "latency_histogram"};

// Schedule fields every input must share: what sets each request's intended send time (open
// loop) or how many are outstanding (closed loop), and the window. Threads and connections may
// differ per host.
constexpr const char* kScheduleKeys[] = {"kind", "duration_s", "pipeline", "rate_per_s", "start_at_unix_ns"};

void check_compatible(const MergeInput& first, const MergeInput& other) {
  for (const char* key : kRequiredKeys) {
    if (!other.report.contains(key)) {
      throw MergeError(other.label + " has no \"" + key +
                       "\": not a loadgen report, or one from a loadgen that cannot be merged");
    }
  }
  for (const char* key : {"target", "mode", "latency_from"}) {
    if (other.report.at(key) != first.report.at(key)) {
      throw MergeError("refusing to merge: " + other.label + " has " + key + " " + other.report.at(key).dump() + ", " +
                       first.label + " has " + first.report.at(key).dump() + "; a merged load has one " + key);
    }
  }
  if (!other.report.at("schedule").is_object()) throw MergeError(other.label + ": \"schedule\" is not an object");
  const Json& mine = first.report.at("schedule");
  const Json& theirs = other.report.at("schedule");
  for (const char* key : kScheduleKeys) {
    const Json a = mine.is_object() && mine.contains(key) ? mine.at(key) : Json();
    const Json b = theirs.is_object() && theirs.contains(key) ? theirs.at(key) : Json();
    if (a != b) {
      throw MergeError("refusing to merge different schedules: " + other.label + " has schedule." + key + " " +
                       b.dump() + ", " + first.label + " has " + a.dump());
    }
  }
}

Histogram histogram_of(const MergeInput& input) {
  try {
    return histogram_from_json(input.report.at("latency_histogram"));
  } catch (const std::invalid_argument& e) {
    throw MergeError("refusing to merge " + input.label + ": " + e.what());
  }
}

std::uint64_t u64(const Json& j) { return j.is_number() ? j.get<std::uint64_t>() : 0; }
std::int64_t i64(const Json& j) { return j.is_number() ? j.get<std::int64_t>() : 0; }
double real(const Json& j) { return j.is_number() ? j.get<double>() : 0.0; }

// The window from the earliest start to the latest end, each read on its own host's clock.
struct Window {
  std::int64_t start_ns = 0, end_ns = 0;
  bool any = false;
  void add(const Json& report) {
    const std::int64_t start = i64(report.at("started_at_unix_ns"));
    if (start == 0) return;  // its requests never began
    const auto end = start + static_cast<std::int64_t>(real(report.at("duration_s")) * 1e9);
    start_ns = any ? std::min(start_ns, start) : start;
    end_ns = any ? std::max(end_ns, end) : end;
    any = true;
  }
  double seconds() const { return any ? static_cast<double>(end_ns - start_ns) / 1e9 : 0.0; }
};

OrderedJson agent_entry(const MergeInput& input, const Histogram& h, std::int64_t earliest_ns) {
  const Json& r = input.report;
  const std::int64_t started = i64(r.at("started_at_unix_ns"));
  const std::int64_t start_at = i64(r.at("schedule").value("start_at_unix_ns", Json()));
  OrderedJson entry;
  entry["label"] = input.label;
  entry["requests"] = u64(r.at("requests"));
  entry["requests_per_sec"] = real(r.value("requests_per_sec", Json()));
  entry["errors_total"] = u64(r.value("errors_total", Json()));
  entry["duration_s"] = real(r.at("duration_s"));
  entry["connections"] = r.value("connections", Json());
  entry["started_at_unix_ns"] = started != 0 ? OrderedJson(started) : OrderedJson(nullptr);
  entry["start_offset_ns"] = started != 0 ? OrderedJson(started - earliest_ns) : OrderedJson(nullptr);
  entry["late_ns"] = started != 0 && start_at != 0 ? OrderedJson(started - start_at) : OrderedJson(nullptr);
  entry["latency_ns"] = latency_json(h);
  return entry;
}

// Counts that add: requests, bytes, reconnects, errors by kind, connections, threads.
void add_counts(OrderedJson& out, const Json& r) {
  for (const char* key : {"requests", "bytes_read", "reconnects", "errors_total", "threads"}) {
    out[key] = u64(out.value(key, OrderedJson(0))) + u64(r.value(key, Json(0)));
  }
  for (const auto& [kind, n] : r.at("errors").items()) out["errors"][kind] = u64(out["errors"].value(kind, OrderedJson(0))) + u64(n);
  const Json connections = r.value("connections", Json::object());
  for (const auto& [key, n] : connections.items()) {
    out["connections"][key] = u64(out["connections"].value(key, OrderedJson(0))) + u64(n);
  }
  for (const auto& source : r.value("sources", Json::array())) {
    const OrderedJson s = source.is_string() ? OrderedJson(source.get<std::string>()) : OrderedJson(source.dump());
    if (std::find(out["sources"].begin(), out["sources"].end(), s) == out["sources"].end()) out["sources"].push_back(s);
  }
  out["connect_s"] = std::max(real(out.value("connect_s", OrderedJson(0.0))), real(r.value("connect_s", Json(0.0))));
  out["interrupted"] = out.value("interrupted", false) || r.value("interrupted", false);
  if (out.value("first_error", OrderedJson()).is_null() && r.contains("first_error")) out["first_error"] = r.at("first_error");
}

// Fields of one report copied as they are (every input has the same).
OrderedJson shared_fields(const Json& first, std::size_t inputs) {
  OrderedJson out;
  out["target"] = first.at("target");
  out["mode"] = first.at("mode");
  out["pipeline"] = first.value("pipeline", Json());
  const double rate = real(first.value("rate", Json()));
  // Open loop: each host's rate is its share; the load is their sum.
  out["rate"] = first.value("rate", Json()).is_null() ? OrderedJson(nullptr) : OrderedJson(rate * static_cast<double>(inputs));
  out["latency_from"] = first.at("latency_from");
  out["threads"] = 0;
  out["sources"] = OrderedJson::array();
  out["connections"] = OrderedJson::object();
  out["connect_s"] = 0.0;
  out["duration_s"] = 0.0;
  out["requests"] = 0;
  out["requests_per_sec"] = 0.0;
  out["bytes_read"] = 0;
  out["latency_ns"] = OrderedJson::object();
  out["errors"] = OrderedJson::object();
  out["errors_total"] = 0;
  out["first_error"] = nullptr;
  out["reconnects"] = 0;
  out["interrupted"] = false;
  return out;
}

}  // namespace

OrderedJson merge_reports(const std::vector<MergeInput>& inputs, double max_skew_s) {
  if (inputs.empty()) throw MergeError("nothing to merge");
  Histogram total;
  std::vector<Histogram> histograms;
  Window window;
  for (const auto& input : inputs) {
    if (!input.report.is_object()) throw MergeError(input.label + " is not a JSON object");
    check_compatible(inputs.front(), input);
    histograms.push_back(histogram_of(input));
    total.merge(histograms.back());
    window.add(input.report);
  }
  const Json& first = inputs.front().report;
  OrderedJson out = shared_fields(first, inputs.size());
  for (const auto& input : inputs) add_counts(out, input.report);
  out["duration_s"] = window.seconds();
  out["requests_per_sec"] = window.seconds() > 0 ? static_cast<double>(u64(out["requests"])) / window.seconds() : 0.0;
  out["latency_ns"] = latency_json(total);
  out["start_at_unix_ns"] = first.at("schedule").value("start_at_unix_ns", Json());
  out["started_at_unix_ns"] = window.any ? OrderedJson(window.start_ns) : OrderedJson(nullptr);
  OrderedJson schedule = first.at("schedule");
  if (schedule.contains("rate_per_s")) schedule["rate_per_s"] = out["rate"];
  schedule.erase("threads");
  schedule.erase("active");
  out["schedule"] = std::move(schedule);
  out["latency_histogram"] = histogram_to_json(total);

  OrderedJson agents = OrderedJson::array();
  std::int64_t latest = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    agents.push_back(agent_entry(inputs[i], histograms[i], window.start_ns));
    latest = std::max(latest, i64(inputs[i].report.at("started_at_unix_ns")));
  }
  const std::int64_t skew = window.any ? latest - window.start_ns : 0;
  out["merged"] = {{"inputs", inputs.size()},
                   {"duration_is", "the union of the inputs' windows: earliest start to latest end, each on its "
                                   "own host's clock"},
                   {"start_skew_ns", skew},
                   {"max_skew_ns", max_skew_s < 0 ? OrderedJson(nullptr) : OrderedJson(std::int64_t(max_skew_s * 1e9))},
                   {"skew_over_limit", max_skew_s >= 0 && static_cast<double>(skew) > max_skew_s * 1e9},
                   {"agents", std::move(agents)}};
  return out;
}

std::string merge_summary(const OrderedJson& merged) {
  std::ostringstream text;
  char line[256];
  const auto& m = merged.at("merged");
  text << "loadgen merge: " << m.at("inputs").get<std::size_t>() << " report(s), target "
       << merged.at("target").get<std::string>() << ", " << merged.at("mode").get<std::string>() << "\n";
  std::snprintf(line, sizeof line, "  %-24s %12s %12s %8s %14s %12s %12s\n", "agent", "requests", "req/s", "errors",
                "start offset", "p50 ns", "p99 ns");
  text << line;
  auto row = [&](const std::string& label, const OrderedJson& j, const OrderedJson& offset) {
    const std::string off = offset.is_null() ? "-" : std::to_string(offset.get<std::int64_t>() / 1000) + " us";
    std::snprintf(line, sizeof line, "  %-24.24s %12llu %12.1f %8llu %14s %12llu %12llu\n", label.c_str(),
                  static_cast<unsigned long long>(u64(j.at("requests"))), real(j.at("requests_per_sec")),
                  static_cast<unsigned long long>(u64(j.at("errors_total"))), off.c_str(),
                  static_cast<unsigned long long>(u64(j.at("latency_ns").at("p50"))),
                  static_cast<unsigned long long>(u64(j.at("latency_ns").at("p99"))));
    text << line;
  };
  for (const auto& a : m.at("agents")) row(a.at("label").get<std::string>(), a, a.at("start_offset_ns"));
  row("total (merged histogram)", merged, OrderedJson(nullptr));
  std::snprintf(line, sizeof line, "  start skew %.3f ms", static_cast<double>(i64(m.at("start_skew_ns"))) / 1e6);
  text << line;
  if (!m.at("max_skew_ns").is_null()) {
    std::snprintf(line, sizeof line, " (limit %.3f ms)", static_cast<double>(i64(m.at("max_skew_ns"))) / 1e6);
    text << line;
  }
  if (m.at("skew_over_limit").get<bool>()) text << ": OVER THE LIMIT, the agents' windows do not coincide";
  text << "; window " << real(merged.at("duration_s")) << " s\n";
  return text.str();
}

namespace {

int merge_usage_error(const std::string& message) {
  std::fprintf(stderr, "loadgen merge: %s\n%s\n", message.c_str(), kMergeUsage);
  return 2;
}

MergeInput read_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MergeError("cannot read " + path);
  MergeInput input;
  const auto slash = path.rfind('/');
  input.label = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (input.label.size() > 5 && input.label.ends_with(".json")) input.label.resize(input.label.size() - 5);
  try {
    input.report = Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw MergeError(path + " is not JSON: " + e.what());
  }
  return input;
}

}  // namespace

int merge_main(int argc, const char* const* argv) {
  double max_skew_s = -1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kMergeUsage << "\n\nMerges loadgen reports (one per client host, same target and schedule) into one:\n"
                   "counts add, percentiles come from the summed histogram, duration_s is the union window.\n"
                   "--max-skew SECONDS flags start instants further apart than that. JSON on stdout, a table\n"
                   "on stderr. Exit 2 when the inputs differ in target, mode, schedule or bucket layout.\n";
      return 0;
    }
    try {
      if (arg == "--max-skew" && i + 1 < argc) {
        max_skew_s = cli::parse_real("--max-skew", argv[++i], 0, false, 3600);
      } else if (arg.starts_with("--max-skew=")) {
        max_skew_s = cli::parse_real("--max-skew", arg.substr(11), 0, false, 3600);
      } else if (arg.starts_with("-")) {
        return merge_usage_error("unknown option '" + arg + "'");
      } else {
        files.push_back(arg);
      }
    } catch (const cli::UsageError& e) {
      return merge_usage_error(e.what());
    }
  }
  if (files.empty()) return merge_usage_error("no reports to merge");
  try {
    std::vector<MergeInput> inputs;
    for (const auto& f : files) inputs.push_back(read_report(f));
    const OrderedJson merged = merge_reports(inputs, max_skew_s);
    std::cout << merged.dump(2, ' ', false, OrderedJson::error_handler_t::replace) << "\n";
    std::cerr << merge_summary(merged);
  } catch (const MergeError& e) {
    std::fprintf(stderr, "loadgen merge: %s\n", e.what());
    return 2;
  } catch (const Json::exception& e) {  // a field of the wrong type
    std::fprintf(stderr, "loadgen merge: a report is malformed: %s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace pollbench::loadgen
