// watched_bench's families: wait_watched and ctl_watched (see families.cc).
#pragma once

#include "watched_options.h"

namespace pollbench::watched {

void register_families(const Options& options);

}  // namespace pollbench::watched
