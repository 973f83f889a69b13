// Command-line helpers shared by pollserver and tcp_bench: "--name value" / "--name=value",
// numbers checked against their limits, and the usage error that makes main exit 2.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pollbench::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Walks argv. next() yields each argument; for an option that takes a value, value() returns
// the "=value" part or consumes the next argument (UsageError when there is none).
class Args {
 public:
  Args(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

  bool next() {
    if (++index_ >= argc_) return false;
    const std::string_view arg = argv_[index_];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      name_ = arg.substr(0, eq);
      inline_value_ = arg.substr(eq + 1);
    } else {
      name_ = arg;
      inline_value_.reset();
    }
    return true;
  }
  std::string_view name() const { return name_; }
  bool has_inline_value() const { return inline_value_.has_value(); }

  std::string value() {
    if (inline_value_) return std::string(*inline_value_);
    if (index_ + 1 >= argc_) throw UsageError("option " + std::string(name_) + " needs a value");
    return argv_[++index_];
  }

 private:
  int argc_;
  const char* const* argv_;
  int index_ = 0;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
};

// A whole number in [min, max]; the message names the option and the limits.
inline std::uint64_t parse_number(std::string_view option, const std::string& text, std::uint64_t min,
                                  std::uint64_t max) {
  std::size_t used = 0;
  unsigned long long value = 0;
  bool ok = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (ok) {
    try {
      value = std::stoull(text, &used);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || used != text.size() || value < min || value > max) {
    throw UsageError(std::string(option) + " takes a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not '" + text + "'");
  }
  return value;
}

}  // namespace pollbench::cli
