#include "reporters.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace pollbench {

namespace {

class PromisedNames final : public benchmark::BenchmarkReporter {
 public:
  explicit PromisedNames(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {}

  bool ReportContext(const Context& context) override {
    // Google Benchmark points this reporter at the --benchmark_out file; the inner one writes.
    inner_->SetOutputStream(&GetOutputStream());
    inner_->SetErrorStream(&GetErrorStream());
    return inner_->ReportContext(context);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> renamed = runs;
    for (Run& run : renamed) {
      run.run_name.min_time.clear();
      run.run_name.min_warmup_time.clear();
      run.run_name.repetitions.clear();
      run.run_name.iterations.clear();
      run.run_name.time_type.clear();
    }
    inner_->ReportRuns(renamed);
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
};

// The last value given for --<flag>=value, or `fallback`.
std::string flag_value(int argc, char** argv, const std::string& flag, const std::string& fallback) {
  std::string value = fallback;
  const std::string prefix = "--" + flag + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) value = argv[i] + prefix.size();
  }
  return value;
}

bool flag_true(const std::string& value) {
  return value == "true" || value == "1" || value == "yes" || value == "t" || value == "y";
}

std::unique_ptr<benchmark::BenchmarkReporter> make(const std::string& format, bool console_color, bool tabular) {
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (format == "csv") return std::make_unique<benchmark::CSVReporter>();
#pragma GCC diagnostic pop
  int options = benchmark::ConsoleReporter::OO_None;
  if (console_color) options |= benchmark::ConsoleReporter::OO_Color;
  if (tabular) options |= benchmark::ConsoleReporter::OO_Tabular;
  return std::make_unique<benchmark::ConsoleReporter>(static_cast<benchmark::ConsoleReporter::OutputOptions>(options));
}

}  // namespace

Reporters make_reporters(int argc, char** argv) {
  // Google Benchmark's own rules: color "auto" means a terminal that can show it.
  const std::string color = flag_value(argc, argv, "benchmark_color", "auto");
  const char* term = std::getenv("TERM");
  const bool terminal_color = ::isatty(STDOUT_FILENO) != 0 && term != nullptr && std::strcmp(term, "dumb") != 0;
  const bool use_color = color == "auto" ? terminal_color : flag_true(color);
  const bool tabular = flag_true(flag_value(argc, argv, "benchmark_counters_tabular", "false"));

  Reporters r;
  r.display = std::make_unique<PromisedNames>(make(flag_value(argc, argv, "benchmark_format", "console"), use_color, tabular));
  if (!flag_value(argc, argv, "benchmark_out", "").empty()) {
    // The file never gets color codes, as in Google Benchmark.
    r.file = std::make_unique<PromisedNames>(make(flag_value(argc, argv, "benchmark_out_format", "json"), false, tabular));
  }
  return r;
}

}  // namespace pollbench
