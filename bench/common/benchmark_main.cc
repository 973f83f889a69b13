#include "benchmark_main.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

#include "benchmark_filter.h"
#include "reporters.h"
#include "timing.h"

namespace pollbench {

namespace {

// Receives Google Benchmark's listing of the registered benchmarks and runs none of them.
class NameCollector final : public benchmark::BenchmarkReporter {
 public:
  NameCollector() {
    SetOutputStream(&listing_);
    SetErrorStream(&errors_);
  }
  bool ReportContext(const Context&) override { return false; }
  void ReportRuns(const std::vector<Run>&) override {}
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    std::istringstream in(listing_.str());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }

 private:
  std::ostringstream listing_;
  std::ostringstream errors_;
};

// Every registered benchmark's full name, as --benchmark_filter is matched against it. Google
// Benchmark lists names only with --benchmark_list_tests, a flag only Initialize sets: this
// first Initialize sees that flag alone, so none of the user's flags reach it before they are
// checked, and nothing runs.
std::vector<std::string> registered_names(char* program) {
  char list_flag[] = "--benchmark_list_tests=true";
  char* args[] = {program, list_flag, nullptr};
  int count = 2;
  benchmark::Initialize(&count, args);
  NameCollector collector;
  benchmark::RunSpecifiedBenchmarks(&collector, nullptr, ".");
  return collector.names();
}

// The last --benchmark_filter value in argv, or "" when none is given.
std::string filter_of(int argc, char** argv) {
  std::string filter;
  const std::string prefix = "--benchmark_filter=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) filter = argv[i] + prefix.size();
  }
  return filter;
}

}  // namespace

int run_benchmarks(const std::string& program, int argc, char** argv, BenchmarkNames names) {
  const std::string filter = filter_of(argc, argv);
  const std::vector<std::string> registered = registered_names(argv[0]);
  if (!filter.empty() && !filter_matches_any(filter, registered)) {
    const std::string nearest = nearest_family(filter, registered);
    std::cerr << program << ": --benchmark_filter: '" << filter << "' matches none of the " << registered.size()
              << " benchmarks" << (nearest.empty() ? std::string() : "; the nearest family is " + nearest)
              << " (" << program << " --benchmark_list_tests lists them all)\n";
    return 2;
  }
  // The user's flags, after a reset of the one the listing set: a --benchmark_list_tests of the
  // user's own comes later and wins.
  std::vector<char*> args{argv[0]};
  char list_reset[] = "--benchmark_list_tests=false";
  args.push_back(list_reset);
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  Reporters reporters;
  if (names == BenchmarkNames::promised) reporters = make_reporters(count, args.data());  // before Initialize consumes the flags
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  benchmark::RunSpecifiedBenchmarks(reporters.display.get(), reporters.file.get());
  benchmark::Shutdown();
  return 0;
}

void add_clock_read_context() {
  char clock_read[32];
  std::snprintf(clock_read, sizeof clock_read, "%.1f", measure_clock_read_ns());
  benchmark::AddCustomContext("clock_read_ns", clock_read);
}

}  // namespace pollbench
