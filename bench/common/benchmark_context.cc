#include "benchmark_context.h"

#include <benchmark/benchmark.h>

#include "run_context.h"

namespace pollbench {

void add_run_context(int pinned_cpu) {
  for (const auto& [key, value] : run_context(pinned_cpu)) benchmark::AddCustomContext(key, value);
}

}  // namespace pollbench
