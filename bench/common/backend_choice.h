// The backends a benchmark program runs, chosen the same way by every program that takes
// --backends: what the user listed, each refused when this machine cannot run it, or else every
// candidate that runs here, naming on stderr each one skipped and why.
#pragma once

#include <string>
#include <vector>

#include "cli.h"

namespace pollbench {

// `given`: the --backends list as parsed (empty when not given). `candidates`: the backends
// the program covers, in backends() order. Exits 2 through parser.fail() for an unavailable one.
std::vector<std::string> chosen_backends(const cli::Parser& parser, const std::string& program,
                                         const std::vector<std::string>& given,
                                         const std::vector<std::string>& candidates);

// Exits 2 through parser.fail() unless `cpu` is one this process may run on.
void require_allowed_cpu(const cli::Parser& parser, int cpu);

}  // namespace pollbench
