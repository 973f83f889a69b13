// libFuzzer target: the server's HTTP request parser (bench/tcp/http.h).
//
// Parses the input as the server does, one pipelined request after another, and checks what
// must hold whatever the bytes: a complete request lies within the input and is not empty; the
// same request fed in pieces (of a size taken from the input) gets the same answer as in one
// piece; and the parser's steps stay linear (at most two per head byte).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http.h"

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "http_request_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pollbench::http;
  if (size == 0) return 0;
  // Small limits, so the fuzzer reaches them.
  Limits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 256;
  const std::size_t piece = 1 + data[0] % 13;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::size_t used = 0;
  while (used < input.size()) {
    const std::string_view rest = input.substr(used);
    ParseProgress whole_progress;
    const ParseResult whole = parse_request(rest, limits, whole_progress);
    require(whole_progress.steps <= 2 * limits.max_header_bytes, "more than two steps per head byte");

    ParseProgress progress;
    ParseResult split;
    for (std::size_t n = std::min(piece, rest.size());; n = std::min(n + piece, rest.size())) {
      split = parse_request(rest.substr(0, n), limits, progress);
      if (split.outcome != Parse::incomplete || n == rest.size()) break;
    }
    require(split.outcome == whole.outcome, "pieces and whole disagree on the outcome");
    require(split.length == whole.length && split.status == whole.status, "pieces and whole disagree");
    require(split.keep_alive == whole.keep_alive && split.http10 == whole.http10, "pieces and whole disagree");
    require(progress.steps <= 2 * limits.max_header_bytes, "more than two steps per head byte in pieces");

    if (whole.outcome != Parse::complete) {
      require(whole.length == 0, "a length on an incomplete or refused request");
      require(whole.outcome == Parse::incomplete || whole.status >= 400, "a refusal without a status");
      break;
    }
    require(whole.length > 0 && whole.length <= rest.size(), "a complete request outside the input");
    used += whole.length;
  }
  return 0;
}
