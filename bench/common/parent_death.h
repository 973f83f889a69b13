// Benchmark binaries die with the process that started them, so a runner killed outright
// (SIGKILL leaves it no time to clean up) leaves no benchmark running on as an orphan.
#pragma once

namespace pollbench {

// Asks the kernel to send this process SIGTERM when its parent dies (PR_SET_PDEATHSIG), then
// checks the parent is still the one it started with: if it died before the request, the
// process ends now, by the same SIGTERM. Call it first thing in main. SIGTERM, not SIGKILL, so
// a binary that handles it (loadgen, pollserver) still prints its report on the way out.
// A parent that dies between fork and main's first line goes unnoticed here; a parent that
// forks a benchmark itself (tcp_bench's loadgen) makes the same request before exec.
void die_with_parent();

}  // namespace pollbench
