#include "benchmark_filter.h"

#include <algorithm>
#include <regex>
#include <set>

namespace pollbench {

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string benchmark_filter_error(const std::string& filter) {
  // The same engine and grammar as Google Benchmark's own Regex (std::regex, extended).
  const std::string spec = !filter.empty() && filter[0] == '-' ? filter.substr(1) : filter;
  try {
    std::regex(spec, std::regex_constants::extended);
  } catch (const std::regex_error& e) {
    return e.what();
  }
  return "";
}

bool filter_matches_any(const std::string& filter, const std::vector<std::string>& names) {
  if (filter.empty() || filter == "all") return !names.empty();
  const bool negative = filter[0] == '-';
  const std::regex re(negative ? filter.substr(1) : filter, std::regex_constants::extended);
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& name) { return std::regex_search(name, re) != negative; });
}

std::string nearest_family(const std::string& filter, const std::vector<std::string>& names) {
  std::string text;  // the filter without the regex characters a user types around a name
  for (char c : filter) {
    if (std::string_view("^$-*+?()[]{}|\\").find(c) == std::string_view::npos) text += c;
  }
  std::set<std::string> families;
  for (const std::string& name : names) {
    const std::size_t first = name.find('/');
    families.insert(name.substr(0, first));
    if (first != std::string::npos) families.insert(name.substr(0, name.find('/', first + 1)));
  }
  std::string best;
  std::size_t best_distance = 0;
  for (const std::string& family : families) {
    // Against as much of the family as the filter is long: "wait/epol" is near "wait/epoll_lt".
    const std::size_t d = std::min(edit_distance(text, family), edit_distance(text, family.substr(0, text.size())) + 1);
    if (best.empty() || d < best_distance || (d == best_distance && family.size() < best.size())) {
      best = family;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace pollbench
