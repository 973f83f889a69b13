#include "parent_death.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace pollbench {

void die_with_parent() {
  const pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // A death between getppid() and prctl() sends nothing: the process was reparented already.
  if (::getppid() != parent) ::raise(SIGTERM);
}

}  // namespace pollbench
