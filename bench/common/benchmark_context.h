// run_context() in Google Benchmark's output. Apart from run_context.h so that the programs
// that are not Google Benchmark binaries (loadgen, pollserver) do not link it.
#pragma once

namespace pollbench {

// Adds run_context(pinned_cpu) to Google Benchmark's JSON and console context.
void add_run_context(int pinned_cpu);

}  // namespace pollbench
