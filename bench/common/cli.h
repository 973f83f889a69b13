// The one command-line parser of every pollbench program: the same --help layout, typed values
// checked against their limits, lists checked against their valid values, exclusive options,
// and exit 2 with a message naming the bad option.
//
// CLI11 (Debian libcli11-dev) walks argv: "--name=value" and "--name value", -h/--help,
// unknown options. This layer adds what CLI11 2.1 does not give in the form we want: messages
// that name the option and its limit ("--port: 70000 is above the maximum 65535"), strict whole
// numbers (CLI11 would also take 0x10 and 1e3), one help layout for every program, and Google
// Benchmark's own flags passed through untouched. CLI11 rather than getopt_long: getopt_long
// takes any unambiguous abbreviation (--conn for --connections) and knows nothing of values,
// so every program would again carry its own number parsing; CLI11 is in Debian and
// header-only, and parses exactly the names given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pollbench::cli {

// A bad command line. Parser::parse_or_exit prints it and exits 2; main may throw it too for
// a problem found after parsing (a file that cannot be written, a CPU that is not allowed).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<program>: <message>", the usage line and a pointer to --help, on stderr: every program's
// usage error looks like this (exit 2 is the caller's).
void print_usage_error(const std::string& program, const std::string& usage_line, const std::string& message);

// `text` as a whole number in [min, max] (decimal digits only), or UsageError naming `option`.
std::uint64_t parse_whole(const std::string& option, const std::string& text, std::uint64_t min, std::uint64_t max);
// `text` as a finite number above `min` (above_min) or from `min`, at most `max`.
double parse_real(const std::string& option, const std::string& text, double min, bool above_min, double max);

// What one option shows in --help; returned by the add functions so the caller can say what
// the default is when it is not simply the target's value.
struct OptionInfo {
  std::string name;        // "--max-fds"
  std::string value_name;  // "N"; empty for a flag
  std::string help;
  std::string limits;      // "1 to 64"; "one of a, b" for choices
  std::string default_text;
  bool required = false;

  OptionInfo& default_is(std::string text) {
    default_text = std::move(text);
    return *this;
  }
};

class Parser {
 public:
  // `description` is the one line under the usage line.
  Parser(std::string program, std::string description);
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Text after the options in --help (families, output keys, exit status).
  void epilog(std::string text) { epilog_ = std::move(text); }
  // --benchmark_* (and --v) are Google Benchmark's: kept for benchmark::Initialize, and named
  // in the usage line. A --benchmark_filter that is not a regular expression is a usage error.
  void pass_benchmark_flags() { benchmark_flags_ = true; }

  OptionInfo& flag(const std::string& name, bool& target, const std::string& help);
  // A whole number in [min, max].
  template <typename Int>
  OptionInfo& count(const std::string& name, const std::string& value_name, Int& target, std::uint64_t min,
                    std::uint64_t max, const std::string& help) {
    return add(
        name, value_name, help,
        [&target, name, min, max](const std::string& text) { target = static_cast<Int>(parse_whole(name, text, min, max)); },
        std::to_string(min) + " to " + std::to_string(max), std::to_string(target));
  }
  // A finite number above `min` (above_min) or from `min`, at most `max`.
  OptionInfo& real(const std::string& name, const std::string& value_name, double& target, double min, bool above_min,
                   double max, const std::string& help);
  // Any non-empty text; `check` returns why the value is refused, or "".
  OptionInfo& text(const std::string& name, const std::string& value_name, std::string& target, const std::string& help,
                   std::function<std::string(const std::string&)> check = {});
  // One of `valid`.
  OptionInfo& choice(const std::string& name, const std::string& value_name, std::string& target,
                     std::vector<std::string> valid, const std::string& help);
  // A comma-separated list, each item one of `valid`; empty is an error. The target holds the
  // items in the order `valid` lists them, without repeats.
  OptionInfo& list(const std::string& name, std::vector<std::string>& target, std::vector<std::string> valid,
                   const std::string& help);
  // A comma-separated list of whole numbers in [min, max], in the order given.
  OptionInfo& count_list(const std::string& name, std::vector<int>& target, int min, int max, const std::string& help);

  void required(const std::string& name);
  // Giving both is a usage error.
  void exclusive(const std::string& a, const std::string& b);

  // Parses argv[1..]; throws UsageError. Afterwards help_requested(), given() and
  // benchmark_args() say what was there.
  void parse(int argc, const char* const* argv);
  // Parses; on --help prints help() on stdout and exits 0, on a usage error prints it and
  // exits 2. With pass_benchmark_flags, argc/argv are left holding argv[0] and the Google
  // Benchmark flags, ready for benchmark::Initialize.
  void parse_or_exit(int& argc, char** argv);

  bool help_requested() const { return help_requested_; }
  bool given(const std::string& name) const;
  const std::vector<std::string>& benchmark_args() const { return benchmark_args_; }
  // The value of a Google Benchmark flag passed through ("" for a bare flag), if given.
  std::optional<std::string> benchmark_flag(const std::string& name) const;
  std::string usage_line() const;
  std::string help() const;
  // Prints "<program>: <message>", the usage line and a pointer to --help on stderr; exits 2.
  [[noreturn]] void fail(const std::string& message) const;
  // The same, for main's own catch of a UsageError thrown after parsing.
  void print_error(const std::string& message) const;

 private:
  struct Value;
  OptionInfo& add(const std::string& name, const std::string& value_name, const std::string& help,
                  std::function<void(const std::string&)> convert, std::string limits, std::string default_text);

  std::string program_;
  std::string description_;
  std::string epilog_;
  bool benchmark_flags_ = false;
  bool help_requested_ = false;
  std::unique_ptr<CLI::App> app_;
  std::vector<std::unique_ptr<Value>> values_;  // in the order added, as --help lists them
  std::vector<std::pair<std::string, std::string>> exclusive_;
  std::vector<std::string> benchmark_args_;
};

// The names of the backends this build knows (the registry's order), for list().
std::vector<std::string> backend_names();
// "a, b, c"
std::string joined(const std::vector<std::string>& items);

}  // namespace pollbench::cli
