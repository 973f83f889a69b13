// Prints every backend this build knows, whether it runs on this machine, and the fd limit;
// with --json, every backend's capabilities as one JSON array instead.
#include <cstring>
#include <iostream>

#include "fd.h"
#include "poller.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--help") == 0) {
    std::cout << "usage: backends_list [--json]\n"
                 "  (no option)  every backend and whether it runs here, and the fd limit\n"
                 "  --json       every backend's capabilities as a JSON array\n";
    return 0;
  }
  const bool json = argc == 2 && std::strcmp(argv[1], "--json") == 0;
  if (argc > 2 || (argc == 2 && !json)) {
    std::cerr << "backends_list: unknown option '" << argv[1] << "' (valid: --json, --help)\n";
    return 2;
  }
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
