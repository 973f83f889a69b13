// --benchmark_filter, checked before Google Benchmark (1.7) sees it: it prints a bad regex's
// error and then runs nothing, and runs nothing for a filter that matches no benchmark,
// exiting 0 both times as if all went well. The binaries refuse both as usage errors instead.
#pragma once

#include <string>
#include <vector>

namespace pollbench {

// Empty when `filter` is a regex Google Benchmark accepts (an extended regex, optionally
// negated by a leading '-'); otherwise why not.
std::string benchmark_filter_error(const std::string& filter);

// Whether `filter` selects at least one of `names` as Google Benchmark does (regex_search;
// a leading '-' selects the names it does not match; empty selects all).
bool filter_matches_any(const std::string& filter, const std::vector<std::string>& names);

// The family among `names` ("wait/epoll_lt", from "wait/epoll_lt/socketpair/..."; or the
// first part alone) whose text is nearest to the filter's (edit distance), for the message
// that refuses a filter matching nothing. Empty when `names` is.
std::string nearest_family(const std::string& filter, const std::vector<std::string>& names);

}  // namespace pollbench
