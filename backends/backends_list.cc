// Prints every backend this build knows, whether it runs on this machine, and the fd limit.
#include <iostream>

#include "fd.h"
#include "poller.h"

int main() {
  const pollbench::FdLimit limit = pollbench::raise_fd_limit();
  std::cout << "fd limit: " << limit.soft << " (hard " << limit.hard << ")\n";
  for (const auto& b : pollbench::backends()) {
    std::cout << b.name << ": " << (b.available ? "available" : "unavailable: " + b.reason) << '\n';
  }
  return 0;
}
