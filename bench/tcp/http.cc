#include "http.h"

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

// A request line still arriving: reject it as soon as its method cannot be one, so a client
// that speaks something else (TLS, binary) gets its 400 at once instead of waiting out the limit.
bool method_prefix_ok(std::string_view partial_line) {
  for (char c : partial_line) {
    if (c == ' ') return true;
    if (!is_tchar(c)) return false;
  }
  return true;
}

struct RequestLine {
  bool ok = false;
  bool http10 = false;
};

// "METHOD SP TARGET SP HTTP/1.x" (RFC 9112 section 3).
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
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' || version[7] > '9') return result;
  result.ok = true;
  result.http10 = version[7] == '0';
  return result;
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

}  // namespace

ParseResult parse_request(std::string_view buffer, const Limits& limits) {
  // RFC 9112 2.2: a server SHOULD ignore empty lines received before the request line.
  std::size_t start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;

  bool http10 = false;
  bool close_requested = false;
  bool keep_alive_requested = false;
  bool has_length = false;
  std::uint64_t content_length = 0;

  std::size_t pos = start;
  for (std::size_t line_number = 0;; ++line_number) {
    const auto newline = buffer.find('\n', pos);
    if (newline == std::string_view::npos) {
      if (buffer.size() - start > limits.max_header_bytes) {
        return failure(Parse::too_large, 431, "request headers exceed the limit");
      }
      if (line_number == 0 && !method_prefix_ok(buffer.substr(start))) {
        return failure(Parse::malformed, 400, "bad request line");
      }
      return ParseResult{};  // incomplete
    }
    if (newline + 1 - start > limits.max_header_bytes) {
      return failure(Parse::too_large, 431, "request headers exceed the limit");
    }
    std::string_view line = buffer.substr(pos, newline - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = newline + 1;

    if (line_number == 0) {
      const RequestLine request_line = parse_request_line(line);
      if (!request_line.ok) return failure(Parse::malformed, 400, "bad request line");
      http10 = request_line.http10;
      continue;
    }
    if (line.empty()) break;  // the blank line: headers are done
    if (line.front() == ' ' || line.front() == '\t') {
      return failure(Parse::malformed, 400, "obsolete header line folding");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return failure(Parse::malformed, 400, "bad header line");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "connection")) {
      close_requested = close_requested || lists_token(value, "close");
      keep_alive_requested = keep_alive_requested || lists_token(value, "keep-alive");
    } else if (iequals(name, "content-length")) {
      std::uint64_t length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return failure(Parse::malformed, 400, "bad Content-Length");
      }
      if (has_length && length != content_length) {
        return failure(Parse::malformed, 400, "conflicting Content-Length headers");
      }
      has_length = true;
      content_length = length;
    } else if (iequals(name, "transfer-encoding")) {
      return failure(Parse::malformed, 501, "Transfer-Encoding is not supported");
    }
  }

  if (content_length > limits.max_body_bytes) {
    return failure(Parse::too_large, 413, "request body exceeds the limit");
  }
  const std::size_t length = pos + static_cast<std::size_t>(content_length);
  if (buffer.size() < length) return ParseResult{};  // the body is still arriving

  ParseResult result;
  result.outcome = Parse::complete;
  result.length = length;
  result.http10 = http10;
  // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
  result.keep_alive = http10 ? (keep_alive_requested && !close_requested) : !close_requested;
  return result;
}

namespace {

std::string make_response(std::string_view status_line, std::string_view connection, std::string_view body) {
  std::string out;
  out.reserve(128 + body.size());
  out += "HTTP/1.1 ";
  out += status_line;
  out += "\r\nServer: pollserver\r\nContent-Type: text/plain\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  if (!connection.empty()) {
    out += "Connection: ";
    out += connection;
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

std::string make_body(std::size_t size) {
  static constexpr std::string_view kPattern = "pollserver says hello\n";
  std::string body;
  body.reserve(size);
  while (body.size() < size) body += kPattern.substr(0, size - body.size());
  return body;
}

}  // namespace

Responses::Responses(std::size_t body_size) : body_size_(body_size) {
  const std::string body = make_body(body_size);
  ok_keep_alive_ = make_response("200 OK", "", body);
  ok_keep_alive_http10_ = make_response("200 OK", "keep-alive", body);
  ok_close_ = make_response("200 OK", "close", body);
}

const std::string& Responses::ok(bool keep_alive, bool http10) const {
  if (!keep_alive) return ok_close_;
  return http10 ? ok_keep_alive_http10_ : ok_keep_alive_;
}

const std::string& Responses::error(int status) {
  static const std::string bad_request = make_response("400 Bad Request", "close", "bad request\n");
  static const std::string too_large = make_response("413 Content Too Large", "close", "request body too large\n");
  static const std::string headers_too_large =
      make_response("431 Request Header Fields Too Large", "close", "request headers too large\n");
  static const std::string not_implemented = make_response("501 Not Implemented", "close", "not implemented\n");
  switch (status) {
    case 413: return too_large;
    case 431: return headers_too_large;
    case 501: return not_implemented;
    default: return bad_request;
  }
}

}  // namespace pollbench::http
