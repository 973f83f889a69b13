#include "backend_choice.h"

#include <algorithm>
#include <iostream>

#include "poller.h"
#include "run_context.h"

namespace pollbench {

std::vector<std::string> chosen_backends(const cli::Parser& parser, const std::string& program,
                                         const std::vector<std::string>& given,
                                         const std::vector<std::string>& candidates) {
  if (parser.given("--backends")) {
    for (const std::string& name : given) {
      const BackendInfo& info = backend_info(name);
      if (!info.available) parser.fail("--backends: backend '" + info.name + "' is not available here: " + info.reason);
    }
    return given;
  }
  std::vector<std::string> out;
  for (const std::string& name : candidates) {
    const BackendInfo& info = backend_info(name);
    if (info.available) {
      out.push_back(name);
    } else {
      std::cerr << program << ": skipping backend " << info.name << ": " << info.reason << "\n";
    }
  }
  return out;
}

void require_allowed_cpu(const cli::Parser& parser, int cpu) {
  const auto& cpus = allowed_cpus();
  if (std::find(cpus.begin(), cpus.end(), cpu) != cpus.end()) return;
  std::vector<std::string> list;
  for (int c : cpus) list.push_back(std::to_string(c));
  parser.fail("--cpu: " + std::to_string(cpu) + " is not a CPU this process may use (allowed: " + cli::joined(list) + ")");
}

}  // namespace pollbench
