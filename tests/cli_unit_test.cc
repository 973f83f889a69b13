// The shared command-line parser (bench/common/cli.h): typed values and their limits, lists,
// exclusive and required options, missing values, and the --help layout.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "benchmark_filter.h"
#include "cli.h"

namespace pollbench::cli {
namespace {

using pollbench::filter_matches_any;
using pollbench::nearest_family;

struct Program {
  bool quick = false;
  std::size_t count = 5;
  int cpu = -1;
  double seconds = 1.5;
  std::string path = "/";
  std::string mode = "a";
  std::vector<std::string> items{"x", "y"};
  std::vector<int> threads{1, 2};
  std::string target;
  unsigned pipeline = 1;
  double rate = 0;
  Parser parser{"prog", "A program that parses."};

  explicit Program(bool benchmark = false) {
    if (benchmark) parser.pass_benchmark_flags();
    parser.flag("--quick", quick, "fewer points");
    parser.count("--count", "N", count, 1, 100, "how many");
    parser.count("--cpu", "N", cpu, 0, 4095, "the CPU").default_is("the last allowed one");
    parser.real("--seconds", "S", seconds, 0, true, 3600, "how long");
    parser.text("--path", "PATH", path, "the path",
                [](const std::string& p) { return p[0] == '/' ? "" : "must start with '/', not '" + p + "'"; });
    parser.choice("--mode", "M", mode, {"a", "b"}, "the mode");
    parser.list("--items", items, {"x", "y", "z"}, "the items");
    parser.count_list("--threads", threads, 1, 64, "thread counts");
    parser.text("--target", "ADDR:PORT", target, "the server");
    parser.required("--target");
    parser.count("--pipeline", "D", pipeline, 1, 1024, "requests outstanding");
    parser.real("--rate", "R", rate, 0, true, 1e9, "requests per second");
    parser.exclusive("--pipeline", "--rate");
  }

  void parse(std::vector<std::string> args) {
    std::vector<const char*> argv{"prog"};
    for (const auto& a : args) argv.push_back(a.c_str());
    parser.parse(static_cast<int>(argv.size()), argv.data());
  }
};

// The message of the UsageError `args` raise, or "" when they parse.
std::string error_of(std::vector<std::string> args, bool benchmark = false) {
  Program p(benchmark);
  args.insert(args.begin(), "--target=t");
  try {
    p.parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Cli, TypedValuesInBothForms) {
  Program p;
  p.parse({"--target", "t", "--quick", "--count=7", "--cpu", "3", "--seconds=0.25", "--path", "/x", "--mode=b",
           "--items=z,x", "--threads", "8,4", "--rate", "100"});
  EXPECT_TRUE(p.quick);
  EXPECT_EQ(p.count, 7u);
  EXPECT_EQ(p.cpu, 3);
  EXPECT_DOUBLE_EQ(p.seconds, 0.25);
  EXPECT_EQ(p.path, "/x");
  EXPECT_EQ(p.mode, "b");
  EXPECT_EQ(p.items, (std::vector<std::string>{"x", "z"}));  // in the valid list's order
  EXPECT_EQ(p.threads, (std::vector<int>{8, 4}));            // as given
  EXPECT_DOUBLE_EQ(p.rate, 100);
  EXPECT_TRUE(p.parser.given("--rate"));
  EXPECT_FALSE(p.parser.given("--pipeline"));
}

TEST(Cli, DefaultsStayWhenNotGiven) {
  Program p;
  p.parse({"--target=t"});
  EXPECT_FALSE(p.quick);
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.cpu, -1);
  EXPECT_EQ(p.items, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(p.parser.help_requested());
}

TEST(Cli, TheLastOfARepeatedOptionWins) {
  Program p;
  p.parse({"--target=t", "--count=2", "--count=3"});
  EXPECT_EQ(p.count, 3u);
}

TEST(Cli, RangesNameTheOptionAndTheLimit) {
  EXPECT_EQ(error_of({"--count=0"}), "--count: 0 is below the minimum 1");
  EXPECT_EQ(error_of({"--count=101"}), "--count: 101 is above the maximum 100");
  EXPECT_EQ(error_of({"--count=99999999999999999999999"}), "--count: 99999999999999999999999 is above the maximum 100");
  EXPECT_EQ(error_of({"--count=x"}), "--count: 'x' is not a whole number (1 to 100)");
  for (const char* bad : {"-1", "1e2", "0x10", "+3", " 3", "3 ", "1.0"}) {
    EXPECT_NE(error_of({"--count", bad}).find("--count: '"), std::string::npos) << bad;
  }
  EXPECT_EQ(error_of({"--seconds=0"}), "--seconds: 0 is not above the minimum 0");
  EXPECT_EQ(error_of({"--seconds=3601"}), "--seconds: 3601 is above the maximum 3600");
  EXPECT_NE(error_of({"--seconds=nan"}).find("--seconds: 'nan' is not a number"), std::string::npos);
  EXPECT_NE(error_of({"--seconds=inf"}).find("--seconds: 'inf' is not a number"), std::string::npos);
  EXPECT_EQ(error_of({"--path=x"}), "--path: must start with '/', not 'x'");
  EXPECT_EQ(error_of({"--mode=c"}), "--mode: unknown value 'c' (valid: a, b)");
  EXPECT_EQ(error_of({"--threads=1,65"}), "--threads: 65 is above the maximum 64");
}

TEST(Cli, ListsAreCheckedAndNeverEmpty) {
  EXPECT_EQ(error_of({"--items=x,w"}), "--items: unknown value 'w' (valid: x, y, z)");
  EXPECT_EQ(error_of({"--items=,"}), "--items: needs at least one of: x, y, z");
  EXPECT_EQ(error_of({"--items="}), "--items: needs a value LIST (comma-separated, from x, y, z)");
  EXPECT_EQ(error_of({"--threads=,"}), "--threads: needs at least one whole number from 1 to 64");
  // An empty item is a typo, never skipped: herd_bench --threads 1,,2 once ran 1 and 2.
  for (const char* bad : {"--threads=1,,2", "--threads=1,", "--threads=,1"}) {
    EXPECT_NE(error_of({bad}).find("--threads: '"), std::string::npos) << bad;
    EXPECT_NE(error_of({bad}).find("has an empty item"), std::string::npos) << bad;
  }
  EXPECT_EQ(error_of({"--items=x,,y"}), "--items: 'x,,y' has an empty item (items are separated by single commas)");
  EXPECT_EQ(error_of({"--threads=1,2"}), "");
}

TEST(Cli, MissingValuesAreNamed) {
  EXPECT_EQ(error_of({"--count"}), "--count: needs a value N (1 to 100)");
  // The next option is not taken as the value.
  EXPECT_EQ(error_of({"--count", "--quick"}), "--count: needs a value N (1 to 100)");
  Program p;
  try {
    p.parse({});
    ADD_FAILURE() << "no --target accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--target ADDR:PORT is required");
  }
}

TEST(Cli, ExclusiveOptions) {
  EXPECT_EQ(error_of({"--pipeline=2", "--rate=10"}), "--pipeline and --rate exclude each other; give one");
  EXPECT_EQ(error_of({"--pipeline=2"}), "");
  EXPECT_EQ(error_of({"--rate=10"}), "");
}

TEST(Cli, UnknownOptionsAndStrayArguments) {
  EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(error_of({"--bogus=1"}), "unknown option '--bogus'");
  EXPECT_EQ(error_of({"--cou=1"}), "unknown option '--cou'");  // no abbreviations
  EXPECT_EQ(error_of({"stray"}), "unexpected argument 'stray' (options start with --)");
  EXPECT_EQ(error_of({"--quick=yes"}), "--quick: takes no value, not 'yes'");
  // Google Benchmark's flags are unknown to a program that does not pass them through.
  EXPECT_EQ(error_of({"--benchmark_filter=x"}), "unknown option '--benchmark_filter'");
}

TEST(Cli, BenchmarkFlagsPassThroughUntouched) {
  Program p(true);
  p.parse({"--target=t", "--benchmark_filter=wait/.*", "--count=3", "--benchmark_repetitions=4", "--v=2"});
  EXPECT_EQ(p.count, 3u);
  EXPECT_EQ(p.parser.benchmark_args(),
            (std::vector<std::string>{"--benchmark_filter=wait/.*", "--benchmark_repetitions=4", "--v=2"}));
  EXPECT_EQ(p.parser.benchmark_flag("--benchmark_repetitions"), "4");
  EXPECT_FALSE(p.parser.benchmark_flag("--benchmark_min_time").has_value());
  EXPECT_NE(error_of({"--benchmark_filter=["}, true).find("--benchmark_filter: not a regular expression"),
            std::string::npos);
}

// Google Benchmark's flags go through benchmark_flags.h's rulebook before it sees them: each
// bad value names the flag and what it takes.
TEST(Cli, BenchmarkFlagsFollowTheRulebook) {
  const std::vector<std::pair<std::string, std::string>> refused{
      {"--benchmark_repetitions=-1", "--benchmark_repetitions: -1 is outside 1 to 1000"},
      {"--benchmark_repetitions=0", "--benchmark_repetitions: 0 is outside 1 to 1000"},
      {"--benchmark_repetitions=x", "--benchmark_repetitions: 'x' is not a whole number (1 to 1000)"},
      {"--benchmark_repetitions", "--benchmark_repetitions: needs a value N (1 to 1000)"},
      {"--benchmark_min_time=-5", "--benchmark_min_time: -5 is outside the range (above 0, at most 86400)"},
      {"--benchmark_min_time=0", "--benchmark_min_time: 0 is outside the range (above 0, at most 86400)"},
      {"--benchmark_min_time=0.5s", "--benchmark_min_time: '0.5s' is not a number of seconds (above 0, at most 86400)"},
      {"--benchmark_min_warmup_time=-1", "--benchmark_min_warmup_time: -1 is outside the range (from 0, at most 86400)"},
      {"--benchmark_out_format=xml", "--benchmark_out_format: 'xml' is not json, console or csv"},
      {"--benchmark_format=xml", "--benchmark_format: 'xml' is not console, json or csv"},
      {"--benchmark_time_unit=h", "--benchmark_time_unit: 'h' is not ns, us, ms or s"},
      {"--benchmark_list_tests=banana", "--benchmark_list_tests: 'banana' is not true or false"},
      {"--benchmark_context=novalue", "--benchmark_context: 'novalue' is not KEY=VALUE"},
      {"--benchmark_out=", "--benchmark_out: needs a file name"},
      {"--v=-1", "--v: -1 is outside 0 to 10"},
  };
  for (const auto& [arg, message] : refused) EXPECT_EQ(error_of({arg}, true), message) << arg;
  EXPECT_EQ(error_of({"--benchmark_bogus=1"}, true).rfind("unknown Google Benchmark flag '--benchmark_bogus' (known: ", 0), 0u);
  for (const char* good : {"--benchmark_repetitions=1", "--benchmark_repetitions=1000", "--benchmark_min_time=0.01",
                           "--benchmark_min_warmup_time=0", "--benchmark_out_format=csv", "--benchmark_format=json",
                           "--benchmark_list_tests", "--benchmark_list_tests=false", "--benchmark_context=a=1,b=2",
                           "--benchmark_filter=", "--benchmark_filter=-raw", "--v=1"}) {
    EXPECT_EQ(error_of({good}, true), "") << good;
  }
}

TEST(Cli, FilterMatchesAsGoogleBenchmarkDoesAndNamesTheNearestFamily) {
  const std::vector<std::string> names{"wait/poll/socketpair/fds:1/active:1/repeats:5/manual_time",
                                       "wait/epoll_lt/socketpair/fds:1/active:1/repeats:5/manual_time",
                                       "raw/epoll/socketpair/mode:block/pos:spread/fds:1/active:1"};
  EXPECT_TRUE(filter_matches_any("epoll", names));
  EXPECT_TRUE(filter_matches_any("^raw/", names));
  EXPECT_TRUE(filter_matches_any("-wait", names));  // negated: raw/... is not matched by it
  EXPECT_FALSE(filter_matches_any("-/", names));
  EXPECT_FALSE(filter_matches_any("wiat/poll", names));
  EXPECT_EQ(nearest_family("wiat/poll", names), "wait/poll");
  EXPECT_EQ(nearest_family("wait/epol_lt", names), "wait/epoll_lt");
  EXPECT_EQ(nearest_family("^rwa", names), "raw");
  EXPECT_EQ(nearest_family("x", {}), "");
}

TEST(Cli, HelpWinsOverEverythingElse) {
  for (const char* h : {"-h", "--help"}) {
    Program p;
    p.parse({"--count=0", h, "--bogus"});
    EXPECT_TRUE(p.parser.help_requested());
  }
}

// One line of the options section: the option at column 2, its help at column 26.
std::string row(const std::string& option, const std::string& help) {
  return "  " + option + std::string(24 - option.size(), ' ') + help;
}

TEST(Cli, HelpLayout) {
  Program p(true);
  p.parser.epilog("More words.\n");
  const std::string help = p.parser.help();
  EXPECT_EQ(help.rfind("usage: prog --target=ADDR:PORT [options] [--benchmark_* flags]\nA program that parses.\n\noptions:\n", 0),
            0u)
      << help;
  EXPECT_NE(help.find(row("--count=N", "how many (1 to 100; default 5)\n")), std::string::npos) << help;
  EXPECT_NE(help.find(row("--cpu=N", "the CPU (0 to 4095; default the last allowed one)\n")), std::string::npos);
  EXPECT_NE(help.find(row("--quick", "fewer points\n")), std::string::npos);
  EXPECT_NE(help.find(row("--target=ADDR:PORT", "the server (required)\n")), std::string::npos);
  EXPECT_NE(help.find(row("-h, --help", "this text\n")), std::string::npos);
  EXPECT_NE(help.find(row("--benchmark_*", "Google Benchmark's")), std::string::npos);
  // The rulebook of Google Benchmark's flags, after the options, in the same columns.
  EXPECT_NE(help.find("\nGoogle Benchmark's flags: a value outside what each takes exits 2, naming the flag:\n"),
            std::string::npos)
      << help;
  // Too long for its column: the option on a line of its own, then what it takes.
  EXPECT_NE(help.find("  --benchmark_repetitions=N\n" + std::string(26, ' ') + "1 to 1000\n"), std::string::npos) << help;
  EXPECT_NE(help.find(row("--benchmark_format=F", "console, json or csv\n")), std::string::npos) << help;
  EXPECT_EQ(help.substr(help.size() - 12), "More words.\n");
  // Every line of the options section is an option at column 2 with its help at column 26,
  // or a continuation at column 26; none is wider than 100.
  const std::regex option_line(R"(  (-h, )?--[a-z_*][a-z0-9_*-]*(=[A-Z:]+)? +\S.*)");
  const std::string section = help.substr(help.find("options:\n") + 9, help.find("\n\n", help.find("options:")) -
                                                                             help.find("options:\n") - 9);
  std::size_t start = 0;
  while (start < section.size()) {
    const std::string line = section.substr(start, section.find('\n', start) - start);
    start += line.size() + 1;
    EXPECT_LE(line.size(), 100u) << line;
    if (line.rfind(std::string(26, ' '), 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, option_line)) << line;
    EXPECT_NE(line[26], ' ') << line;
  }
}

}  // namespace
}  // namespace pollbench::cli
