#include "benchmark_flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "benchmark_filter.h"

namespace pollbench {

namespace {

constexpr int kMaxRepetitions = 1000;
constexpr double kMaxSeconds = 86400;  // a day: a min time beyond it is a typo

using Check = std::function<std::string(const std::string& value)>;

struct Rule {
  const char* flag;   // "--benchmark_repetitions"
  const char* value;  // "N"; "" for a flag that takes true/false or nothing
  const char* takes;  // what --help and the messages say it takes
  Check check;        // "" when the value is good, otherwise why not
};

std::string one_of(const std::string& value, std::initializer_list<const char*> valid, const char* takes) {
  for (const char* v : valid) {
    if (value == v) return "";
  }
  return "'" + value + "' is not " + takes;
}

std::string whole(const std::string& value, long long min, long long max) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size()) {
    return "'" + value + "' is not a whole number (" + range + ")";
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) return value + " is outside " + range;
  return "";
}

std::string seconds(const std::string& value, bool zero_allowed) {
  double s = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
  const std::string range = std::string(zero_allowed ? "from 0" : "above 0") + ", at most " + std::to_string(static_cast<int>(kMaxSeconds));
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !std::isfinite(s)) {
    return "'" + value + "' is not a number of seconds (" + range + ")";
  }
  if (s < 0 || (s == 0 && !zero_allowed) || s > kMaxSeconds) return value + " is outside the range (" + range + ")";
  return "";
}

std::string key_values(const std::string& value) {
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    const std::string item = value.substr(start, comma - start);
    if (item.find('=') == std::string::npos || item.front() == '=') return "'" + item + "' is not KEY=VALUE";
    start = comma + 1;
  }
  return "";
}

const char* const kBoolTakes = "true or false (nothing: true)";
std::string boolean(const std::string& value) {
  return one_of(value, {"true", "false", "yes", "no", "1", "0"}, "true or false");
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> all{
      {"--benchmark_filter", "REGEX",
       "an extended regular expression ('-' first: the benchmarks it does not match); it must match at least one "
       "benchmark",
       [](const std::string& v) { return benchmark_filter_error(v); }},
      {"--benchmark_list_tests", "", kBoolTakes, boolean},
      {"--benchmark_repetitions", "N", "1 to 1000", [](const std::string& v) { return whole(v, 1, kMaxRepetitions); }},
      {"--benchmark_min_time", "S", "seconds, above 0, at most 86400",
       [](const std::string& v) { return seconds(v, false); }},
      {"--benchmark_min_warmup_time", "S", "seconds, from 0, at most 86400",
       [](const std::string& v) { return seconds(v, true); }},
      {"--benchmark_format", "F", "console, json or csv",
       [](const std::string& v) { return one_of(v, {"console", "json", "csv"}, "console, json or csv"); }},
      {"--benchmark_out", "FILE", "a file name (not empty)",
       [](const std::string& v) { return v.empty() ? std::string("needs a file name") : std::string(); }},
      {"--benchmark_out_format", "F", "json, console or csv",
       [](const std::string& v) { return one_of(v, {"json", "console", "csv"}, "json, console or csv"); }},
      {"--benchmark_color", "C", "auto, true or false",
       [](const std::string& v) { return one_of(v, {"auto", "true", "false", "yes", "no", "1", "0"}, "auto, true or false"); }},
      {"--benchmark_counters_tabular", "", kBoolTakes, boolean},
      {"--benchmark_report_aggregates_only", "", kBoolTakes, boolean},
      {"--benchmark_display_aggregates_only", "", kBoolTakes, boolean},
      {"--benchmark_enable_random_interleaving", "", kBoolTakes, boolean},
      {"--benchmark_time_unit", "U", "ns, us, ms or s",
       [](const std::string& v) { return one_of(v, {"ns", "us", "ms", "s"}, "ns, us, ms or s"); }},
      {"--benchmark_context", "K=V,...", "KEY=VALUE pairs, comma-separated, added to the results' context", key_values},
      {"--benchmark_perf_counters", "LIST", "performance counter names, comma-separated (needs libpfm)",
       [](const std::string&) { return std::string(); }},
      {"--v", "N", "Google Benchmark's log verbosity, 0 to 10", [](const std::string& v) { return whole(v, 0, 10); }},
  };
  return all;
}

}  // namespace

std::string benchmark_flag_error(const std::string& arg) {
  const std::size_t eq = arg.find('=');
  const std::string flag = arg.substr(0, eq);
  const auto rule = std::find_if(rules().begin(), rules().end(), [&](const Rule& r) { return flag == r.flag; });
  if (rule == rules().end()) {
    std::string known;
    for (const Rule& r : rules()) known += (known.empty() ? "" : ", ") + std::string(r.flag);
    return "unknown Google Benchmark flag '" + flag + "' (known: " + known + ")";
  }
  const bool takes_value = rule->value[0] != '\0';
  if (eq == std::string::npos) return takes_value ? flag + ": needs a value " + rule->value + " (" + rule->takes + ")" : "";
  const std::string why = rule->check(arg.substr(eq + 1));
  if (why.empty()) return "";
  if (flag == "--benchmark_filter") return flag + ": not a regular expression: '" + arg.substr(eq + 1) + "' (" + why + ")";
  return flag + ": " + why;
}

const std::vector<std::pair<std::string, std::string>>& benchmark_flag_rules() {
  static const std::vector<std::pair<std::string, std::string>> out = [] {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const Rule& r : rules()) {
      lines.emplace_back(std::string(r.flag) + (r.value[0] != '\0' ? "=" + std::string(r.value) : ""), r.takes);
    }
    return lines;
  }();
  return out;
}

UserBenchmarkFlags user_benchmark_flags(const std::vector<std::string>& args) {
  UserBenchmarkFlags user;
  for (const std::string& arg : args) {
    if (arg.rfind("--benchmark_min_time=", 0) == 0) user.min_time = true;
    if (arg.rfind("--benchmark_repetitions=", 0) == 0) user.repetitions = std::atoi(arg.c_str() + arg.find('=') + 1);
  }
  return user;
}

}  // namespace pollbench
