// libFuzzer target: loadgen's incremental HTTP response parser (bench/loadgen/http_response.h).
//
// Feeds the input in one piece and in pieces (of a size taken from the input) and checks what
// must hold whatever the bytes: parse() never claims more bytes than it was given, need_more
// consumes all of them, and both feedings see the same responses (statuses, closes) and the
// same error, at the same offsets.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "http_response.h"

namespace {

using pollbench::loadgen::ResponseParser;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "http_response_fuzz: %s\n", what);
  std::abort();
}

struct Seen {
  int status;  // -1: an error
  bool closes;
  std::size_t end;  // input offset where it was reported
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> feed(std::string_view input, std::size_t piece) {
  ResponseParser parser;
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < input.size();) {
    const std::size_t size = std::min(piece, input.size() - at);
    std::size_t pos = 0;
    while (pos < size) {
      std::size_t used = 0;
      const ResponseParser::Result r = parser.parse(input.data() + at + pos, size - pos, &used);
      require(used <= size - pos, "consumed more than it was given");
      pos += used;
      if (r == ResponseParser::Result::error) {
        require(!parser.error().empty(), "an error without a message");
        seen.push_back(Seen{-1, false, at + pos});
        return seen;
      }
      if (r == ResponseParser::Result::need_more) {
        require(pos == size, "need_more left bytes unconsumed");
      } else {
        require(used > 0, "a complete response of no bytes");
        seen.push_back(Seen{parser.status(), parser.closes(), at + pos});
      }
    }
    at += size;
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 17;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<Seen> whole = feed(input, input.size() + 1);
  const std::vector<Seen> split = feed(input, piece);
  // An error's offset may differ (a too-long line is noticed as soon as it is too long), but
  // not whether there is one, nor any response before it.
  require(whole.size() == split.size(), "pieces and whole see a different number of responses");
  for (std::size_t i = 0; i < whole.size(); ++i) {
    require(whole[i].status == split[i].status && whole[i].closes == split[i].closes, "pieces and whole disagree");
    if (whole[i].status >= 0) require(whole[i].end == split[i].end, "a response ends at different offsets");
  }
  return 0;
}
