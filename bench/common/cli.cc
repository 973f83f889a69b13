#include "cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "benchmark_flags.h"
#include "poller.h"

namespace pollbench::cli {

namespace {

// --help's columns: the option and its value name, then the help from this column on, the
// lines wrapped to stay within kWidth.
constexpr std::size_t kHelpColumn = 26;
constexpr std::size_t kWidth = 100;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The items of a comma-separated list; an empty one ("1,,2", ",1", "1,") is a usage error.
std::vector<std::string> split_commas(const std::string& option, const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  if (std::find(out.begin(), out.end(), "") != out.end()) {
    throw UsageError(option + ": '" + text + "' has an empty item (items are separated by single commas)");
  }
  return out;
}

// `text` wrapped to lines of at most `width` characters, at spaces.
std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::stringstream in(text);
  for (std::string word; in >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

bool is_benchmark_flag(const std::string& arg) {
  return arg.rfind("--benchmark_", 0) == 0 || arg == "--v" || arg.rfind("--v=", 0) == 0;
}

}  // namespace

std::uint64_t parse_whole(const std::string& option, const std::string& text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    throw UsageError(option + ": '" + text + "' is not a whole number (" + std::to_string(min) + " to " +
                     std::to_string(max) + ")");
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    throw UsageError(option + ": " + text + " is above the maximum " + std::to_string(max));
  }
  if (value < min) throw UsageError(option + ": " + text + " is below the minimum " + std::to_string(min));
  return value;
}

double parse_real(const std::string& option, const std::string& text, double min, bool above_min, double max) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    throw UsageError(option + ": '" + text + "' is not a number (" + (above_min ? "above " : "from ") +
                     number_text(min) + ", at most " + number_text(max) + ")");
  }
  if (above_min && value <= min) throw UsageError(option + ": " + text + " is not above the minimum " + number_text(min));
  if (value < min) throw UsageError(option + ": " + text + " is below the minimum " + number_text(min));
  if (value > max) throw UsageError(option + ": " + text + " is above the maximum " + number_text(max));
  return value;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const BackendInfo& info : backends()) out.push_back(info.name);
  return out;
}

struct Parser::Value {
  OptionInfo info;
  bool is_flag = false;
  std::string raw;             // the last value given (options with a value)
  CLI::Option* cli = nullptr;  // CLI11's record: how often it was given
  std::function<void(const std::string&)> convert;
};

Parser::Parser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)), app_(std::make_unique<CLI::App>()) {
  app_->name(program_);
  app_->set_help_flag();  // --help is ours: checked before anything else, printed in our layout
  app_->allow_extras();   // unknown arguments come back in remaining(), named in our message
}

Parser::~Parser() = default;

OptionInfo& Parser::add(const std::string& name, const std::string& value_name, const std::string& help,
                        std::function<void(const std::string&)> convert, std::string limits, std::string default_text) {
  auto v = std::make_unique<Value>();
  v->info = OptionInfo{name, value_name, help, std::move(limits), std::move(default_text), false};
  v->convert = std::move(convert);
  // expected(0, 1): a missing value ("--port" last, or "--port --bind x") reaches us as an
  // empty one, so the message can say which option lacks it and what it takes.
  v->cli = app_->add_option(name, v->raw)->expected(0, 1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  values_.push_back(std::move(v));
  return values_.back()->info;
}

OptionInfo& Parser::flag(const std::string& name, bool& target, const std::string& help) {
  auto v = std::make_unique<Value>();
  v->info = OptionInfo{name, "", help, "", "", false};
  v->is_flag = true;
  v->cli = app_->add_flag(name, target)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  values_.push_back(std::move(v));
  return values_.back()->info;
}

OptionInfo& Parser::real(const std::string& name, const std::string& value_name, double& target, double min,
                         bool above_min, double max, const std::string& help) {
  return add(
      name, value_name, help,
      [&target, name, min, above_min, max](const std::string& text) { target = parse_real(name, text, min, above_min, max); },
      (above_min ? "above " + number_text(min) + ", at most " : number_text(min) + " to ") + number_text(max),
      number_text(target));
}

OptionInfo& Parser::text(const std::string& name, const std::string& value_name, std::string& target,
                         const std::string& help, std::function<std::string(const std::string&)> check) {
  return add(
      name, value_name, help,
      [&target, name, check](const std::string& text) {
        if (check) {
          if (const std::string why = check(text); !why.empty()) throw UsageError(name + ": " + why);
        }
        target = text;
      },
      "", target);
}

OptionInfo& Parser::choice(const std::string& name, const std::string& value_name, std::string& target,
                           std::vector<std::string> valid, const std::string& help) {
  const std::string valid_text = joined(valid);
  return add(
      name, value_name, help,
      [&target, name, valid, valid_text](const std::string& text) {
        if (std::find(valid.begin(), valid.end(), text) == valid.end()) {
          throw UsageError(name + ": unknown value '" + text + "' (valid: " + valid_text + ")");
        }
        target = text;
      },
      "one of " + valid_text, target);
}

OptionInfo& Parser::list(const std::string& name, std::vector<std::string>& target, std::vector<std::string> valid,
                         const std::string& help) {
  const std::string valid_text = joined(valid);
  return add(
      name, "LIST", help,
      [&target, name, valid, valid_text](const std::string& text) {
        if (text.find_first_not_of(',') == std::string::npos) throw UsageError(name + ": needs at least one of: " + valid_text);
        const std::vector<std::string> wanted = split_commas(name, text);
        for (const auto& w : wanted) {
          if (std::find(valid.begin(), valid.end(), w) == valid.end()) {
            throw UsageError(name + ": unknown value '" + w + "' (valid: " + valid_text + ")");
          }
        }
        target.clear();
        for (const auto& v : valid) {
          if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) target.push_back(v);
        }
      },
      "comma-separated, from " + valid_text, joined(target));
}

OptionInfo& Parser::count_list(const std::string& name, std::vector<int>& target, int min, int max,
                               const std::string& help) {
  std::string default_text;
  for (int n : target) default_text += (default_text.empty() ? "" : ",") + std::to_string(n);
  return add(
      name, "LIST", help,
      [&target, name, min, max](const std::string& text) {
        if (text.find_first_not_of(',') == std::string::npos) {
          throw UsageError(name + ": needs at least one whole number from " + std::to_string(min) + " to " +
                           std::to_string(max));
        }
        const std::vector<std::string> items = split_commas(name, text);
        target.clear();
        for (const auto& item : items) target.push_back(static_cast<int>(parse_whole(name, item, min, max)));
      },
      "comma-separated, each " + std::to_string(min) + " to " + std::to_string(max), default_text);
}

void Parser::required(const std::string& name) {
  for (auto& v : values_) {
    if (v->info.name == name) v->info.required = true;
  }
}

void Parser::exclusive(const std::string& a, const std::string& b) { exclusive_.emplace_back(a, b); }

bool Parser::given(const std::string& name) const {
  for (const auto& v : values_) {
    if (v->info.name == name) return v->cli->count() > 0;
  }
  return false;
}

std::optional<std::string> Parser::benchmark_flag(const std::string& name) const {
  std::optional<std::string> value;
  for (const std::string& arg : benchmark_args_) {
    if (arg == name) value = "";
    if (arg.rfind(name + "=", 0) == 0) value = arg.substr(name.size() + 1);
  }
  return value;
}

void Parser::parse(int argc, const char* const* argv) {
  std::vector<std::string> own;  // CLI11's parse(vector) wants the arguments last to first
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      return;
    }
    if (benchmark_flags_ && is_benchmark_flag(arg)) {
      if (const std::string why = benchmark_flag_error(arg); !why.empty()) throw UsageError(why);
      benchmark_args_.push_back(arg);
      continue;
    }
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      const std::string name = arg.substr(0, eq);
      for (const auto& v : values_) {
        if (v->is_flag && v->info.name == name) throw UsageError(name + ": takes no value, not '" + arg.substr(eq + 1) + "'");
      }
    }
    own.push_back(arg);
  }
  std::reverse(own.begin(), own.end());
  try {
    app_->parse(own);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  if (const std::vector<std::string> extra = app_->remaining(); !extra.empty()) {
    const std::string& first = extra.front();
    if (first.size() > 1 && first[0] == '-') throw UsageError("unknown option '" + first.substr(0, first.find('=')) + "'");
    throw UsageError("unexpected argument '" + first + "' (options start with --)");
  }
  for (const auto& v : values_) {
    if (v->is_flag || v->cli->count() == 0) continue;
    if (v->raw.empty()) {
      throw UsageError(v->info.name + ": needs a value " + v->info.value_name +
                       (v->info.limits.empty() ? "" : " (" + v->info.limits + ")"));
    }
    v->convert(v->raw);
  }
  for (const auto& v : values_) {
    if (v->info.required && v->cli->count() == 0) {
      throw UsageError(v->info.name + " " + v->info.value_name + " is required");
    }
  }
  for (const auto& [a, b] : exclusive_) {
    if (given(a) && given(b)) throw UsageError(a + " and " + b + " exclude each other; give one");
  }
}

void Parser::parse_or_exit(int& argc, char** argv) {
  try {
    parse(argc, argv);
  } catch (const UsageError& e) {
    fail(e.what());
  }
  if (help_requested_) {
    std::cout << help();
    std::exit(0);
  }
  if (benchmark_flags_) {
    // benchmark_args_ are copies of argv's strings, in their order: put the originals back.
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
      if (is_benchmark_flag(argv[i])) argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = nullptr;
  }
}

std::string Parser::usage_line() const {
  std::string line = "usage: " + program_;
  for (const auto& v : values_) {
    if (v->info.required) line += " " + v->info.name + "=" + v->info.value_name;
  }
  line += " [options]";
  if (benchmark_flags_) line += " [--benchmark_* flags]";
  return line;
}

std::string Parser::help() const {
  std::string out = usage_line() + "\n" + description_ + "\n\noptions:\n";
  auto entry = [&out](const std::string& left, const std::string& text) {
    std::string line = "  " + left;
    const std::vector<std::string> lines = wrapped(text, kWidth - kHelpColumn);
    if (line.size() + 1 > kHelpColumn) {
      out += line + "\n";
      line.clear();
    }
    for (const std::string& l : lines) {
      line.resize(kHelpColumn, ' ');
      out += line + l + "\n";
      line.clear();
    }
  };
  for (const auto& v : values_) {
    const OptionInfo& o = v->info;
    std::vector<std::string> notes;
    if (o.required) notes.push_back("required");
    if (!o.limits.empty()) notes.push_back(o.limits);
    if (!o.default_text.empty()) notes.push_back("default " + o.default_text);
    std::string text = o.help;
    if (!notes.empty()) {
      std::string joined_notes;
      for (const auto& n : notes) joined_notes += (joined_notes.empty() ? "" : "; ") + n;
      text += " (" + joined_notes + ")";
    }
    entry(o.name + (o.value_name.empty() ? "" : "=" + o.value_name), text);
  }
  entry("-h, --help", "this text");
  if (benchmark_flags_) {
    entry("--benchmark_*", "Google Benchmark's own flags, checked first (below), then passed to it");
    out += "\nGoogle Benchmark's flags: a value outside what each takes exits 2, naming the flag:\n";
    for (const auto& [flag, takes] : benchmark_flag_rules()) entry(flag, takes);
  }
  if (!epilog_.empty()) out += "\n" + epilog_;
  if (!out.empty() && out.back() != '\n') out += "\n";
  return out;
}

void print_usage_error(const std::string& program, const std::string& usage_line, const std::string& message) {
  std::cerr << program << ": " << message << "\n" << usage_line << "\n(" << program << " --help explains every option)\n";
}

void Parser::print_error(const std::string& message) const { print_usage_error(program_, usage_line(), message); }

void Parser::fail(const std::string& message) const {
  print_error(message);
  std::exit(2);
}

}  // namespace pollbench::cli
