#include "http.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace pollbench::http {
namespace {

// RFC 9110 token characters: what a method and a header name are made of.
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kTchar = make_tchar_table();

bool is_tchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult failure(Parse outcome, int status, const char* reason) {
  ParseResult r;
  r.outcome = outcome;
  r.status = status;
  r.reason = reason;
  return r;
}

struct RequestLine {
  int status = 400;  // 0: taken; else what to answer
  const char* reason = "bad request line";
  bool http10 = false;
  bool head = false;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "METHOD SP TARGET SP HTTP-version" (RFC 9112 section 3), HTTP-version = "HTTP/" DIGIT "." DIGIT.
RequestLine parse_request_line(std::string_view line) {
  RequestLine result;
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || !is_token(line.substr(0, sp1))) return result;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return result;
  for (char c : line.substr(sp1 + 1, sp2 - sp1 - 1)) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return result;
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) || version[6] != '.' ||
      !is_digit(version[7])) {
    return result;
  }
  if (version != "HTTP/1.0" && version != "HTTP/1.1") {
    result.status = 505;
    result.reason = "HTTP version not supported";
    return result;
  }
  const std::string_view method = line.substr(0, sp1);
  if (method != "GET" && method != "HEAD" && method != "POST") {
    result.status = 501;
    result.reason = "method not implemented";
    return result;
  }
  result.status = 0;
  result.http10 = version == "HTTP/1.0";
  result.head = method == "HEAD";
  return result;
}

// RFC 9110 5.5: a field value holds visible characters, SP, HTAB and obs-text, no other CTL.
bool has_control(std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

// Does a comma-separated header value list `token` (case-insensitive)?
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// A complete line of the head (without its line break): the request line or a header.
// Returns false, with `refused` set, when the request is refused.
bool parse_line(std::string_view line, ParseProgress& p, ParseResult& refused) {
  if (p.lines == 0) {
    const RequestLine request_line = parse_request_line(line);
    if (request_line.status != 0) {
      refused = failure(Parse::malformed, request_line.status, request_line.reason);
      return false;
    }
    p.http10 = request_line.http10;
    p.head_method = request_line.head;
    return true;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    refused = failure(Parse::malformed, 400, "obsolete header line folding");
    return false;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    refused = failure(Parse::malformed, 400, "bad header line");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (has_control(value)) {
    refused = failure(Parse::malformed, 400, "control character in a header value");
    return false;
  }
  if (iequals(name, "connection")) {
    p.close_requested = p.close_requested || lists_token(value, "close");
    p.keep_alive_requested = p.keep_alive_requested || lists_token(value, "keep-alive");
  } else if (iequals(name, "content-length")) {
    std::uint64_t length = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      refused = failure(Parse::malformed, 400, "bad Content-Length");
      return false;
    }
    if (p.has_length && length != p.content_length) {
      refused = failure(Parse::malformed, 400, "conflicting Content-Length headers");
      return false;
    }
    p.has_length = true;
    p.content_length = length;
  } else if (iequals(name, "expect")) {
    // RFC 9110 10.1.1: an HTTP/1.0 request's 100-continue is ignored; nothing else is known.
    if (!iequals(value, "100-continue")) {
      refused = failure(Parse::malformed, 417, "unknown expectation");
      return false;
    }
    p.expect_continue = !p.http10;
  } else if (iequals(name, "transfer-encoding")) {
    refused = failure(Parse::malformed, 501, "Transfer-Encoding is not supported");
    return false;
  }
  return true;
}

}  // namespace

ParseResult parse_request(std::string_view buffer, const Limits& limits, ParseProgress& p) {
  if (p.head_length == 0) {
    // Only the first max_header_bytes bytes can hold the head, blank lines before it included
    // (RFC 9112 2.2 lets a server skip them; counting them keeps a CR LF flood bounded).
    const std::size_t end = std::min(buffer.size(), limits.max_header_bytes);
    std::size_t i = p.scanned;
    for (; i < end && p.head_length == 0; ++i) {
      ++p.steps;
      const char c = buffer[i];
      // A CR only ever ends a line, right before its LF (RFC 9112 2.2): a bare one is refused,
      // not waited on, so a client that ends lines in CR alone gets its 400 at once.
      if (c == '\r') {
        if (i + 1 == buffer.size()) {  // its LF may be in the next read: look again then
          --p.steps;                   // (and count it then)
          break;
        }
        if (buffer[i + 1] != '\n') return failure(Parse::malformed, 400, "bare CR");
      }
      if (!p.started) {
        if (c == '\r' || c == '\n') continue;
        p.started = true;
        p.line_start = i;
      }
      if (c != '\n') {
        // A request line still arriving is refused as soon as its method cannot be one, so a
        // client that speaks something else (TLS, binary) gets its 400 without waiting out
        // the limit for a line end.
        if (p.lines == 0 && !p.method_ended) {
          if (c == ' ') {
            p.method_ended = true;
          } else if (!is_tchar(c)) {
            return failure(Parse::malformed, 400, "bad request line");
          }
        }
        continue;
      }
      std::string_view line = buffer.substr(p.line_start, i - p.line_start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      p.steps += line.size();
      if (line.empty() && p.lines > 0) {
        p.head_length = i + 1;  // the blank line: headers are done
        break;
      }
      ParseResult refused;
      if (!parse_line(line, p, refused)) return refused;
      ++p.lines;
      p.line_start = i + 1;
    }
    p.scanned = i;
    if (p.head_length == 0) {
      if (buffer.size() > limits.max_header_bytes) {
        return failure(Parse::too_large, 431, "request headers exceed the limit");
      }
      return ParseResult{};  // incomplete
    }
    if (p.content_length > limits.max_body_bytes) {
      // A client that waits for 100 Continue is told its body will not be taken (RFC 9110 10.1.1).
      if (p.expect_continue) return failure(Parse::malformed, 417, "body over the limit behind Expect: 100-continue");
      return failure(Parse::too_large, 413, "request body exceeds the limit");
    }
  }

  const std::size_t length = p.head_length + static_cast<std::size_t>(p.content_length);
  if (buffer.size() < length) {  // the body is still arriving
    ParseResult waiting;
    // Only before any of the body is here: a client that sent some did not wait for it.
    if (p.expect_continue && !p.continue_sent && buffer.size() == p.head_length) {
      p.continue_sent = true;
      waiting.send_continue = true;
    }
    return waiting;
  }

  ParseResult result;
  result.outcome = Parse::complete;
  result.length = length;
  result.http10 = p.http10;
  result.head_only = p.head_method;
  // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
  result.keep_alive = p.http10 ? (p.keep_alive_requested && !p.close_requested) : !p.close_requested;
  return result;
}

ParseResult parse_request(std::string_view buffer, const Limits& limits) {
  ParseProgress progress;
  return parse_request(buffer, limits, progress);
}

namespace {

// Status line and headers through the blank line, for a body of `body_size` bytes.
std::string make_head(std::string_view status_line, std::string_view connection, std::size_t body_size) {
  std::string out = "HTTP/1.1 ";
  out += status_line;
  out += "\r\nServer: pollserver\r\nContent-Type: text/plain\r\nContent-Length: ";
  out += std::to_string(body_size);
  out += "\r\n";
  if (!connection.empty()) {
    out += "Connection: ";
    out += connection;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string make_body(std::size_t size) {
  static constexpr std::string_view kPattern = "pollserver says hello\n";
  std::string body;
  body.reserve(size);
  while (body.size() < size) body += kPattern.substr(0, size - body.size());
  return body;
}

// An error answer: small, so head and body live in one string.
struct ErrorAnswer {
  ErrorAnswer(std::string_view status_line, std::string_view body)
      : text(make_head(status_line, "close", body.size()) + std::string(body)), answer{text, {}} {}
  std::string text;
  Answer answer;
};

}  // namespace

std::string Answer::text() const { return std::string(head) + std::string(body); }

Responses::Responses(std::size_t body_size)
    : body_(make_body(body_size)),
      head_keep_alive_(make_head("200 OK", "", body_size)),
      head_keep_alive_http10_(make_head("200 OK", "keep-alive", body_size)),
      head_close_(make_head("200 OK", "close", body_size)),
      ok_keep_alive_{head_keep_alive_, body_},
      ok_keep_alive_http10_{head_keep_alive_http10_, body_},
      ok_close_{head_close_, body_},
      head_keep_alive_answer_{head_keep_alive_, {}},
      head_keep_alive_http10_answer_{head_keep_alive_http10_, {}},
      head_close_answer_{head_close_, {}} {}

const Answer& Responses::ok(bool keep_alive, bool http10, bool head_only) const {
  if (head_only) {
    if (!keep_alive) return head_close_answer_;
    return http10 ? head_keep_alive_http10_answer_ : head_keep_alive_answer_;
  }
  if (!keep_alive) return ok_close_;
  return http10 ? ok_keep_alive_http10_ : ok_keep_alive_;
}

const Answer& Responses::continue_interim() {
  static const Answer interim{"HTTP/1.1 100 Continue\r\n\r\n", {}};
  return interim;
}

const Answer& Responses::error(int status) {
  static const ErrorAnswer bad_request("400 Bad Request", "bad request\n");
  static const ErrorAnswer too_large("413 Content Too Large", "request body too large\n");
  static const ErrorAnswer headers_too_large("431 Request Header Fields Too Large", "request headers too large\n");
  static const ErrorAnswer not_implemented("501 Not Implemented", "not implemented\n");
  static const ErrorAnswer timeout("408 Request Timeout", "request timeout\n");
  static const ErrorAnswer expectation("417 Expectation Failed", "expectation failed\n");
  static const ErrorAnswer version("505 HTTP Version Not Supported", "HTTP version not supported\n");
  switch (status) {
    case 408: return timeout.answer;
    case 417: return expectation.answer;
    case 505: return version.answer;
    case 413: return too_large.answer;
    case 431: return headers_too_large.answer;
    case 501: return not_implemented.answer;
    default: return bad_request.answer;
  }
}

}  // namespace pollbench::http
