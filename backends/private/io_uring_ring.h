// The io_uring ring set-up shared by the io_uring backends, their probe and wait_bench's raw
// family, so all of them measure the same ring.
#pragma once

#include <liburing.h>

namespace pollbench {

// How a ring runs the task work that turns a poll wakeup into a completion:
//   defer_taskrun  IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG (Linux 6.1+): only
//                  when the ring's thread enters the kernel asking for events, i.e. in its wait.
//                  Only the thread that created the ring may submit to it or wait on it.
//   coop_taskrun   IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG (5.19+): at the ring thread's next
//                  system call, without interrupting it; the kernel flags it in the ring.
//   plain          at the ring thread's next return from any system call, interrupting a
//                  blocking one (so in a benchmark often inside the writer's write()).
enum class RingSetup { defer_taskrun, coop_taskrun, plain };

const char* to_string(RingSetup setup);

// Sets up `ring` with `wanted`, or, where the kernel refuses it (EINVAL), with the next one
// down the list above. Stores the set-up it got in `*used`. Returns 0 or -errno.
int init_ring(io_uring* ring, unsigned sq_entries, unsigned cq_entries, RingSetup wanted, RingSetup* used);

}  // namespace pollbench
