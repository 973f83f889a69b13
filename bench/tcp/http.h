// The little HTTP/1.1 the server speaks: find where a request ends in the bytes received so
// far, and the canned answers. Enough for wrk, httperf, curl and loadgen; not a web server.
//
// A request ends at its blank line (plus a Content-Length body, if it announces one, which is
// skipped). The parser never copies: it looks at what the connection has buffered and says
// how many bytes the first request takes, so pipelined requests are answered in order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pollbench::http {

// Limits that keep one connection from holding unbounded memory.
inline constexpr std::size_t kDefaultMaxHeaderBytes = 8192;    // request line + headers
inline constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;  // a Content-Length body

enum class Parse {
  incomplete,  // no blank line yet (and nothing wrong so far): wait for more bytes
  complete,    // one whole request: `length` bytes, answer it
  malformed,   // not an HTTP/1.x request: answer 400 and close
  too_large,   // over a limit: answer `status` (431 headers, 413 body) and close
};

struct ParseResult {
  Parse outcome = Parse::incomplete;
  std::size_t length = 0;   // complete: bytes the request occupies, body included
  bool keep_alive = true;   // complete: the client wants the connection kept open
  bool http10 = false;      // complete: an HTTP/1.0 request (keep-alive must be said aloud)
  int status = 0;           // malformed / too_large: the status code to answer with
  const char* reason = "";  // malformed / too_large: why, for logs and tests
};

struct Limits {
  std::size_t max_header_bytes = kDefaultMaxHeaderBytes;
  std::size_t max_body_bytes = kDefaultMaxBodyBytes;
};

// Looks at the start of `buffer` (everything received and not yet answered).
ParseResult parse_request(std::string_view buffer, const Limits& limits = {});

// The server's fixed answers, built once.
class Responses {
 public:
  explicit Responses(std::size_t body_size);

  // 200 OK with the body; `keep_alive` false adds "Connection: close", an HTTP/1.0 client that
  // keeps alive gets "Connection: keep-alive".
  const std::string& ok(bool keep_alive, bool http10) const;
  // 400 / 413 / 431 (anything else: 400), always "Connection: close".
  static const std::string& error(int status);

  std::size_t body_size() const { return body_size_; }

 private:
  std::size_t body_size_;
  std::string ok_keep_alive_;
  std::string ok_keep_alive_http10_;
  std::string ok_close_;
};

}  // namespace pollbench::http
