// Prints every backend this build knows, whether it runs on this machine, and the fd limit;
// with --json, every backend's capabilities as one JSON array instead.
#include <iostream>

#include "cli.h"
#include "fd.h"
#include "poller.h"

int main(int argc, char** argv) {
  bool json = false;
  pollbench::cli::Parser parser("backends_list", "Every backend this build knows, whether it runs here, and the fd limit.");
  parser.flag("--json", json, "every backend's capabilities as one JSON array instead");
  parser.parse_or_exit(argc, argv);
  const pollbench::FdLimit limit = pollbench::raise_fd_limit();
  if (json) {
    std::cout << pollbench::backends_json() << '\n';
    return 0;
  }
  std::cout << "fd limit: " << limit.soft << " (hard " << limit.hard << ")\n";
  for (const auto& b : pollbench::backends()) {
    std::cout << b.name << ": " << (b.available ? "available" : "unavailable: " + b.reason) << '\n';
  }
  return 0;
}
