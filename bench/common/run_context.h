// What every result must carry (kernel, CPU, mitigations, fd limit, compiler, commit), and
// CPU pinning for the benchmark binaries.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace pollbench {

// CPUs this process may run on, as they were before any pin_to_cpu().
const std::vector<int>& allowed_cpus();
// The calling thread's default: the last allowed CPU (CPU 0 takes most interrupts).
int default_cpu();
// Pins the calling thread to `cpu`; throws std::invalid_argument naming the allowed CPUs.
void pin_to_cpu(int cpu);
// Another allowed CPU than `cpu`, or `cpu` itself on a one-CPU machine.
int other_cpu(int cpu);

// The run's metadata as key -> value (kernel, cpu_model, mitigations, fd_limit, compiler,
// flags, build_type, optimized, git_commit, pinned_cpu).
std::map<std::string, std::string> run_context(int pinned_cpu);
// Prints a warning to stderr when this binary was built without optimisation.
void warn_if_unoptimized();

}  // namespace pollbench
