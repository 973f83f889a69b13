// The little HTTP/1.1 the server speaks: find where a request ends in the bytes received so
// far, and the canned answers. Enough for wrk, httperf, curl and loadgen; not a web server.
//
// A request ends at its blank line (plus a Content-Length body, if it announces one, which is
// skipped). What it checks, as RFC 9110 and 9112 ask of a server:
//   - the method is a token; GET, HEAD and POST are served, any other token gets 501;
//   - the version is exactly HTTP/1.0 or HTTP/1.1; another well-formed one (HTTP/1.9, HTTP/2.0)
//     gets 505, anything else 400;
//   - field values hold no control character but HTAB (NUL, 0x01, DEL...), and no CR appears
//     anywhere but right before an LF: 400 (a line may end in LF alone);
//   - `Expect: 100-continue` on an HTTP/1.1 request with a body still to come gets an interim
//     `100 Continue` before the body is read (ParseResult::send_continue); with a body over the
//     limit, or any other expectation, it gets 417 instead;
//   - Transfer-Encoding (a chunked body, whose end this parser does not look for) gets 501.
// Anything else it cannot take gets 400, 413 or 431; every refusal closes the connection.
// HEAD gets the GET answer's head only, Content-Length included (Responses::ok).
// The parser never copies: it looks at what the connection has buffered and says how many
// bytes the first request takes, so pipelined requests are answered in order.
//
// A hostile peer costs bounded memory and linear CPU: every byte of a request counts against
// the header limit, blank lines before it included, and a request that is still arriving is
// parsed where the last call stopped (ParseProgress), never again from its start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pollbench::http {

// Limits that keep one connection from holding unbounded memory.
inline constexpr std::size_t kDefaultMaxHeaderBytes = 8192;    // request line + headers
inline constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;  // a Content-Length body

enum class Parse {
  incomplete,  // no blank line yet (and nothing wrong so far): wait for more bytes
  complete,    // one whole request: `length` bytes, answer it
  malformed,   // not a request it takes: answer `status` (400; 501, 505 or 417 as above) and
               // close
  too_large,   // over a limit: answer `status` (431 headers, 413 body) and close
};

struct ParseResult {
  Parse outcome = Parse::incomplete;
  std::size_t length = 0;   // complete: bytes the request occupies, body included
  bool keep_alive = true;   // complete: the client wants the connection kept open
  bool http10 = false;      // complete: an HTTP/1.0 request (keep-alive must be said aloud)
  bool head_only = false;   // complete: a HEAD request, answered without the body
  bool send_continue = false;  // incomplete: answer `100 Continue` now, once (the client waits
                               // for it before sending the body)
  int status = 0;           // malformed / too_large: the status code to answer with
  const char* reason = "";  // malformed / too_large: why, for logs and tests
};

struct Limits {
  std::size_t max_header_bytes = kDefaultMaxHeaderBytes;
  std::size_t max_body_bytes = kDefaultMaxBodyBytes;
};

// How far parsing got into a request that has not fully arrived. Given back to the next call
// with the same bytes plus more, it resumes there: each byte is examined once by the scan and
// once more when its line is parsed, however the request is split. Start each request with a
// fresh one ({}).
struct ParseProgress {
  std::size_t scanned = 0;      // bytes of the request examined so far
  std::size_t line_start = 0;   // where the line still arriving starts
  std::size_t lines = 0;        // complete lines of the request (0: the request line is arriving)
  std::size_t head_length = 0;  // non-zero once the head (up to its blank line) is in
  std::uint64_t content_length = 0;
  bool started = false;         // past the blank lines a request may start with
  bool method_ended = false;    // the request line's first space has arrived
  bool http10 = false;
  bool close_requested = false;
  bool keep_alive_requested = false;
  bool has_length = false;
  bool head_method = false;     // HEAD
  bool expect_continue = false; // Expect: 100-continue on an HTTP/1.1 request
  bool continue_sent = false;   // send_continue was returned for this request
  // Bytes examined in all calls for this request (scan, plus each line once more as it is
  // parsed): what tests check to show the cost is linear. Never read by the server.
  std::size_t steps = 0;
};

// Looks at the start of `buffer` (everything received of this request and after it, not yet
// answered), resuming from `progress`, which it updates while the outcome is `incomplete`.
ParseResult parse_request(std::string_view buffer, const Limits& limits, ParseProgress& progress);
// The same from scratch.
ParseResult parse_request(std::string_view buffer, const Limits& limits = {});

// A canned answer in two parts, so that the 200 answers share one body: the server queues
// answers by reference and sends them with a gathering write, never copying a body per answer.
struct Answer {
  std::string_view head;  // status line and headers, through the blank line
  std::string_view body;
  std::size_t size() const { return head.size() + body.size(); }
  std::string text() const;  // both parts joined (for tests)
};

// The server's fixed answers, built once. Answers point into it: it cannot be copied or moved.
class Responses {
 public:
  explicit Responses(std::size_t body_size);
  Responses(const Responses&) = delete;
  Responses& operator=(const Responses&) = delete;

  // 200 OK with the body; `keep_alive` false adds "Connection: close", an HTTP/1.0 client that
  // keeps alive gets "Connection: keep-alive". `head_only`: the same head without the body.
  const Answer& ok(bool keep_alive, bool http10, bool head_only = false) const;
  // 400 / 408 / 413 / 417 / 431 / 501 / 505 (anything else: 400), always "Connection: close".
  static const Answer& error(int status);
  // The interim `HTTP/1.1 100 Continue` (no headers, no body; the connection stays).
  static const Answer& continue_interim();

  std::size_t body_size() const { return body_.size(); }

 private:
  std::string body_;
  std::string head_keep_alive_;
  std::string head_keep_alive_http10_;
  std::string head_close_;
  Answer ok_keep_alive_;
  Answer ok_keep_alive_http10_;
  Answer ok_close_;
  Answer head_keep_alive_answer_;
  Answer head_keep_alive_http10_answer_;
  Answer head_close_answer_;
};

}  // namespace pollbench::http
