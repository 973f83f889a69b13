// loadgen merge: several loadgen reports (one per client host, or parts of one run) as one
// report. Counts add; the latency percentiles come from the sum of the histograms, so they are
// those of every request together, not an average of percentiles.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pollbench::loadgen {

// Reports that cannot be merged (another target, schedule or bucket layout; not a loadgen
// report); the message names the inputs and the field.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MergeInput {
  std::string label;      // how the summary names it (the file name)
  nlohmann::json report;  // one loadgen JSON report
};

// The merged report: every field a single run writes (sums, or the merged histogram's
// percentiles; duration_s is the union of the inputs' windows), plus "merged" with each
// input's own figures and the spread of their start instants. `max_skew_s` < 0: no limit;
// otherwise merged.skew_over_limit says whether the spread exceeds it. Throws MergeError.
nlohmann::ordered_json merge_reports(const std::vector<MergeInput>& inputs, double max_skew_s);

// The merged report as a table for people: one line per input, the total, the skew.
std::string merge_summary(const nlohmann::ordered_json& merged);

// `loadgen merge [--max-skew SECONDS] FILE...`: the merged JSON on stdout, the summary on
// stderr. Exit 0, or 2 (with a message) for a bad command line or inputs that do not merge.
int merge_main(int argc, const char* const* argv);

}  // namespace pollbench::loadgen
