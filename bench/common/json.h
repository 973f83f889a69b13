// The one JSON helper the hand-written outputs (loadgen's report, pollserver's statistics)
// share: a string as a quoted, escaped JSON string.
#pragma once

#include <string>
#include <string_view>

namespace pollbench {

std::string json_quote(std::string_view s);

}  // namespace pollbench
